"""Checkout, capture, cancel, refunds and provider events, on the in-memory adapters with a
scripted provider, wired by the real container (only clock and gateways overridden)."""

from __future__ import annotations

import asyncio

import pytest

from application.commands import (
    CancelOrder,
    CancelPayment,
    CapturePayment,
    ListAuditEntries,
    ListWebhookEvents,
    RefundPayment,
    StartCheckout,
)
from application.errors import ProviderError, ProviderNotConfigured, ProviderOutcomeUnknown
from domain.errors import InvalidState, ValidationFailed
from domain.orders import OrderStatus
from domain.payments import ACTION_LEASE, AmountExceedsRefundable, Payment, PaymentStatus, RefundStatus
from domain.webhooks import WebhookStatus
from tests.shop import ACTOR, Shop, open_shop

@pytest.fixture
async def shop() -> Shop:
    return await open_shop()


async def test_automatic_capture_completes_the_order(shop: Shop) -> None:
    order_id = await shop.order()
    payment = await shop.checkout(order_id)
    assert (payment.status, payment.amount, payment.attempts) == (PaymentStatus.PENDING, 10000, 1)
    assert payment.provider_payment_id == "fake_1" and payment.approval_url == "https://fake/fake_1"
    await shop.approve(payment)
    captured = await shop.payment(payment.id)
    assert (captured.status, captured.amount_captured, captured.action) == (PaymentStatus.CAPTURED, 10000, None)
    details = await shop.container.get_order()(order_id)
    assert (details.order.status, details.order.amount_paid) == (OrderStatus.COMPLETED, 10000)
    assert [p.id for p in details.payments] == [payment.id]
    assert await shop.audit_actions(payment.id) == ["payment.created", "payment.submitted", "payment.authorized", "payment.captured"]
    assert "order.completed" in await shop.audit_actions(order_id)


async def test_manual_capture_of_part_of_the_authorization(shop: Shop) -> None:
    order_id = await shop.order()
    payment = await shop.checkout(order_id, "manual")
    await shop.approve(payment)
    assert (await shop.payment(payment.id)).status is PaymentStatus.AUTHORIZED
    assert await shop.order_status(order_id) is OrderStatus.PROCESSING
    captured = await shop.container.capture_payment()(CapturePayment(payment.id, ACTOR, 6000))
    assert (captured.status, captured.amount_captured, captured.amount_authorized) == (PaymentStatus.CAPTURED, 6000, 10000)
    assert shop.provider.effects["capture"] == 1
    assert await shop.order_status(order_id) is OrderStatus.COMPLETED
    assert (await shop.audit_actions(payment.id))[-2:] == ["payment.capture_requested", "payment.captured"]
    # The provider's own capture event arriving afterwards changes nothing.
    await shop.deliver("payment.captured", payment, 6000)
    assert (await shop.payment(payment.id)).amount_captured == 6000


async def test_capture_rules(shop: Shop) -> None:
    order_id = await shop.order()
    payment = await shop.checkout(order_id, "manual")
    with pytest.raises(InvalidState):
        await shop.container.capture_payment()(CapturePayment(payment.id, ACTOR))  # not authorized yet
    await shop.approve(payment)
    with pytest.raises(ValidationFailed):
        await shop.container.capture_payment()(CapturePayment(payment.id, ACTOR, 10001))
    await shop.container.capture_payment()(CapturePayment(payment.id, ACTOR))
    with pytest.raises(InvalidState):
        await shop.container.capture_payment()(CapturePayment(payment.id, ACTOR))
    assert shop.provider.effects["capture"] == 1


async def test_concurrent_captures_reach_the_provider_once(shop: Shop) -> None:
    payment = await shop.checkout(await shop.order(), "manual")
    await shop.approve(payment)
    results = await asyncio.gather(
        *(shop.container.capture_payment()(CapturePayment(payment.id, ACTOR)) for _ in range(10)), return_exceptions=True
    )
    assert sum(isinstance(r, Payment) for r in results) == 1
    assert all(isinstance(r, InvalidState) for r in results if not isinstance(r, Payment))
    assert shop.provider.effects["capture"] == 1


