"""Payments and refunds: money taken through a provider for an order, and money given back.

A payment moves forward only: pending -> authorized -> captured -> partially_refunded ->
refunded, or ends failed, canceled or expired. Provider events arrive late, twice and out of
order, so every `apply_*` method accepts an event that would move the payment backwards and
ignores it (returning False) instead of failing.

Calls to a provider happen outside any transaction, in phases: the intent is recorded first
(`PendingAction` for a capture or a cancel, a pending `Refund` for a refund), the provider is
called with a key derived from Tessera's ids, and the result is recorded afterwards. A crash or
a timeout between phases leaves the intent behind, and re-running the call with the same key
cannot move money twice.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from domain.errors import DomainError, InvalidState, ValidationFailed
from domain.money import Money

PROVIDERS = ("stripe", "paypal", "sandbox")

ACTION_LEASE = timedelta(seconds=60)
"""How long a provider call may run before its intent counts as abandoned and may be re-run.
Longer than any gateway's own timeout, so a live call is never duplicated."""

MAX_REASON = 500


class AmountExceedsRefundable(DomainError):
    code = "amount_exceeds_refundable"


class PaymentStatus(enum.StrEnum):
    PENDING = "pending"
    AUTHORIZED = "authorized"
    CAPTURED = "captured"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"
    FAILED = "failed"
    CANCELED = "canceled"
    EXPIRED = "expired"


CAPTURED_STATUSES = frozenset({PaymentStatus.CAPTURED, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED})


class CaptureMethod(enum.StrEnum):
    AUTOMATIC = "automatic"
    MANUAL = "manual"


class ActionKind(enum.StrEnum):
    CREATE = "create"
    CAPTURE = "capture"
    CANCEL = "cancel"


@dataclass(frozen=True)
class PendingAction:
    """A provider call Tessera has decided to make and whose outcome it does not know yet."""

    kind: ActionKind
    amount: int | None
    lease_until: datetime
    """Until then a call is running; afterwards the action is abandoned and may be re-run."""

    def running(self, now: datetime) -> bool:
        return self.lease_until > now


def provider_key(entity_id: UUID, operation: str) -> str:
    """The idempotency key a provider sees: one per (Tessera id, operation), so a retry of the
    same operation replays and a different operation is never mistaken for it."""
    return f"tessera-{entity_id}-{operation}"


def validate_provider(provider: str) -> str:
    if provider not in PROVIDERS:
        raise ValidationFailed.on("provider", f"provider must be one of {', '.join(PROVIDERS)}")
    return provider


