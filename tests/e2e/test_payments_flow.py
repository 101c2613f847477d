"""Checkout, capture, cancel and refunds over HTTP on PostgreSQL, with the sandbox provider's
hosted page and webhooks travelling over real HTTP."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.e2e.live import eventually, live_tessera
from tests.e2e.wire import assert_problem, order, product

pytestmark = pytest.mark.postgres


@pytest.fixture
async def api(clean_database: str) -> AsyncIterator[httpx.AsyncClient]:
    async with live_tessera(clean_database) as client:
        for sku, amount, currency in (("day-pass", 5000, "USD"), ("yen-pass", 1200, "JPY"), ("kwd-pass", 12345, "KWD")):
            created = await client.post("/v1/products", json=product(sku, unit_amount=amount, currency=currency, capacity=10))
            assert created.status_code == 201, created.text
        yield client


async def place(api: httpx.AsyncClient, sku: str = "day-pass", currency: str = "USD", quantity: int = 2) -> dict[str, Any]:
    response = await api.post("/v1/orders", json=order((sku, quantity), currency=currency))
    assert response.status_code == 201, response.text
    return response.json()


async def checkout(api: httpx.AsyncClient, order_id: str, capture_method: str = "automatic", status: int = 201) -> dict[str, Any]:
    response = await api.post(f"/v1/orders/{order_id}/checkout", json={"provider": "sandbox", "capture_method": capture_method})
    assert response.status_code == status, response.text
    return response.json()


async def payment_when(api: httpx.AsyncClient, payment_id: str, status: str) -> dict[str, Any]:
    async def read() -> dict[str, Any]:
        return (await api.get(f"/v1/payments/{payment_id}")).json()

    return await eventually(read, lambda p: p["status"] == status)


async def order_of(api: httpx.AsyncClient, order_id: str) -> dict[str, Any]:
    return (await api.get(f"/v1/orders/{order_id}")).json()


async def approved(api: httpx.AsyncClient, payment: dict[str, Any], status: str) -> dict[str, Any]:
    """The buyer opens the hosted page and approves; the provider's webhooks do the rest."""
    page = await api.get(payment["approval_url"])
    assert page.status_code == 200 and "Approve" in page.text
    answer = await api.post(payment["approval_url"] + "/approve")
    assert answer.status_code == 200, answer.text
    return await payment_when(api, payment["id"], status)


async def provider_side(api: httpx.AsyncClient, payment: dict[str, Any]) -> dict[str, Any]:
    return (await api.get(f"/sandbox/payments/{payment['provider_payment_id']}")).json()


async def test_automatic_capture_completes_the_order(api: httpx.AsyncClient) -> None:
    placed = await place(api)
    payment = await checkout(api, placed["id"])
    assert (payment["status"], payment["amount"], payment["attempts"]) == ("pending", 10000, 1)
    assert payment["approval_url"].endswith(f"/sandbox/checkout/{payment['provider_payment_id']}")
    captured = await approved(api, payment, "captured")
    assert captured["amount_captured"] == 10000
    paid = await eventually(lambda: order_of(api, placed["id"]), lambda o: o["status"] == "completed")
    assert (paid["amount_paid"], [p["id"] for p in paid["payments"]]) == (10000, [payment["id"]])
    trail = (await api.get("/v1/audit", params={"entity_id": payment["id"]})).json()["data"]
    actions = [e["action"] for e in trail]
    # The provider sends payment.authorized and payment.captured at once, in no set order; an
    # authorization arriving after the capture is ignored and leaves no entry.
    assert actions in (
        ["payment.created", "payment.submitted", "payment.authorized", "payment.captured"],
        ["payment.created", "payment.submitted", "payment.captured"],
    )
    assert {e["actor"] for e in trail[2:]} == {"webhook:sandbox"}