async def test_a_capture_that_timed_out_is_retried_with_the_same_key(shop: Shop) -> None:
    payment = await shop.checkout(await shop.order(), "manual")
    await shop.approve(payment)
    shop.provider.faults["capture"] = "timeout"
    with pytest.raises(ProviderOutcomeUnknown):
        await shop.container.capture_payment()(CapturePayment(payment.id, ACTOR, 4000))
    unknown = await shop.payment(payment.id)
    assert unknown.status is PaymentStatus.AUTHORIZED and unknown.action is not None
    with pytest.raises(InvalidState):  # another amount than the unfinished capture's
        await shop.container.capture_payment()(CapturePayment(payment.id, ACTOR, 5000))
    captured = await shop.container.capture_payment()(CapturePayment(payment.id, ACTOR))
    assert (captured.status, captured.amount_captured) == (PaymentStatus.CAPTURED, 4000)
    assert shop.provider.effects["capture"] == 1


async def test_the_recovery_job_finishes_an_abandoned_capture(shop: Shop) -> None:
    payment = await shop.checkout(await shop.order(), "manual")
    await shop.approve(payment)
    shop.provider.faults["capture"] = "timeout"
    with pytest.raises(ProviderOutcomeUnknown):
        await shop.container.capture_payment()(CapturePayment(payment.id, ACTOR))
    assert await shop.container.recover_provider_calls()(10) == 1
    assert (await shop.payment(payment.id)).status is PaymentStatus.CAPTURED
    assert shop.provider.effects["capture"] == 1
    assert await shop.container.recover_provider_calls()(10) == 0


async def test_a_crash_mid_capture_is_recovered_once_the_lease_ends(shop: Shop) -> None:
    payment = await shop.checkout(await shop.order(), "manual")
    await shop.approve(payment)
    # Phase one committed, then the process died: the action stays, running, until its lease ends.
    async with shop.container.uow()() as uow:
        crashed = await uow.payments.get(payment.id, lock=True)
        crashed.request_capture(None, shop.clock.now())  # type: ignore[union-attr]
        await uow.payments.save(crashed)  # type: ignore[arg-type]
        await uow.commit()
    assert await shop.container.recover_provider_calls()(10) == 0
    with pytest.raises(InvalidState):
        await shop.container.capture_payment()(CapturePayment(payment.id, ACTOR))
    shop.clock.advance(seconds=ACTION_LEASE.total_seconds())
    assert await shop.container.recover_provider_calls()(10) == 1
    assert (await shop.payment(payment.id)).status is PaymentStatus.CAPTURED
    assert shop.provider.effects["capture"] == 1


async def test_a_declined_capture_leaves_the_authorization(shop: Shop) -> None:
    payment = await shop.checkout(await shop.order(), "manual")
    await shop.approve(payment)
    shop.provider.faults["capture"] = "decline"
    with pytest.raises(ProviderError):
        await shop.container.capture_payment()(CapturePayment(payment.id, ACTOR))
    refused = await shop.payment(payment.id)
    assert (refused.status, refused.action) == (PaymentStatus.AUTHORIZED, None)
    assert "payment.capture_refused" in await shop.audit_actions(payment.id)


async def test_declined_checkout_leaves_the_order_payable(shop: Shop) -> None:
    order_id = await shop.order()
    payment = await shop.checkout(order_id)
    await shop.deliver("payment.failed", payment, payment.amount)
    assert (await shop.payment(payment.id)).status is PaymentStatus.FAILED
    assert await shop.order_status(order_id) is OrderStatus.PENDING
    second = await shop.checkout(order_id)
    assert second.id != payment.id and second.status is PaymentStatus.PENDING


async def test_checkout_again_returns_the_live_payment(shop: Shop) -> None:
    order_id = await shop.order()
    first = await shop.checkout(order_id)
    checkout = await shop.container.start_checkout()(StartCheckout(order_id, "sandbox", ACTOR))
    assert (checkout.created, checkout.payment.id, checkout.payment.attempts) == (False, first.id, 2)
    assert shop.provider.effects["create"] == 1