@dataclass
class Payment:
    id: UUID
    order_id: UUID
    provider: str
    status: PaymentStatus
    amount: int
    currency: str
    capture_method: CaptureMethod
    attempts: int
    expires_at: datetime
    created_at: datetime
    updated_at: datetime
    provider_payment_id: str | None = None
    client_secret: str | None = None
    approval_url: str | None = None
    amount_authorized: int = 0
    amount_captured: int = 0
    amount_refunded: int = 0
    amount_refund_pending: int = 0
    action: PendingAction | None = None
    failure_reason: str | None = None

    @classmethod
    def start(
        cls,
        *,
        id: UUID,
        order_id: UUID,
        provider: str,
        total: Money,
        capture_method: CaptureMethod,
        now: datetime,
        expires_at: datetime,
    ) -> "Payment":
        """A new attempt, created at the provider in the next phase (its intent is the action)."""
        if total.amount < 1:
            raise ValidationFailed.on("amount", "there is nothing to pay")
        return cls(
            id=id,
            order_id=order_id,
            provider=validate_provider(provider),
            status=PaymentStatus.PENDING,
            amount=total.amount,
            currency=total.currency,
            capture_method=capture_method,
            attempts=1,
            expires_at=expires_at,
            created_at=now,
            updated_at=now,
            action=PendingAction(ActionKind.CREATE, total.amount, now + ACTION_LEASE),
        )

    @property
    def money(self) -> Money:
        return Money(self.amount, self.currency)

    @property
    def refundable(self) -> int:
        return self.amount_captured - self.amount_refunded - self.amount_refund_pending

    def is_live(self, now: datetime) -> bool:
        """Still waiting for the buyer: a new checkout reuses it instead of starting another."""
        return self.status is PaymentStatus.PENDING and self.expires_at > now

    def key_for(self, kind: ActionKind) -> str:
        return provider_key(self.id, kind.value)

    # Commands: Tessera asks for a change; the provider is called afterwards.

    def retry_checkout(self, now: datetime) -> None:
        self.attempts += 1
        self.updated_at = now

    def request_capture(self, amount: int | None, now: datetime) -> int:
        """Records the intent to capture `amount` (default: all that is authorized); returns it.

        An abandoned capture (its call timed out) is taken over with its own amount, so a retry
        repeats the same provider call rather than asking for something else.
        """
        self._refuse_running_action(now)
        if self.action is not None and self.action.kind is ActionKind.CAPTURE:
            amount = self.action.amount if amount is None else amount
            if amount != self.action.amount:
                raise InvalidState(
                    f"a capture of {self.action.amount} is unfinished; retry it with the same amount"
                )
        if self.status is not PaymentStatus.AUTHORIZED:
            raise InvalidState(f"payment is {self.status}; only an authorized payment can be captured")
        amount = self.amount_authorized if amount is None else amount
        if amount < 1:
            raise ValidationFailed.on("amount", "amount must be at least 1")
        if amount > self.amount_authorized:
            raise ValidationFailed.on("amount", f"amount exceeds the authorized {self.amount_authorized}")
        self._begin(ActionKind.CAPTURE, amount, now)
        return amount

    def request_cancel(self, now: datetime) -> None:
        self._refuse_running_action(now)
        if self.status not in (PaymentStatus.PENDING, PaymentStatus.AUTHORIZED):
            raise InvalidState(f"payment is {self.status}; only a pending or authorized payment can be canceled")
        self._begin(ActionKind.CANCEL, None, now)

    def resume_action(self, now: datetime) -> None:
        """Takes over an abandoned action to re-run its provider call with the same key."""
        self._refuse_running_action(now)
        if self.action is None:
            raise InvalidState("there is no unfinished action to resume")
        self._begin(self.action.kind, self.action.amount, now)

    def abandon_action(self, now: datetime) -> None:
        """The provider call's outcome is unknown (timeout): the next retry may re-run it now."""
        if self.action is not None:
            self.action = PendingAction(self.action.kind, self.action.amount, now)
            self.updated_at = now

    def drop_action(self, kind: ActionKind, reason: str | None, now: datetime) -> None:
        """The provider refused the call: nothing moved, the payment stays as it was."""
        if self.action is not None and self.action.kind is kind:
            self.action = None
            self.failure_reason = reason
            self.updated_at = now

    def _refuse_running_action(self, now: datetime) -> None:
        if self.action is not None and self.action.running(now):
            raise InvalidState(f"a {self.action.kind} of this payment is in progress")

    def _begin(self, kind: ActionKind, amount: int | None, now: datetime) -> None:
        self.action = PendingAction(kind, amount, now + ACTION_LEASE)
        self.updated_at = now

    # Facts: what the provider reports, by answer or by event. Each returns whether it changed anything.

    def apply_created(
        self, provider_payment_id: str, client_secret: str | None, approval_url: str | None, now: datetime
    ) -> bool:
        if self.provider_payment_id is not None:
            return False
        self.provider_payment_id = provider_payment_id
        self.client_secret = client_secret
        self.approval_url = approval_url
        if self.action is not None and self.action.kind is ActionKind.CREATE:
            self.action = None
        self.updated_at = now
        return True

    def apply_authorized(self, amount: int, now: datetime) -> bool:
        if self.status is not PaymentStatus.PENDING:
            return False
        self.status = PaymentStatus.AUTHORIZED
        self.amount_authorized = amount
        self._settled(ActionKind.CREATE, now)
        return True

    def apply_captured(self, amount: int, now: datetime) -> bool:
        """Money taken is a fact whatever Tessera thought before, so a capture also ends an
        unpaid state; it never happens twice (one capture per payment)."""
        if self.status in CAPTURED_STATUSES:
            return False
        self.status = PaymentStatus.CAPTURED
        self.amount_authorized = max(self.amount_authorized, amount)
        self.amount_captured = amount
        self.failure_reason = None
        self._settled(None, now)  # a capture ends any action: nothing is left to create, capture or void
        return True

    def apply_failed(self, reason: str | None, now: datetime) -> bool:
        if self.status is not PaymentStatus.PENDING:
            return False
        self.status = PaymentStatus.FAILED
        self.failure_reason = reason
        self._settled(None, now)
        return True

    def apply_canceled(self, now: datetime) -> bool:
        if self.status not in (PaymentStatus.PENDING, PaymentStatus.AUTHORIZED):
            return False
        self.status = PaymentStatus.CANCELED
        self._settled(None, now)
        return True

    def apply_expired(self, now: datetime) -> bool:
        if self.status is not PaymentStatus.PENDING:
            return False
        self.status = PaymentStatus.EXPIRED
        self._settled(None, now)
        return True

    def apply_reported(
        self, status: PaymentStatus, amount_authorized: int, amount_captured: int, reason: str | None, now: datetime
    ) -> bool:
        """Applies a state the provider reported in an answer (refunds come through refunds)."""
        if status in CAPTURED_STATUSES:
            return self.apply_captured(amount_captured, now)
        if status is PaymentStatus.AUTHORIZED:
            return self.apply_authorized(amount_authorized, now)
        if status is PaymentStatus.FAILED:
            return self.apply_failed(reason, now)
        if status is PaymentStatus.CANCELED:
            return self.apply_canceled(now)
        if status is PaymentStatus.EXPIRED:
            return self.apply_expired(now)
        return False

    def _settled(self, kind: ActionKind | None, now: datetime) -> None:
        """The payment reached a state its action was waiting for, or one that ends it."""
        if self.action is not None and (kind is None or self.action.kind is kind):
            self.action = None
        self.updated_at = now

    # Refunds: a pending refund reserves its amount, so concurrent refunds never exceed the capture.

    def reserve_refund(self, amount: int | None, now: datetime) -> int:
        """Reserves `amount` (default: all that is refundable) for a new refund; returns it.

        A fully refunded payment still has a capture: asking for more is asking too much
        (`amount_exceeds_refundable`), not asking at the wrong time."""
        if self.status not in CAPTURED_STATUSES:
            raise InvalidState(f"payment is {self.status}; only a captured payment can be refunded")
        amount = self.refundable if amount is None else amount
        if amount < 1:
            if self.refundable < 1:
                raise AmountExceedsRefundable("nothing is left to refund")
            raise ValidationFailed.on("amount", "amount must be at least 1")
        if amount > self.refundable:
            raise AmountExceedsRefundable(f"amount {amount} exceeds the refundable {self.refundable}")
        self.amount_refund_pending += amount
        self.updated_at = now
        return amount

    def settle_refund(self, amount: int, succeeded: bool, now: datetime) -> None:
        """A pending refund ended: its reservation becomes refunded money or is released."""
        self.amount_refund_pending -= amount
        if succeeded:
            self._refunded(amount)
        self.updated_at = now

    def apply_external_refund(self, amount: int, now: datetime) -> None:
        """A refund made at the provider directly (its dashboard): it happened, so it counts."""
        if self.status not in CAPTURED_STATUSES:
            raise InvalidState(f"payment is {self.status}; a refund needs a capture first")
        self._refunded(amount)
        self.updated_at = now

    def _refunded(self, amount: int) -> None:
        self.amount_refunded += amount
        self.status = (
            PaymentStatus.REFUNDED if self.amount_refunded >= self.amount_captured else PaymentStatus.PARTIALLY_REFUNDED
        )