async def test_manual_capture_of_sixty_percent(api: httpx.AsyncClient) -> None:
    placed = await place(api)
    payment = await checkout(api, placed["id"], "manual")
    await approved(api, payment, "authorized")
    assert (await order_of(api, placed["id"]))["status"] == "processing"
    too_much = await api.post(f"/v1/payments/{payment['id']}/capture", json={"amount": 10001})
    assert_problem(too_much, 422, "validation_failed")
    captured = await api.post(f"/v1/payments/{payment['id']}/capture", json={"amount": 6000})
    assert captured.status_code == 200, captured.text
    assert (captured.json()["status"], captured.json()["amount_captured"]) == ("captured", 6000)
    assert (await order_of(api, placed["id"]))["status"] == "completed"
    assert (await provider_side(api, payment))["capture_count"] == 1


async def test_a_declined_payment_leaves_the_order_payable(api: httpx.AsyncClient) -> None:
    placed = await place(api)
    payment = await checkout(api, placed["id"])
    declined = await api.post(payment["approval_url"] + "/decline")
    assert declined.status_code == 200, declined.text
    await payment_when(api, payment["id"], "failed")
    assert (await order_of(api, placed["id"]))["status"] == "pending"
    again = await checkout(api, placed["id"])
    assert again["id"] != payment["id"]
    await approved(api, again, "captured")


async def test_checkout_again_returns_the_live_payment(api: httpx.AsyncClient) -> None:
    placed = await place(api)
    first = await checkout(api, placed["id"])
    second = await checkout(api, placed["id"], status=200)
    assert (second["id"], second["attempts"]) == (first["id"], 2)


async def test_cancel_an_authorization(api: httpx.AsyncClient) -> None:
    placed = await place(api)
    payment = await checkout(api, placed["id"], "manual")
    await approved(api, payment, "authorized")
    canceled = await api.post(f"/v1/payments/{payment['id']}/cancel")
    assert (canceled.status_code, canceled.json()["status"]) == (200, "canceled")
    assert (await provider_side(api, payment))["status"] == "canceled"
    assert_problem(await api.post(f"/v1/payments/{payment['id']}/cancel"), 409, "invalid_state")
    assert_problem(await api.post(f"/v1/payments/{payment['id']}/capture"), 409, "invalid_state")


async def test_concurrent_captures_reach_the_provider_once(api: httpx.AsyncClient) -> None:
    payment = await checkout(api, (await place(api))["id"], "manual")
    await approved(api, payment, "authorized")
    answers = await asyncio.gather(*(
        api.post(f"/v1/payments/{payment['id']}/capture", headers={"Idempotency-Key": str(uuid.uuid4())})
        for _ in range(10)
    ))
    assert sorted(a.status_code for a in answers) == [200] + [409] * 9
    for refused in (a for a in answers if a.status_code == 409):
        assert_problem(refused, 409, "invalid_state")
    assert (await provider_side(api, payment))["capture_count"] == 1


async def test_a_capture_that_timed_out_is_retried_into_exactly_one_capture(api: httpx.AsyncClient) -> None:
    payment = await checkout(api, (await place(api))["id"], "manual")
    await approved(api, payment, "authorized")
    fault = {"operation": "capture", "fault": "timeout", "payment_id": payment["provider_payment_id"]}
    assert (await api.post("/sandbox/faults", json=fault)).status_code == 204
    lost = await api.post(f"/v1/payments/{payment['id']}/capture", json={"amount": 7000})
    assert_problem(lost, 503, "unavailable")
    retried = await api.post(f"/v1/payments/{payment['id']}/capture", json={"amount": 7000})
    # The provider did capture; its payment.captured webhook may record that before the retry
    # arrives (then the retry is refused: it is captured already) or after (then the retry
    # repeats the call with the same key and gets the provider's stored answer).
    if retried.status_code == 409:
        assert_problem(retried, 409, "invalid_state")
    else:
        assert retried.status_code == 200, retried.text
    final = await payment_when(api, payment["id"], "captured")
    assert final["amount_captured"] == 7000
    assert (await provider_side(api, payment))["capture_count"] == 1


