from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from domain.errors import InvalidState, ValidationFailed
from domain.money import Money
from domain.payments import ACTION_LEASE, ActionKind, AmountExceedsRefundable, CaptureMethod, Payment, PaymentStatus, Refund

NOW = datetime(2026, 5, 15, 9, 30, tzinfo=UTC)


def a_payment(amount: int = 10000) -> Payment:
    payment = Payment.start(
        id=uuid4(), order_id=uuid4(), provider="sandbox", total=Money(amount, "USD"),
        capture_method=CaptureMethod.MANUAL, now=NOW, expires_at=NOW + timedelta(minutes=30),
    )
    payment.apply_created("pay_1", None, "https://provider/pay_1", NOW)
    return payment


def authorized(amount: int = 10000) -> Payment:
    payment = a_payment(amount)
    payment.apply_authorized(amount, NOW)
    return payment


def captured(amount: int = 10000) -> Payment:
    payment = authorized(amount)
    payment.apply_captured(amount, NOW)
    return payment


def test_a_new_payment_waits_to_be_created_at_its_provider() -> None:
    payment = Payment.start(id=uuid4(), order_id=uuid4(), provider="sandbox", total=Money(500, "USD"),
                            capture_method=CaptureMethod.AUTOMATIC, now=NOW, expires_at=NOW)
    assert (payment.status, payment.attempts, payment.action.kind) == (PaymentStatus.PENDING, 1, ActionKind.CREATE)  # type: ignore[union-attr]
    assert payment.key_for(ActionKind.CREATE) == f"tessera-{payment.id}-create"
    with pytest.raises(ValidationFailed):
        Payment.start(id=uuid4(), order_id=uuid4(), provider="bank", total=Money(500, "USD"),
                      capture_method=CaptureMethod.AUTOMATIC, now=NOW, expires_at=NOW)


@pytest.mark.parametrize("late", ["authorized", "failed", "canceled", "expired"])
def test_events_that_would_move_a_captured_payment_backwards_are_ignored(late: str) -> None:
    payment = captured()
    apply = {
        "authorized": lambda: payment.apply_authorized(10000, NOW),
        "failed": lambda: payment.apply_failed("declined", NOW),
        "canceled": lambda: payment.apply_canceled(NOW),
        "expired": lambda: payment.apply_expired(NOW),
    }[late]
    assert apply() is False
    assert (payment.status, payment.amount_captured) == (PaymentStatus.CAPTURED, 10000)


def test_a_capture_is_applied_once_even_before_its_authorization() -> None:
    payment = a_payment()
    assert payment.apply_captured(10000, NOW) is True
    assert payment.apply_captured(10000, NOW) is False
    assert payment.apply_authorized(10000, NOW) is False
    assert (payment.status, payment.amount_authorized) == (PaymentStatus.CAPTURED, 10000)


def test_capture_rules() -> None:
    with pytest.raises(InvalidState):
        a_payment().request_capture(None, NOW)
    payment = authorized()
    with pytest.raises(ValidationFailed):
        payment.request_capture(10001, NOW)
    with pytest.raises(ValidationFailed):
        payment.request_capture(0, NOW)
    assert payment.request_capture(6000, NOW) == 6000
    with pytest.raises(InvalidState):  # running
        payment.request_capture(6000, NOW)


def test_an_abandoned_capture_is_taken_over_only_with_its_own_amount() -> None:
    payment = authorized()
    payment.request_capture(6000, NOW)
    payment.abandon_action(NOW)
    with pytest.raises(InvalidState):
        payment.request_capture(7000, NOW)
    assert payment.request_capture(None, NOW) == 6000
    assert payment.action is not None and payment.action.lease_until == NOW + ACTION_LEASE


def test_a_lease_ends_and_the_action_can_be_resumed() -> None:
    payment = authorized()
    payment.request_cancel(NOW)
    with pytest.raises(InvalidState):
        payment.resume_action(NOW + ACTION_LEASE - timedelta(seconds=1))
    payment.resume_action(NOW + ACTION_LEASE)
    assert payment.action is not None and payment.action.kind is ActionKind.CANCEL


def test_refundable_counts_pending_refunds_and_failed_ones_come_back() -> None:
    payment = captured()
    assert payment.reserve_refund(6000, NOW) == 6000
    with pytest.raises(AmountExceedsRefundable):
        payment.reserve_refund(4001, NOW)
    payment.settle_refund(6000, False, NOW)
    assert (payment.refundable, payment.status) == (10000, PaymentStatus.CAPTURED)
    payment.reserve_refund(3000, NOW)
    payment.settle_refund(3000, True, NOW)
    assert (payment.status, payment.refundable) == (PaymentStatus.PARTIALLY_REFUNDED, 7000)
    assert payment.reserve_refund(None, NOW) == 7000
    payment.settle_refund(7000, True, NOW)
    assert payment.status is PaymentStatus.REFUNDED
    with pytest.raises(AmountExceedsRefundable):
        payment.reserve_refund(1, NOW)


def test_only_a_captured_payment_can_be_refunded() -> None:
    for payment in (a_payment(), authorized()):
        with pytest.raises(InvalidState):
            payment.reserve_refund(None, NOW)


def test_a_refund_outcome_applies_once() -> None:
    payment = captured()
    refund = Refund.request(id=uuid4(), payment=payment, amount=payment.reserve_refund(100, NOW), reason="  gift  ", now=NOW)
    assert (refund.reason, refund.running(NOW)) == ("gift", True)
    refund.apply_submitted("re_1", NOW)
    assert refund.apply_outcome(True, None, NOW) is True
    assert refund.apply_outcome(False, "late failure", NOW) is False
    assert refund.key == f"tessera-{refund.id}-refund"