async def test_checkout_refusals(shop: Shop) -> None:
    order_id = await shop.order()
    with pytest.raises(ProviderNotConfigured):
        await shop.container.start_checkout()(StartCheckout(order_id, "stripe", ACTOR))
    with pytest.raises(ValidationFailed):
        await shop.container.start_checkout()(StartCheckout(order_id, "bitcoin", ACTOR))
    with pytest.raises(ValidationFailed):
        await shop.container.start_checkout()(StartCheckout(order_id, "sandbox", ACTOR, capture_method="later"))
    shop.clock.advance(hours=2)
    with pytest.raises(InvalidState):
        await shop.checkout(order_id)


async def test_cancel_an_authorization(shop: Shop) -> None:
    order_id = await shop.order()
    payment = await shop.checkout(order_id, "manual")
    await shop.approve(payment)
    canceled = await shop.container.cancel_payment()(CancelPayment(payment.id, ACTOR))
    assert canceled.status is PaymentStatus.CANCELED
    assert (await shop.audit_actions(payment.id))[-2:] == ["payment.cancel_requested", "payment.canceled"]
    assert await shop.order_status(order_id) is OrderStatus.PENDING
    with pytest.raises(InvalidState):
        await shop.container.cancel_payment()(CancelPayment(payment.id, ACTOR))


async def test_partial_refunds_up_to_the_capture(shop: Shop) -> None:
    order_id = await shop.order()
    payment = await shop.checkout(order_id)
    await shop.approve(payment)
    refunds = [await shop.container.refund_payment()(RefundPayment(payment.id, ACTOR, amount, "partial")) for amount in (3000, 3000, 4000)]
    assert [r.status for r in refunds] == [RefundStatus.SUCCEEDED] * 3
    assert (await shop.payment(payment.id)).status is PaymentStatus.REFUNDED
    assert await shop.order_status(order_id) is OrderStatus.REFUNDED
    with pytest.raises(AmountExceedsRefundable):
        await shop.container.refund_payment()(RefundPayment(payment.id, ACTOR, 1))
    assert (await shop.container.get_product()("day-pass")).sold == 0
    assert await shop.audit_actions(refunds[0].id) == ["refund.requested", "refund.succeeded"]


async def test_refund_everything_by_default_and_the_rules(shop: Shop) -> None:
    payment = await shop.checkout(await shop.order(), "manual")
    with pytest.raises(InvalidState):
        await shop.container.refund_payment()(RefundPayment(payment.id, ACTOR))
    await shop.approve(payment)
    with pytest.raises(InvalidState):  # authorized, not captured
        await shop.container.refund_payment()(RefundPayment(payment.id, ACTOR))
    await shop.container.capture_payment()(CapturePayment(payment.id, ACTOR, 6000))
    with pytest.raises(AmountExceedsRefundable):
        await shop.container.refund_payment()(RefundPayment(payment.id, ACTOR, 6001))
    refund = await shop.container.refund_payment()(RefundPayment(payment.id, ACTOR))
    assert refund.amount == 6000


async def test_concurrent_refunds_never_exceed_the_capture(shop: Shop) -> None:
    payment = await shop.checkout(await shop.order())
    await shop.approve(payment)
    results = await asyncio.gather(
        *(shop.container.refund_payment()(RefundPayment(payment.id, ACTOR, 6000)) for _ in range(20)), return_exceptions=True
    )
    assert sum(not isinstance(r, Exception) for r in results) == 1
    assert all(isinstance(r, AmountExceedsRefundable) for r in results if isinstance(r, Exception))
    assert shop.provider.effects["refund"] == 1


