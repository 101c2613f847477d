"""The sandbox provider through Tessera's gateway, on both stores: money moves once per key,
faults behave like a remote provider's failures, every change queues its webhook."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest

from adapters.gateways.sandbox.gateway import SandboxGateway
from adapters.gateways.sandbox.model import FaultKind, Operation
from adapters.gateways.sandbox.postgres import PgSandboxStore
from adapters.gateways.sandbox.provider import SandboxProvider
from adapters.gateways.sandbox.store import InMemorySandboxStore, SandboxStore
from application.errors import NotFound, ProviderError, ProviderOutcomeUnknown
from application.ports import PaymentRequest
from domain.errors import InvalidState, ValidationFailed
from domain.money import Money
from domain.payments import CaptureMethod, PaymentStatus, RefundStatus
from tests.support import FrozenClock

PUBLIC_URL = "http://tessera.test"


@pytest.fixture(params=["memory", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest) -> SandboxStore:
    """The param carries the `postgres` mark: `getfixturevalue` hides the database fixture from
    the collection hook that marks tests using it."""
    if request.param == "memory":
        return InMemorySandboxStore()
    return PgSandboxStore(request.getfixturevalue("pg_engine"))


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
def provider(store: SandboxStore, clock: FrozenClock) -> SandboxProvider:
    return SandboxProvider(store, clock, PUBLIC_URL + "/")


@pytest.fixture
def gateway(provider: SandboxProvider) -> SandboxGateway:
    return SandboxGateway(provider)


def usd(amount: int) -> Money:
    return Money(amount, "USD")


def payment_request(clock: FrozenClock, capture_method: CaptureMethod, key: str = "create-1", **urls: str) -> PaymentRequest:
    return PaymentRequest(
        payment_id=UUID(int=1),
        order_id=UUID(int=2),
        order_number="T-20260515-0001",
        amount=usd(5000),
        capture_method=capture_method,
        expires_at=clock.now() + timedelta(minutes=30),
        idempotency_key=key,
        **urls,
    )


async def authorized(gateway: SandboxGateway, provider: SandboxProvider, clock: FrozenClock) -> str:
    created = await gateway.create_payment(payment_request(clock, CaptureMethod.MANUAL))
    await provider.approve(created.provider_payment_id)
    return created.provider_payment_id


async def captured(gateway: SandboxGateway, provider: SandboxProvider, clock: FrozenClock) -> str:
    created = await gateway.create_payment(payment_request(clock, CaptureMethod.AUTOMATIC))
    await provider.approve(created.provider_payment_id)
    return created.provider_payment_id


async def queued(store: SandboxStore, clock: FrozenClock) -> list[dict[str, Any]]:
    """The webhook bodies waiting to be sent, by type (claimed, so each is seen once). Events
    queued at one moment have no order: they are sent concurrently, as a remote provider would."""
    async with store.transaction() as tx:
        events = await tx.claim_events(clock.now(), clock.now() + timedelta(minutes=1), 100)
    return sorted((json.loads(event.body) for event in events), key=lambda body: (body["type"], body["data"]["amount"]))


def summary(bodies: list[dict[str, Any]]) -> list[tuple[str, int]]:
    return [(body["type"], body["data"]["amount"]) for body in bodies]


async def test_a_created_payment_is_pending_with_an_approval_url_and_replays_by_key(
    gateway: SandboxGateway, provider: SandboxProvider, store: SandboxStore, clock: FrozenClock
) -> None:
    request = payment_request(clock, CaptureMethod.AUTOMATIC, return_url="https://shop.test/done")
    created = await gateway.create_payment(request)
    assert created.provider_payment_id.startswith("sbx_pay_")
    assert created.status is PaymentStatus.PENDING
    assert created.approval_url == f"{PUBLIC_URL}/sandbox/checkout/{created.provider_payment_id}"
    assert created.client_secret is None

    assert await gateway.create_payment(request) == created
    payment = await provider.fetch(created.provider_payment_id)
    assert (payment.amount, payment.currency, payment.description) == (5000, "USD", "Order T-20260515-0001")
    assert payment.return_url == "https://shop.test/done"
    assert await queued(store, clock) == []


async def test_approving_an_automatic_payment_captures_it_and_queues_both_events(
    gateway: SandboxGateway, provider: SandboxProvider, store: SandboxStore, clock: FrozenClock
) -> None:
    payment_id = await captured(gateway, provider, clock)

    fetched = await gateway.fetch(payment_id)
    assert (fetched.status, fetched.amount_authorized, fetched.amount_captured) == (PaymentStatus.CAPTURED, 5000, 5000)
    bodies = await queued(store, clock)
    assert summary(bodies) == [("payment.authorized", 5000), ("payment.captured", 5000)]
    assert bodies[1] == {
        "id": bodies[1]["id"],
        "type": "payment.captured",
        "created_at": "2026-05-15T09:30:00+00:00",
        "data": {"payment_id": payment_id, "amount": 5000, "currency": "USD"},
    }
    assert bodies[1]["id"].startswith("evt_") and bodies[0]["id"] != bodies[1]["id"]


async def test_a_manual_payment_is_authorized_then_captured_in_part_once(
    gateway: SandboxGateway, provider: SandboxProvider, store: SandboxStore, clock: FrozenClock
) -> None:
    payment_id = await authorized(gateway, provider, clock)
    assert (await gateway.fetch(payment_id)).status is PaymentStatus.AUTHORIZED

    answer = await gateway.capture(payment_id, usd(3000), "capture-1")
    assert (answer.status, answer.amount_authorized, answer.amount_captured) == (PaymentStatus.CAPTURED, 5000, 3000)
    assert await gateway.capture(payment_id, usd(3000), "capture-1") == answer
    with pytest.raises(ProviderError, match="only an authorized payment can be captured"):
        await gateway.capture(payment_id, usd(1000), "capture-2")
    assert (await provider.fetch(payment_id)).capture_count == 1
    assert summary(await queued(store, clock)) == [("payment.authorized", 5000), ("payment.captured", 3000)]


async def test_a_capture_over_the_authorized_amount_or_in_another_currency_is_refused(
    gateway: SandboxGateway, provider: SandboxProvider, clock: FrozenClock
) -> None:
    payment_id = await authorized(gateway, provider, clock)
    with pytest.raises(ProviderError, match="between 1 and the authorized 5000"):
        await gateway.capture(payment_id, usd(5001), "capture-1")
    with pytest.raises(ProviderError, match="is in USD, not EUR"):
        await gateway.capture(payment_id, Money(5000, "EUR"), "capture-1")
    assert (await gateway.capture(payment_id, usd(5000), "capture-1")).amount_captured == 5000


async def test_a_lost_capture_answer_is_replayed_to_the_retry_and_captures_once(
    gateway: SandboxGateway, provider: SandboxProvider, store: SandboxStore, clock: FrozenClock
) -> None:
    payment_id = await authorized(gateway, provider, clock)
    await provider.add_fault(Operation.CAPTURE, FaultKind.TIMEOUT, payment_id)

    with pytest.raises(ProviderOutcomeUnknown):
        await gateway.capture(payment_id, usd(5000), "capture-1")
    assert (await provider.fetch(payment_id)).status is PaymentStatus.CAPTURED

    retried = await gateway.capture(payment_id, usd(5000), "capture-1")
    assert (retried.status, retried.amount_captured) == (PaymentStatus.CAPTURED, 5000)
    assert (await provider.fetch(payment_id)).capture_count == 1
    assert summary(await queued(store, clock)) == [("payment.authorized", 5000), ("payment.captured", 5000)]


async def test_a_declined_call_moves_nothing_and_the_fault_is_used_up(
    gateway: SandboxGateway, provider: SandboxProvider, clock: FrozenClock
) -> None:
    payment_id = await authorized(gateway, provider, clock)
    await provider.add_fault(Operation.CAPTURE, FaultKind.DECLINE)

    with pytest.raises(ProviderError, match="declined the capture"):
        await gateway.capture(payment_id, usd(5000), "capture-1")
    assert (await provider.fetch(payment_id)).status is PaymentStatus.AUTHORIZED
    # A refusal keeps nothing for the key: the retry is a new attempt, and succeeds.
    assert (await gateway.capture(payment_id, usd(5000), "capture-1")).status is PaymentStatus.CAPTURED


async def test_a_create_can_be_declined_or_lose_its_answer(gateway: SandboxGateway, provider: SandboxProvider, clock: FrozenClock) -> None:
    await provider.add_fault(Operation.CREATE, FaultKind.DECLINE)
    clock.advance(seconds=1)  # faults strike oldest first
    await provider.add_fault(Operation.CREATE, FaultKind.TIMEOUT)
    request = payment_request(clock, CaptureMethod.AUTOMATIC)
    with pytest.raises(ProviderError):
        await gateway.create_payment(request)
    with pytest.raises(ProviderOutcomeUnknown):
        await gateway.create_payment(request)
    created = await gateway.create_payment(request)
    assert (await gateway.create_payment(request)).provider_payment_id == created.provider_payment_id


async def test_a_fault_aimed_at_one_payment_spares_the_others(
    gateway: SandboxGateway, provider: SandboxProvider, clock: FrozenClock
) -> None:
    first = await authorized(gateway, provider, clock)
    second = await provider.create_payment(
        amount=usd(700), capture_method=CaptureMethod.MANUAL, expires_at=clock.now() + timedelta(minutes=5),
        description="Order 2", idempotency_key="create-2",
    )
    await provider.approve(second.id)
    await provider.add_fault(Operation.CAPTURE, FaultKind.DECLINE, first)

    assert (await gateway.capture(second.id, usd(700), "capture-2")).status is PaymentStatus.CAPTURED
    with pytest.raises(ProviderError):
        await gateway.capture(first, usd(5000), "capture-1")


async def test_a_key_used_for_another_operation_is_refused(
    gateway: SandboxGateway, provider: SandboxProvider, clock: FrozenClock
) -> None:
    payment_id = await authorized(gateway, provider, clock)
    with pytest.raises(ProviderError, match="was used for a create"):
        await gateway.cancel(payment_id, "create-1")


async def test_cancel_voids_a_pending_or_authorized_payment_only(
    gateway: SandboxGateway, provider: SandboxProvider, store: SandboxStore, clock: FrozenClock
) -> None:
    payment_id = await authorized(gateway, provider, clock)
    assert (await gateway.cancel(payment_id, "cancel-1")).status is PaymentStatus.CANCELED
    assert (await gateway.cancel(payment_id, "cancel-1")).status is PaymentStatus.CANCELED
    with pytest.raises(ProviderError, match="only a pending or authorized payment can be canceled"):
        await gateway.cancel(payment_id, "cancel-2")
    assert summary(await queued(store, clock)) == [("payment.authorized", 5000), ("payment.canceled", 5000)]


async def test_refunds_succeed_at_once_up_to_the_captured_amount(
    gateway: SandboxGateway, provider: SandboxProvider, store: SandboxStore, clock: FrozenClock
) -> None:
    payment_id = await captured(gateway, provider, clock)

    first = await gateway.refund(payment_id, usd(2000), "refund-1", "damaged")
    assert first.provider_refund_id.startswith("sbx_re_") and first.status is RefundStatus.SUCCEEDED
    assert await gateway.refund(payment_id, usd(2000), "refund-1", "damaged") == first
    assert (await provider.fetch(payment_id)).status is PaymentStatus.PARTIALLY_REFUNDED
    with pytest.raises(ProviderError, match="between 1 and the refundable 3000"):
        await gateway.refund(payment_id, usd(3001), "refund-2", None)
    clock.advance(seconds=1)
    await gateway.refund(payment_id, usd(3000), "refund-2", None)

    payment, refunds = await provider.details(payment_id)
    assert (payment.status, payment.amount_refunded) == (PaymentStatus.REFUNDED, 5000)
    assert [(r.amount, r.status, r.reason) for r in refunds] == [
        (2000, RefundStatus.SUCCEEDED, "damaged"), (3000, RefundStatus.SUCCEEDED, None),
    ]
    bodies = await queued(store, clock)
    assert summary(bodies)[2:] == [("refund.succeeded", 2000), ("refund.succeeded", 3000)]
    assert bodies[2]["data"]["refund_id"] == first.provider_refund_id
    with pytest.raises(ProviderError, match="only a captured payment can be refunded"):
        await gateway.refund(payment_id, usd(1), "refund-3", None)


async def test_a_failing_refund_answers_pending_then_fails_by_event(
    gateway: SandboxGateway, provider: SandboxProvider, store: SandboxStore, clock: FrozenClock
) -> None:
    payment_id = await captured(gateway, provider, clock)
    await provider.add_fault(Operation.REFUND, FaultKind.FAIL, payment_id)

    answer = await gateway.refund(payment_id, usd(5000), "refund-1", None)
    assert answer.status is RefundStatus.PENDING
    payment, [refund] = await provider.details(payment_id)
    assert (payment.status, payment.amount_refunded, refund.status) == (PaymentStatus.CAPTURED, 0, RefundStatus.FAILED)
    bodies = await queued(store, clock)
    assert summary(bodies)[-1] == ("refund.failed", 5000)
    assert bodies[-1]["data"]["refund_id"] == answer.provider_refund_id
    assert (await gateway.refund(payment_id, usd(5000), "refund-2", None)).status is RefundStatus.SUCCEEDED


async def test_the_buyer_declining_fails_the_payment(
    gateway: SandboxGateway, provider: SandboxProvider, store: SandboxStore, clock: FrozenClock
) -> None:
    created = await gateway.create_payment(payment_request(clock, CaptureMethod.AUTOMATIC))
    assert (await provider.decline(created.provider_payment_id)).status is PaymentStatus.FAILED
    assert summary(await queued(store, clock)) == [("payment.failed", 5000)]


async def test_pending_payments_past_their_deadline_expire(
    gateway: SandboxGateway, provider: SandboxProvider, store: SandboxStore, clock: FrozenClock
) -> None:
    created = await gateway.create_payment(payment_request(clock, CaptureMethod.AUTOMATIC))
    assert await provider.expire_due(clock.now()) == 0
    clock.advance(minutes=30)
    with pytest.raises(InvalidState, match="expired"):
        await provider.approve(created.provider_payment_id)
    assert await provider.expire_due(clock.now()) == 1
    assert (await gateway.fetch(created.provider_payment_id)).status is PaymentStatus.EXPIRED
    assert summary(await queued(store, clock)) == [("payment.expired", 5000)]


async def test_unknown_payments_and_impossible_faults_are_refused(gateway: SandboxGateway, provider: SandboxProvider) -> None:
    with pytest.raises(ProviderError, match="no sandbox payment sbx_pay_nope"):
        await gateway.fetch("sbx_pay_nope")
    with pytest.raises(NotFound):
        await provider.add_fault(Operation.CAPTURE, FaultKind.DECLINE, "sbx_pay_nope")
    with pytest.raises(ValidationFailed):
        await provider.add_fault(Operation.CAPTURE, FaultKind.FAIL)


async def test_concurrent_captures_with_different_keys_capture_once(
    gateway: SandboxGateway, provider: SandboxProvider, clock: FrozenClock
) -> None:
    payment_id = await authorized(gateway, provider, clock)

    results = await asyncio.gather(
        *(gateway.capture(payment_id, usd(5000), f"capture-{n}") for n in range(10)), return_exceptions=True
    )

    assert sum(not isinstance(r, BaseException) for r in results) == 1
    assert all(isinstance(r, ProviderError) for r in results if isinstance(r, BaseException)), results
    payment = await provider.fetch(payment_id)
    assert (payment.capture_count, payment.amount_captured) == (1, 5000)
