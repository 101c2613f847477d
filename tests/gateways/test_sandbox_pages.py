"""The sandbox's hosted checkout and controls over HTTP, on a small app with just its controller."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from litestar import Litestar
from litestar.di import Provide
from litestar.testing import AsyncTestClient

from adapters.gateways.sandbox.model import SandboxPayment
from adapters.gateways.sandbox.provider import SandboxProvider
from adapters.gateways.sandbox.store import InMemorySandboxStore
from domain.money import Money
from domain.payments import CaptureMethod
from entrypoints.http.app import check_json_body
from entrypoints.http.problems import problem_details_plugin
from entrypoints.http.sandbox import SandboxController, formatted
from tests.support import FrozenClock

PUBLIC_URL = "http://tessera.test"
SHOP = "https://shop.test"


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
def provider(clock: FrozenClock) -> SandboxProvider:
    return SandboxProvider(InMemorySandboxStore(), clock, PUBLIC_URL)


@pytest.fixture
async def client(provider: SandboxProvider) -> AsyncIterator[AsyncTestClient[Litestar]]:
    app = Litestar(
        route_handlers=[SandboxController],
        dependencies={"sandbox_provider": Provide(lambda: provider, sync_to_thread=False)},
        before_request=check_json_body,
        plugins=[problem_details_plugin()],
    )
    async with AsyncTestClient(app, base_url=PUBLIC_URL) as client:
        yield client


async def payment(
    provider: SandboxProvider, clock: FrozenClock, *, amount: Money = Money(5000, "USD"), with_urls: bool = True,
    capture_method: CaptureMethod = CaptureMethod.AUTOMATIC,
) -> SandboxPayment:
    urls = {"return_url": f"{SHOP}/thanks", "cancel_url": f"{SHOP}/cart"} if with_urls else {}
    return await provider.create_payment(
        amount=amount, capture_method=capture_method, expires_at=clock.now() + timedelta(minutes=30),
        description="Order T-1 <special>", idempotency_key=f"create-{amount}-{with_urls}", **urls,
    )


async def test_the_checkout_page_shows_the_amount_and_both_buttons(
    client: AsyncTestClient[Litestar], provider: SandboxProvider, clock: FrozenClock
) -> None:
    created = await payment(provider, clock, amount=Money(123456, "USD"))
    approval_url = provider.approval_url(created.id)

    response = await client.get(approval_url)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "USD 1,234.56" in response.text
    assert "Order T-1 &lt;special&gt;" in response.text
    assert f'action="{approval_url}/approve"' in response.text
    assert f'action="{approval_url}/decline"' in response.text


@pytest.mark.parametrize(
    ("amount", "shown"),
    [(Money(5, "USD"), "USD 0.05"), (Money(1500, "JPY"), "JPY 1,500"), (Money(12345, "KWD"), "KWD 12.345")],
)
def test_amounts_are_shown_with_their_currency_exponent(amount: Money, shown: str) -> None:
    assert formatted(amount.amount, amount.currency) == shown


async def test_approving_redirects_to_the_return_url_and_captures(
    client: AsyncTestClient[Litestar], provider: SandboxProvider, clock: FrozenClock
) -> None:
    created = await payment(provider, clock)

    response = await client.post(f"{provider.approval_url(created.id)}/approve", follow_redirects=False)

    assert (response.status_code, response.headers["location"]) == (303, f"{SHOP}/thanks")
    state = (await client.get(f"/sandbox/payments/{created.id}")).json()
    assert (state["status"], state["amount_captured"], state["capture_count"], state["refunds"]) == ("captured", 5000, 1, [])


async def test_declining_redirects_to_the_cancel_url_and_fails_the_payment(
    client: AsyncTestClient[Litestar], provider: SandboxProvider, clock: FrozenClock
) -> None:
    created = await payment(provider, clock)

    response = await client.post(f"/sandbox/checkout/{created.id}/decline", follow_redirects=False)

    assert (response.status_code, response.headers["location"]) == (303, f"{SHOP}/cart")
    assert (await provider.fetch(created.id)).status == "failed"


async def test_without_urls_the_buttons_answer_json(
    client: AsyncTestClient[Litestar], provider: SandboxProvider, clock: FrozenClock
) -> None:
    created = await payment(provider, clock, with_urls=False, capture_method=CaptureMethod.MANUAL)

    response = await client.post(f"/sandbox/checkout/{created.id}/approve")

    assert (response.status_code, response.json()) == (200, {"id": created.id, "status": "authorized"})


async def test_unknown_payments_are_404_and_a_finished_checkout_409(
    client: AsyncTestClient[Litestar], provider: SandboxProvider, clock: FrozenClock
) -> None:
    for response in (
        await client.get("/sandbox/checkout/sbx_pay_nope"),
        await client.post("/sandbox/checkout/sbx_pay_nope/approve"),
        await client.get("/sandbox/payments/sbx_pay_nope"),
    ):
        assert (response.status_code, response.json()["code"]) == (404, "not_found")
    created = await payment(provider, clock, with_urls=False)
    await client.post(f"/sandbox/checkout/{created.id}/decline")

    response = await client.post(f"/sandbox/checkout/{created.id}/approve")

    assert (response.status_code, response.json()["code"]) == (409, "invalid_state")
    assert response.headers["content-type"] == "application/problem+json"


async def test_a_fault_posted_over_http_strikes_the_next_call(
    client: AsyncTestClient[Litestar], provider: SandboxProvider, clock: FrozenClock
) -> None:
    created = await payment(provider, clock, with_urls=False)
    await client.post(f"/sandbox/checkout/{created.id}/approve")

    response = await client.post("/sandbox/faults", json={"operation": "refund", "fault": "fail", "payment_id": created.id})
    assert response.status_code == 204

    refund = await provider.refund(created.id, Money(5000, "USD"), "refund-1", None)
    state = (await client.get(f"/sandbox/payments/{created.id}")).json()
    assert (refund.status, state["status"], state["refunds"][0]["status"]) == ("pending", "captured", "failed")


async def test_impossible_faults_are_refused(client: AsyncTestClient[Litestar]) -> None:
    wrong = await client.post("/sandbox/faults", json={"operation": "capture", "fault": "fail"})
    assert (wrong.status_code, wrong.json()["code"]) == (422, "validation_failed")
    unknown = await client.post("/sandbox/faults", json={"operation": "capture", "fault": "explode"})
    assert (unknown.status_code, unknown.json()["code"]) == (422, "validation_failed")
    missing = await client.post("/sandbox/faults", json={"operation": "capture", "fault": "decline", "payment_id": "sbx_pay_nope"})
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")