class RefundStatus(enum.StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


def clean_reason(reason: str | None) -> str | None:
    if reason is None or not reason.strip():
        return None
    if len(reason) > MAX_REASON:
        raise ValidationFailed.on("reason", f"reason must be at most {MAX_REASON} characters")
    return reason.strip()


@dataclass
class Refund:
    id: UUID
    payment_id: UUID
    order_id: UUID
    provider: str
    amount: int
    currency: str
    reason: str | None
    status: RefundStatus
    created_at: datetime
    updated_at: datetime
    provider_refund_id: str | None = None
    failure_reason: str | None = None
    lease_until: datetime | None = None
    """While set, the provider call's outcome is unknown; past it, the call may be re-run."""
    request_key: str | None = None
    """The client's idempotency key for the request that asked for it, if it gave one."""

    @classmethod
    def request(
        cls,
        *,
        id: UUID,
        payment: Payment,
        amount: int,
        reason: str | None,
        now: datetime,
        request_key: str | None = None,
    ) -> "Refund":
        """A refund of an amount the payment has already reserved (`Payment.reserve_refund`)."""
        return cls(
            id=id,
            payment_id=payment.id,
            order_id=payment.order_id,
            provider=payment.provider,
            amount=amount,
            currency=payment.currency,
            reason=clean_reason(reason),
            status=RefundStatus.PENDING,
            created_at=now,
            updated_at=now,
            lease_until=now + ACTION_LEASE,
            request_key=request_key,
        )

    @classmethod
    def external(
        cls, *, id: UUID, payment: Payment, amount: int, provider_refund_id: str, now: datetime
    ) -> "Refund":
        """A refund made at the provider, learned from its event: already succeeded."""
        refund = cls.request(id=id, payment=payment, amount=amount, reason="made at the provider", now=now)
        refund.apply_submitted(provider_refund_id, now)
        refund.apply_outcome(True, None, now)
        return refund

    @property
    def key(self) -> str:
        return provider_key(self.id, "refund")

    def running(self, now: datetime) -> bool:
        return self.lease_until is not None and self.lease_until > now

    def apply_submitted(self, provider_refund_id: str, now: datetime) -> None:
        """The provider accepted the refund; its outcome may follow by event."""
        self.provider_refund_id = self.provider_refund_id or provider_refund_id
        self.lease_until = None
        self.updated_at = now

    def resume(self, now: datetime) -> None:
        """Takes over an abandoned provider call to re-run it with the same key."""
        if self.status is not RefundStatus.PENDING or self.running(now):
            raise InvalidState(f"refund is {self.status} and {'running' if self.running(now) else 'idle'}")
        self.lease_until = now + ACTION_LEASE
        self.updated_at = now

    def abandon(self, now: datetime) -> None:
        if self.status is RefundStatus.PENDING:
            self.lease_until = now
            self.updated_at = now

    def apply_outcome(self, succeeded: bool, reason: str | None, now: datetime) -> bool:
        """Returns False when the refund already ended (a duplicate or late event)."""
        if self.status is not RefundStatus.PENDING:
            return False
        self.status = RefundStatus.SUCCEEDED if succeeded else RefundStatus.FAILED
        self.failure_reason = None if succeeded else reason
        self.lease_until = None
        self.updated_at = now
        return True