async def test_checkout_with_an_unconfigured_provider(api: httpx.AsyncClient) -> None:
    placed = await place(api)
    response = await api.post(f"/v1/orders/{placed['id']}/checkout", json={"provider": "stripe"})
    assert_problem(response, 422, "provider_not_configured")
    assert_problem(await api.post(f"/v1/orders/{uuid.uuid4()}/checkout", json={"provider": "sandbox"}), 404, "not_found")
    assert_problem(await api.get(f"/v1/payments/{uuid.uuid4()}"), 404, "not_found")


# -- refunds ------------------------------------------------------------------------------


async def captured_payment(api: httpx.AsyncClient, sku: str = "day-pass", currency: str = "USD") -> dict[str, Any]:
    payment = await checkout(api, (await place(api, sku, currency))["id"])
    return await approved(api, payment, "captured")


async def refund(api: httpx.AsyncClient, payment_id: str, **body: Any) -> httpx.Response:
    return await api.post(f"/v1/payments/{payment_id}/refunds", json=body)


async def test_partial_refunds_of_thirty_thirty_forty(api: httpx.AsyncClient) -> None:
    payment = await captured_payment(api)
    refunds = [await refund(api, payment["id"], amount=amount, reason="partial") for amount in (3000, 3000, 4000)]
    assert [(r.status_code, r.json()["status"]) for r in refunds] == [(201, "succeeded")] * 3
    assert (await api.get(f"/v1/refunds/{refunds[0].json()['id']}")).json()["reason"] == "partial"
    assert (await api.get(f"/v1/payments/{payment['id']}")).json()["status"] == "refunded"
    final = await order_of(api, payment["order_id"])
    assert (final["status"], final["amount_refunded"], len(final["refunds"])) == ("refunded", 10000, 3)
    assert_problem(await refund(api, payment["id"], amount=1), 422, "amount_exceeds_refundable")
    day_pass = (await api.get("/v1/products/day-pass")).json()
    assert day_pass["sold"] == 0  # a full refund gives the places back


async def test_concurrent_refunds_never_exceed_the_capture(api: httpx.AsyncClient, pg_engine: AsyncEngine) -> None:
    payment = await captured_payment(api)
    answers = await asyncio.gather(*(refund(api, payment["id"], amount=6000) for _ in range(20)))
    assert sorted(a.status_code for a in answers) == [201] + [422] * 19
    assert {a.json()["code"] for a in answers if a.status_code == 422} == {"amount_exceeds_refundable"}
    async with pg_engine.connect() as connection:
        over = await connection.execute(text(
            "SELECT p.id FROM payments p LEFT JOIN refunds r ON r.payment_id = p.id AND r.status <> 'failed' "
            "GROUP BY p.id, p.amount_captured HAVING coalesce(sum(r.amount), 0) > p.amount_captured"
        ))
        assert over.all() == []
    assert len((await provider_side(api, payment))["refunds"]) == 1


async def test_a_refund_the_provider_fails_is_refundable_again(api: httpx.AsyncClient) -> None:
    payment = await captured_payment(api)
    fault = {"operation": "refund", "fault": "fail", "payment_id": payment["provider_payment_id"]}
    assert (await api.post("/sandbox/faults", json=fault)).status_code == 204
    pending = await refund(api, payment["id"], amount=10000, reason="cancelled trip")
    # Pending (it reserves its amount: tests/service) until the provider's refund.failed arrives.
    assert (pending.status_code, pending.json()["status"]) == (201, "pending")
    failed = await eventually(lambda: _refund(api, pending.json()["id"]), lambda r: r["status"] == "failed")
    assert failed["provider_refund_id"]
    after = (await api.get(f"/v1/payments/{payment['id']}")).json()
    assert (after["status"], after["amount_refunded"]) == ("captured", 0)
    again = await refund(api, payment["id"])
    assert (again.status_code, again.json()["status"], again.json()["amount"]) == (201, "succeeded", 10000)