async def test_a_failed_refund_makes_its_amount_refundable_again(shop: Shop) -> None:
    order_id = await shop.order()
    payment = await shop.checkout(order_id)
    await shop.approve(payment)
    shop.provider.refund_outcome = RefundStatus.PENDING
    refund = await shop.container.refund_payment()(RefundPayment(payment.id, ACTOR, 10000))
    assert refund.status is RefundStatus.PENDING and (await shop.payment(payment.id)).refundable == 0
    await shop.deliver("refund.failed", payment, 10000, refund.provider_refund_id)
    await shop.deliver("refund.failed", payment, 10000, refund.provider_refund_id)  # a duplicate changes nothing
    assert (await shop.container.get_refund()(refund.id)).status is RefundStatus.FAILED
    after = await shop.payment(payment.id)
    assert (after.status, after.refundable, after.amount_refunded) == (PaymentStatus.CAPTURED, 10000, 0)
    assert await shop.order_status(order_id) is OrderStatus.COMPLETED
    shop.provider.refund_outcome = RefundStatus.SUCCEEDED
    again = await shop.container.refund_payment()(RefundPayment(payment.id, ACTOR, 10000))
    assert again.status is RefundStatus.SUCCEEDED


async def test_a_declined_refund_is_recorded_failed(shop: Shop) -> None:
    payment = await shop.checkout(await shop.order())
    await shop.approve(payment)
    shop.provider.faults["refund"] = "decline"
    with pytest.raises(ProviderError):
        await shop.container.refund_payment()(RefundPayment(payment.id, ACTOR, 1000))
    details = await shop.container.get_order()(payment.order_id)
    assert [r.status for r in details.refunds] == [RefundStatus.FAILED]
    assert (await shop.payment(payment.id)).refundable == 10000


async def test_a_refund_that_timed_out_is_finished_by_recovery(shop: Shop) -> None:
    payment = await shop.checkout(await shop.order())
    await shop.approve(payment)
    shop.provider.faults["refund"] = "timeout"
    with pytest.raises(ProviderOutcomeUnknown):
        await shop.container.refund_payment()(RefundPayment(payment.id, ACTOR, 2500))
    assert await shop.container.recover_provider_calls()(10) == 1
    details = await shop.container.get_order()(payment.order_id)
    assert [(r.amount, r.status) for r in details.refunds] == [(2500, RefundStatus.SUCCEEDED)]
    assert shop.provider.effects["refund"] == 1
    assert details.order.status is OrderStatus.PARTIALLY_REFUNDED


@pytest.mark.parametrize(
    ("sku", "currency", "amount", "parts"),
    [("yen-pass", "JPY", 2400, (800, 801, 799)), ("kwd-pass", "KWD", 24690, (1, 24688, 1))],
)
async def test_zero_and_three_decimal_currencies_refund_exactly(
    shop: Shop, sku: str, currency: str, amount: int, parts: tuple[int, ...]
) -> None:
    payment = await shop.checkout(await shop.order(sku=sku, currency=currency))
    assert payment.amount == amount
    await shop.approve(payment)
    for part in parts:
        await shop.container.refund_payment()(RefundPayment(payment.id, ACTOR, part))
    final = await shop.payment(payment.id)
    assert (final.status, final.amount_refunded, final.refundable) == (PaymentStatus.REFUNDED, amount, 0)


async def test_a_refund_request_repeated_with_its_key_refunds_once(shop: Shop) -> None:
    payment = await shop.checkout(await shop.order())
    await shop.approve(payment)
    first = await shop.container.refund_payment()(RefundPayment(payment.id, ACTOR, 2500, request_key="k:1"))
    again = await shop.container.refund_payment()(RefundPayment(payment.id, ACTOR, 2500, request_key="k:1"))
    other = await shop.container.refund_payment()(RefundPayment(payment.id, ACTOR, 2500, request_key="k:2"))
    assert again == first and other.id != first.id
    assert (await shop.payment(payment.id)).amount_refunded == 5000
    assert shop.provider.effects["refund"] == 2


# -- unpaid orders expire; money that arrives for a cancelled order goes back ---------------


async def test_unpaid_orders_expire_and_give_their_places_back(shop: Shop) -> None:
    unpaid = await shop.order(3)
    paying = await shop.order(2)
    await shop.approve(await shop.checkout(paying, "manual"))
    shop.clock.advance(minutes=59)
    assert await shop.container.expire_unpaid_orders()(10) == 0
    shop.clock.advance(minutes=1)
    assert await shop.container.expire_unpaid_orders()(10) == 1
    assert await shop.order_status(unpaid) is OrderStatus.CANCELLED
    assert await shop.order_status(paying) is OrderStatus.PROCESSING
    assert (await shop.container.get_product()("day-pass")).sold == 2
    assert (await shop.audit_actions(unpaid))[-1] == "order.expired"
    assert await shop.container.expire_unpaid_orders()(10) == 0


