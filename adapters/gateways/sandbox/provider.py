"""The sandbox provider: a hosted-checkout payment provider simulated inside Tessera's process.

It keeps its own state (a `SandboxStore`), applies every money move once per idempotency key,
and owes Tessera a webhook for every change, queued in the same transaction as the change
(`SandboxWebhookSender` delivers them). One-shot faults make it misbehave the way remote
providers do: refuse a call, lose an answer, fail a refund later.
"""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import TypeVar

import msgspec

from adapters.gateways.sandbox.model import (
    Fault,
    FaultKind,
    Operation,
    OutboxEvent,
    SandboxPayment,
    SandboxRefund,
    StoredAnswer,
    new_id,
)
from adapters.gateways.sandbox.store import SandboxStore, SandboxTransaction
from application.errors import NotFound, ProviderError
from application.ports import Clock
from domain.errors import InvalidState, ValidationFailed
from domain.money import Money
from domain.payments import CaptureMethod, PaymentStatus, RefundStatus

Answer = TypeVar("Answer", SandboxPayment, SandboxRefund)
Act = Callable[[SandboxTransaction, FaultKind | None], Awaitable[Answer]]

CHECKOUT_PATH = "/sandbox/checkout"
EXPIRY_BATCH = 100


class Declined(ProviderError):
    """The provider refused the call before doing anything (an injected `decline` fault)."""


class SimulatedTimeout(Exception):
    """The call was done and its answer kept for its key, but the answer never arrived."""