async def _refund(api: httpx.AsyncClient, refund_id: str) -> dict[str, Any]:
    return (await api.get(f"/v1/refunds/{refund_id}")).json()


async def test_refund_of_an_uncaptured_payment_is_refused(api: httpx.AsyncClient) -> None:
    payment = await checkout(api, (await place(api))["id"], "manual")
    assert_problem(await refund(api, payment["id"]), 409, "invalid_state")
    await approved(api, payment, "authorized")
    assert_problem(await refund(api, payment["id"]), 409, "invalid_state")


@pytest.mark.parametrize(("sku", "currency", "total", "parts"),
                         [("yen-pass", "JPY", 2400, (800, 801, 799)), ("kwd-pass", "KWD", 24690, (1, 24688, 1))])
async def test_zero_and_three_decimal_currencies_refund_exactly(
    api: httpx.AsyncClient, sku: str, currency: str, total: int, parts: tuple[int, ...]
) -> None:
    payment = await captured_payment(api, sku, currency)
    assert (payment["amount_captured"], payment["currency"]) == (total, currency)
    for part in parts:
        answer = await refund(api, payment["id"], amount=part)
        assert (answer.json()["amount"], answer.json()["currency"]) == (part, currency)
    final = (await api.get(f"/v1/payments/{payment['id']}")).json()
    assert (final["status"], final["amount_refunded"]) == ("refunded", total)
    assert (await provider_side(api, payment))["amount_refunded"] == total


async def test_a_refund_is_idempotent_by_key(api: httpx.AsyncClient) -> None:
    payment = await captured_payment(api)
    headers = {"Idempotency-Key": "refund-once"}
    first = await api.post(f"/v1/payments/{payment['id']}/refunds", json={"amount": 2500}, headers=headers)
    second = await api.post(f"/v1/payments/{payment['id']}/refunds", json={"amount": 2500}, headers=headers)
    assert (first.status_code, second.status_code, second.headers.get("idempotent-replayed")) == (201, 201, "true")
    assert first.content == second.content
    assert (await api.get(f"/v1/payments/{payment['id']}")).json()["amount_refunded"] == 2500


async def test_a_retried_refund_whose_answer_was_lost_refunds_once(api: httpx.AsyncClient, pg_engine: AsyncEngine) -> None:
    """The crash window: the refund committed but its response was never stored (the process
    died in between), so the key is free again; the retry must find the refund, not make one."""
    payment = await captured_payment(api)
    headers = {"Idempotency-Key": "refund-after-crash"}
    first = await api.post(f"/v1/payments/{payment['id']}/refunds", json={"amount": 2500}, headers=headers)
    async with pg_engine.begin() as connection:
        await connection.execute(text("DELETE FROM idempotency_keys WHERE key = 'refund-after-crash'"))
    retried = await api.post(f"/v1/payments/{payment['id']}/refunds", json={"amount": 2500}, headers=headers)
    assert (retried.status_code, retried.json()["id"]) == (201, first.json()["id"])
    assert "idempotent-replayed" not in retried.headers
    assert (await api.get(f"/v1/payments/{payment['id']}")).json()["amount_refunded"] == 2500


async def test_cancelling_an_authorized_order_voids_it_at_the_provider(api: httpx.AsyncClient) -> None:
    placed = await place(api)
    payment = await checkout(api, placed["id"], "manual")
    await approved(api, payment, "authorized")
    cancelled = await api.post(f"/v1/orders/{placed['id']}/cancel")
    assert (cancelled.status_code, cancelled.json()["status"]) == (200, "cancelled")
    await payment_when(api, payment["id"], "canceled")  # voided by the worker's recovery step
    assert (await provider_side(api, payment))["status"] == "canceled"
    paid = await captured_payment(api)
    assert_problem(await api.post(f"/v1/orders/{paid['order_id']}/cancel"), 409, "invalid_state")