async def test_an_authorization_after_expiry_is_voided(shop: Shop) -> None:
    order_id = await shop.order()
    payment = await shop.checkout(order_id, "manual")
    shop.clock.advance(hours=1)
    await shop.container.expire_unpaid_orders()(10)
    await shop.approve(payment)  # the buyer was still on the provider's page
    assert await shop.container.recover_provider_calls()(10) == 1
    assert (await shop.payment(payment.id)).status is PaymentStatus.CANCELED
    assert shop.provider.payments[payment.provider_payment_id].state.status is PaymentStatus.CANCELED  # type: ignore[index]
    assert await shop.order_status(order_id) is OrderStatus.CANCELLED


async def test_a_capture_after_cancellation_is_refunded_and_places_stay_released(shop: Shop) -> None:
    order_id = await shop.order(3)
    payment = await shop.checkout(order_id)
    await shop.container.cancel_order()(CancelOrder(order_id, ACTOR))
    assert (await shop.container.get_product()("day-pass")).sold == 0
    await shop.approve(payment)
    assert await shop.container.recover_provider_calls()(10) == 1
    final = await shop.payment(payment.id)
    assert (final.status, final.amount_refunded) == (PaymentStatus.REFUNDED, 15000)
    details = await shop.container.get_order()(order_id)
    assert (details.order.status, details.order.amount_paid, details.order.amount_refunded) == (
        OrderStatus.CANCELLED, 15000, 15000)
    assert [r.reason for r in details.refunds] == ["paid after the order was cancelled"]
    assert (await shop.container.get_product()("day-pass")).sold == 0


async def test_a_second_payment_of_a_paid_order_is_given_back(shop: Shop) -> None:
    order_id = await shop.order()
    first = await shop.checkout(order_id)
    second = await shop.checkout(order_id)
    assert second.id == first.id  # same provider: the live checkout is reused
    other = await shop.container.start_checkout()(StartCheckout(order_id, "paypal", ACTOR))
    assert other.created
    await shop.approve(first)
    await shop.approve(other.payment)  # paid again, in another tab, with another provider
    assert await shop.container.recover_provider_calls()(10) == 1
    twice = await shop.payment(other.payment.id)
    assert (twice.status, twice.amount_refunded) == (PaymentStatus.REFUNDED, 10000)
    assert (await shop.payment(first.id)).status is PaymentStatus.CAPTURED
    details = await shop.container.get_order()(order_id)
    assert [r.reason for r in details.refunds] == ["the order was already paid by another payment"]


async def test_reconciliation_records_what_lost_webhooks_never_said(shop: Shop) -> None:
    captured = await shop.checkout(await shop.order())
    authorized = await shop.checkout(await shop.order(), "manual")
    untouched = await shop.checkout(await shop.order())
    shop.provider.approve(captured.provider_payment_id)  # type: ignore[arg-type]
    shop.provider.approve(authorized.provider_payment_id)  # type: ignore[arg-type]
    # No webhook arrives: Tessera still thinks all three are pending.
    result = await shop.container.reconcile_payments()("sandbox", batch_size=2)
    assert (result.checked, result.changed) == (3, 2)
    assert (await shop.payment(captured.id)).status is PaymentStatus.CAPTURED
    assert (await shop.payment(authorized.id)).status is PaymentStatus.AUTHORIZED
    assert (await shop.payment(untouched.id)).status is PaymentStatus.PENDING
    assert await shop.order_status(captured.order_id) is OrderStatus.COMPLETED
    assert "system:reconcile" in {e.actor for e in (await shop.container.list_audit_entries()(
        ListAuditEntries(limit=100, entity_id=captured.id))).items}
    again = await shop.container.reconcile_payments()("sandbox")
    assert (again.checked, again.changed) == (2, 0)  # the authorized and the untouched one are still open