class SandboxProvider:
    def __init__(self, store: SandboxStore, clock: Clock, public_url: str) -> None:
        self._store = store
        self._clock = clock
        self._public_url = public_url.rstrip("/")
        self.events_queued = asyncio.Event()
        """Set after each committed change: a webhook may be waiting to be sent."""

    def approval_url(self, payment_id: str) -> str:
        return f"{self._public_url}{CHECKOUT_PATH}/{payment_id}"

    # The provider's API, as a remote provider's clients would call it.

    async def create_payment(
        self,
        *,
        amount: Money,
        capture_method: CaptureMethod,
        expires_at: datetime,
        description: str,
        idempotency_key: str,
        return_url: str | None = None,
        cancel_url: str | None = None,
    ) -> SandboxPayment:
        async def create(tx: SandboxTransaction, fault: FaultKind | None) -> SandboxPayment:
            now = self._clock.now()
            if amount.amount < 1:
                raise ValidationFailed.on("amount", "a payment needs an amount of at least 1")
            payment = SandboxPayment(
                id=new_id("sbx_pay"),
                amount=amount.amount,
                currency=amount.currency,
                capture_method=capture_method,
                status=PaymentStatus.PENDING,
                description=description,
                expires_at=expires_at,
                created_at=now,
                updated_at=now,
                return_url=return_url,
                cancel_url=cancel_url,
            )
            await tx.save_payment(payment)
            return payment

        return await self._once(idempotency_key, Operation.CREATE, None, create)

    async def capture(self, payment_id: str, amount: Money, idempotency_key: str) -> SandboxPayment:
        async def capture(tx: SandboxTransaction, fault: FaultKind | None) -> SandboxPayment:
            payment = await self._locked(tx, payment_id, amount.currency)
            if payment.status is not PaymentStatus.AUTHORIZED:
                raise InvalidState(f"payment {payment_id} is {payment.status}; only an authorized payment can be captured")
            if not 1 <= amount.amount <= payment.amount_authorized:
                raise ValidationFailed.on(
                    "amount", f"capture amount {amount.amount} must be between 1 and the authorized {payment.amount_authorized}"
                )
            await self._capture(tx, payment, amount.amount)
            return payment

        return await self._once(idempotency_key, Operation.CAPTURE, payment_id, capture)

    async def cancel(self, payment_id: str, idempotency_key: str) -> SandboxPayment:
        async def cancel(tx: SandboxTransaction, fault: FaultKind | None) -> SandboxPayment:
            payment = await self._locked(tx, payment_id)
            if payment.status not in (PaymentStatus.PENDING, PaymentStatus.AUTHORIZED):
                raise InvalidState(f"payment {payment_id} is {payment.status}; only a pending or authorized payment can be canceled")
            await self._end(tx, payment, PaymentStatus.CANCELED, "payment.canceled")
            return payment

        return await self._once(idempotency_key, Operation.CANCEL, payment_id, cancel)

    async def refund(self, payment_id: str, amount: Money, idempotency_key: str, reason: str | None) -> SandboxRefund:
        """Succeeds at once, unless a `fail` fault makes it answer pending and then fail."""

        async def refund(tx: SandboxTransaction, fault: FaultKind | None) -> SandboxRefund:
            payment = await self._locked(tx, payment_id, amount.currency)
            if payment.status not in (PaymentStatus.CAPTURED, PaymentStatus.PARTIALLY_REFUNDED):
                raise InvalidState(f"payment {payment_id} is {payment.status}; only a captured payment can be refunded")
            pending = sum(r.amount for r in await tx.refunds(payment_id) if r.status is RefundStatus.PENDING)
            refundable = payment.amount_captured - payment.amount_refunded - pending
            if not 1 <= amount.amount <= refundable:
                raise ValidationFailed.on(
                    "amount", f"refund amount {amount.amount} must be between 1 and the refundable {refundable}"
                )
            now = self._clock.now()
            accepted = SandboxRefund(
                id=new_id("sbx_re"), payment_id=payment_id, amount=amount.amount, currency=payment.currency,
                status=RefundStatus.PENDING, created_at=now, updated_at=now, reason=reason,
            )
            succeeded = fault is not FaultKind.FAIL
            settled = await self._settle_refund(tx, payment, accepted, succeeded=succeeded)
            # A failing refund answers as accepted; its failure follows by event, as from a remote provider.
            return settled if succeeded else accepted

        return await self._once(idempotency_key, Operation.REFUND, payment_id, refund)

    async def fetch(self, payment_id: str) -> SandboxPayment:
        async with self._store.transaction() as tx:
            return await self._found(tx, payment_id)

    # The buyer, on the hosted checkout page.

    async def approve(self, payment_id: str) -> SandboxPayment:
        """Authorizes the payment; an automatic one is captured in full at once."""
        async with self._writing() as tx:
            payment = await self._open_checkout(tx, payment_id)
            payment.status = PaymentStatus.AUTHORIZED
            payment.amount_authorized = payment.amount
            await self._changed(tx, payment, "payment.authorized", payment.amount_authorized)
            if payment.capture_method is CaptureMethod.AUTOMATIC:
                await self._capture(tx, payment, payment.amount)
        return payment

    async def decline(self, payment_id: str) -> SandboxPayment:
        async with self._writing() as tx:
            payment = await self._open_checkout(tx, payment_id)
            await self._end(tx, payment, PaymentStatus.FAILED, "payment.failed")
        return payment

    # The provider's own housekeeping and the sandbox's controls.

    async def expire_due(self, now: datetime) -> int:
        """Expires pending payments whose checkout time is over; returns how many."""
        async with self._writing() as tx:
            due = await tx.expiring(now, EXPIRY_BATCH)
            for payment in due:
                await self._end(tx, payment, PaymentStatus.EXPIRED, "payment.expired")
        return len(due)

    async def details(self, payment_id: str) -> tuple[SandboxPayment, list[SandboxRefund]]:
        """The payment and its refunds, oldest first, as the provider's dashboard shows them."""
        async with self._store.transaction() as tx:
            return await self._found(tx, payment_id), await tx.refunds(payment_id)

    async def add_fault(self, operation: Operation, kind: FaultKind, payment_id: str | None = None) -> Fault:
        """The next call of `operation` (on `payment_id`, or on any payment) suffers `kind`, once."""
        if kind is FaultKind.FAIL and operation is not Operation.REFUND:
            raise ValidationFailed.on("fault", "only a refund can fail after it was accepted")
        if operation is Operation.CREATE and payment_id is not None:
            raise ValidationFailed.on("payment_id", "a create fault cannot aim at an existing payment")
        fault = Fault(id=new_id("flt"), operation=operation, kind=kind, created_at=self._clock.now(), payment_id=payment_id)
        async with self._store.transaction() as tx:
            if payment_id is not None:
                await self._found(tx, payment_id)
            await tx.add_fault(fault)
        return fault

    # How it works inside.

    async def _once(self, key: str, operation: Operation, payment_id: str | None, act: Act[Answer]) -> Answer:
        """Runs `act` once per idempotency key and replays its first answer afterwards. A refusal
        (a decline, a wrong state or amount) keeps nothing for the key: nothing happened, so a
        retry with the key is a new attempt."""
        answer_type = SandboxRefund if operation is Operation.REFUND else SandboxPayment
        async with self._writing() as tx:
            stored = await tx.answer(key)
            if stored is not None:
                if stored.operation is not operation:
                    raise InvalidState(f"idempotency key {key!r} was used for a {stored.operation}, not a {operation}")
                return msgspec.json.decode(stored.body, type=answer_type)
            fault = await tx.take_fault(operation, payment_id)
            kind = fault.kind if fault else None
            if kind is not FaultKind.DECLINE:
                answer = await act(tx, kind)
                body = msgspec.json.encode(answer)
                await tx.remember(StoredAnswer(key=key, operation=operation, body=body, created_at=self._clock.now()))
        # The fault is used up and the work committed; only now does the caller hear about it.
        if kind is FaultKind.DECLINE:
            raise Declined(f"the sandbox declined the {operation} (injected fault)")
        if kind is FaultKind.TIMEOUT:
            raise SimulatedTimeout(f"the sandbox did the {operation} but its answer was lost (injected fault)")
        return answer

    @asynccontextmanager
    async def _writing(self) -> AsyncIterator[SandboxTransaction]:
        async with self._store.transaction() as tx:
            yield tx
        self.events_queued.set()

    async def _found(self, tx: SandboxTransaction, payment_id: str, *, lock: bool = False) -> SandboxPayment:
        payment = await tx.payment(payment_id, lock=lock)
        if payment is None:
            raise NotFound(f"no sandbox payment {payment_id}")
        return payment

    async def _locked(self, tx: SandboxTransaction, payment_id: str, currency: str | None = None) -> SandboxPayment:
        payment = await self._found(tx, payment_id, lock=True)
        if currency is not None and currency != payment.currency:
            raise ValidationFailed.on("currency", f"payment {payment_id} is in {payment.currency}, not {currency}")
        return payment

    async def _open_checkout(self, tx: SandboxTransaction, payment_id: str) -> SandboxPayment:
        payment = await self._locked(tx, payment_id)
        if payment.status is not PaymentStatus.PENDING:
            raise InvalidState(f"payment {payment_id} is {payment.status}; its checkout is over")
        if payment.expires_at <= self._clock.now():
            raise InvalidState(f"the checkout of payment {payment_id} expired")
        return payment

    async def _capture(self, tx: SandboxTransaction, payment: SandboxPayment, amount: int) -> None:
        payment.status = PaymentStatus.CAPTURED
        payment.amount_captured = amount
        payment.capture_count += 1
        await self._changed(tx, payment, "payment.captured", amount)

    async def _end(self, tx: SandboxTransaction, payment: SandboxPayment, status: PaymentStatus, event_type: str) -> None:
        payment.status = status
        await self._changed(tx, payment, event_type, payment.amount)

    async def _settle_refund(
        self, tx: SandboxTransaction, payment: SandboxPayment, refund: SandboxRefund, *, succeeded: bool
    ) -> SandboxRefund:
        """Returns the refund as settled; `refund` itself stays as it was accepted."""
        settled = copy.copy(refund)
        settled.status = RefundStatus.SUCCEEDED if succeeded else RefundStatus.FAILED
        await tx.add_refund(settled)
        if succeeded:
            payment.amount_refunded += refund.amount
            payment.status = (
                PaymentStatus.REFUNDED if payment.amount_refunded == payment.amount_captured else PaymentStatus.PARTIALLY_REFUNDED
            )
            await self._changed(tx, payment, "refund.succeeded", refund.amount, refund.id)
        else:
            await self._emit(tx, "refund.failed", payment, refund.amount, refund.id)
        return settled

    async def _changed(
        self, tx: SandboxTransaction, payment: SandboxPayment, event_type: str, amount: int, refund_id: str | None = None
    ) -> None:
        payment.updated_at = self._clock.now()
        await tx.save_payment(payment)
        await self._emit(tx, event_type, payment, amount, refund_id)

    async def _emit(
        self, tx: SandboxTransaction, event_type: str, payment: SandboxPayment, amount: int, refund_id: str | None = None
    ) -> None:
        """Queues the webhook in the transaction of the change it reports: never one without the other."""
        now = self._clock.now()
        event_id = new_id("evt")
        data: dict[str, object] = {"payment_id": payment.id}
        if refund_id is not None:
            data["refund_id"] = refund_id
        data |= {"amount": amount, "currency": payment.currency}
        body = {"id": event_id, "type": event_type, "created_at": now.isoformat(), "data": data}
        await tx.save_event(
            OutboxEvent(id=event_id, type=event_type, body=json.dumps(body).encode(), created_at=now, next_attempt_at=now)
        )