async def test_a_refund_event_before_the_refunds_answer_is_recorded_counts_once(shop: Shop) -> None:
    """The provider's refund.succeeded can overtake the answer that tells Tessera the refund's
    provider id; it must not be taken for a second refund made at the provider."""
    payment = await shop.checkout(await shop.order())
    await shop.approve(payment)
    shop.provider.faults["refund"] = "timeout"
    with pytest.raises(ProviderOutcomeUnknown):
        await shop.container.refund_payment()(RefundPayment(payment.id, ACTOR, 4000))
    await shop.deliver("refund.succeeded", payment, 4000, "fake_re_1")  # unknown id yet: retried later
    assert await shop.container.recover_provider_calls()(10) == 1  # the answer: fake_re_1, succeeded
    shop.clock.advance(hours=1)
    await shop.container.process_webhooks()(100)
    details = await shop.container.get_order()(payment.order_id)
    assert [(r.provider_refund_id, r.amount, r.status) for r in details.refunds] == [("fake_re_1", 4000, RefundStatus.SUCCEEDED)]
    assert (await shop.payment(payment.id)).amount_refunded == 4000
    events = await shop.container.list_webhook_events()(ListWebhookEvents(limit=10, type="refund.succeeded"))
    assert [(e.status, e.attempts) for e in events.items] == [(WebhookStatus.PROCESSED, 2)]


async def test_a_capture_makes_another_payments_authorization_surplus(shop: Shop) -> None:
    order_id = await shop.order()
    held = await shop.checkout(order_id, "manual")
    paid = (await shop.container.start_checkout()(StartCheckout(order_id, "paypal", ACTOR))).payment
    await shop.approve(held)
    assert await shop.order_status(order_id) is OrderStatus.PROCESSING
    await shop.approve(paid)  # opened in another tab before the first was approved
    assert await shop.container.recover_provider_calls()(10) == 1
    assert (await shop.payment(held.id)).status is PaymentStatus.CANCELED
    assert (await shop.payment(paid.id)).status is PaymentStatus.CAPTURED
    assert await shop.order_status(order_id) is OrderStatus.COMPLETED


async def test_cancelling_an_authorized_order_voids_the_authorization(shop: Shop) -> None:
    order_id = await shop.order(3)
    payment = await shop.checkout(order_id, "manual")
    await shop.approve(payment)
    cancelled = await shop.container.cancel_order()(CancelOrder(order_id, ACTOR))
    assert cancelled.order.status is OrderStatus.CANCELLED
    assert (await shop.container.get_product()("day-pass")).sold == 0
    assert await shop.container.recover_provider_calls()(10) == 1
    assert (await shop.payment(payment.id)).status is PaymentStatus.CANCELED
    assert shop.provider.effects["cancel"] == 1


async def test_an_order_with_a_capture_cannot_be_cancelled(shop: Shop) -> None:
    paid = await shop.order()
    await shop.approve(await shop.checkout(paid))
    with pytest.raises(InvalidState, match="refund it instead"):
        await shop.container.cancel_order()(CancelOrder(paid, ACTOR))
    capturing = await shop.order()
    payment = await shop.checkout(capturing, "manual")
    await shop.approve(payment)
    shop.provider.faults["capture"] = "timeout"
    with pytest.raises(ProviderOutcomeUnknown):
        await shop.container.capture_payment()(CapturePayment(payment.id, ACTOR))
    with pytest.raises(InvalidState, match="being captured"):
        await shop.container.cancel_order()(CancelOrder(capturing, ACTOR))


async def test_an_order_fails_after_five_declined_payments_and_gives_its_places_back(shop: Shop) -> None:
    order_id = await shop.order(3)
    for attempt in range(1, 6):
        payment = await shop.checkout(order_id)
        await shop.deliver("payment.failed", payment, payment.amount)
        expected = OrderStatus.FAILED if attempt == 5 else OrderStatus.PENDING
        assert await shop.order_status(order_id) is expected
    assert (await shop.container.get_product()("day-pass")).sold == 0
    with pytest.raises(InvalidState):
        await shop.checkout(order_id)
