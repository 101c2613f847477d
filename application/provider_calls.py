"""The second and third phases of every money move: call the provider, record its answer.

The first phase (the use case) has committed the intent: a payment's `PendingAction` or a
pending `Refund`, each carrying the key the provider sees. Here the provider is called with
that key outside any transaction, then its answer is recorded in a transaction of its own
with its audit entry and the order's new status. The recovery job re-enters here for intents
a crash or a timeout left behind, with the same keys.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from application.auditing import AuditRecorder
from application.errors import NotFound, ProviderError, ProviderOutcomeUnknown
from application.gateways import PaymentGateways
from application.ports import Clock, PaymentGateway, PaymentRequest, ProviderPayment, UnitOfWork, UnitOfWorkFactory
from application.settlement import Settlement, lock_order_and_payment
from domain.money import Money
from domain.orders import Order
from domain.payments import ActionKind, Payment, PaymentStatus, PendingAction, Refund, RefundStatus

PaymentChange = Callable[[Payment, datetime], bool]


class ProviderCalls:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        audit: AuditRecorder,
        gateways: PaymentGateways,
        settlement: Settlement,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._audit = audit
        self._gateways = gateways
        self._settlement = settlement

    async def create(self, payment: Payment, order: Order, return_url: str | None, cancel_url: str | None, actor: str) -> Payment:
        request = PaymentRequest(
            payment_id=payment.id,
            order_id=order.id,
            order_number=order.number,
            amount=payment.money,
            capture_method=payment.capture_method,
            expires_at=payment.expires_at,
            idempotency_key=payment.key_for(ActionKind.CREATE),
            return_url=return_url,
            cancel_url=cancel_url,
        )

        def created(found: Payment, result: ProviderPayment, now: datetime) -> bool:
            submitted = found.apply_created(result.provider_payment_id, result.client_secret, result.approval_url, now)
            reported = found.apply_reported(
                result.status, result.amount_authorized, result.amount_captured, result.failure_reason, now
            )
            return submitted or reported

        return await self._call(
            payment, ActionKind.CREATE, actor, lambda gateway: gateway.create_payment(request), created, "payment.submitted"
        )

    async def capture(self, payment: Payment, actor: str) -> Payment:
        action = _action_of(payment, ActionKind.CAPTURE)
        amount = Money(action.amount or payment.amount_authorized, payment.currency)
        return await self._call(
            payment,
            ActionKind.CAPTURE,
            actor,
            lambda gateway: gateway.capture(_provider_id(payment), amount, payment.key_for(ActionKind.CAPTURE)),
            _reported,
        )

    async def cancel(self, payment: Payment, actor: str) -> Payment:
        return await self._call(
            payment,
            ActionKind.CANCEL,
            actor,
            lambda gateway: gateway.cancel(_provider_id(payment), payment.key_for(ActionKind.CANCEL)),
            _reported,
        )

    async def refund(self, refund: Refund, provider_payment_id: str, actor: str) -> Refund:
        gateway = self._gateways.get(refund.provider)
        amount = Money(refund.amount, refund.currency)
        try:
            result = await gateway.refund(provider_payment_id, amount, refund.key, refund.reason)
        except ProviderError as error:
            reason = error.message
            await self._record_refund(refund, actor, lambda found, now: found.apply_outcome(False, reason, now))
            raise
        except ProviderOutcomeUnknown:
            await self._record_refund(refund, actor, lambda found, now: _abandoned(found.abandon, now))
            raise

        def answered(found: Refund, now: datetime) -> bool:
            found.apply_submitted(result.provider_refund_id, now)
            if result.status is RefundStatus.PENDING:
                return False
            return found.apply_outcome(result.status is RefundStatus.SUCCEEDED, result.failure_reason, now)

        return await self._record_refund(refund, actor, answered)

    async def _call(
        self,
        payment: Payment,
        kind: ActionKind,
        actor: str,
        call: Callable[[PaymentGateway], Awaitable[ProviderPayment]],
        apply: Callable[[Payment, ProviderPayment, datetime], bool],
        action: str | None = None,
    ) -> Payment:
        try:
            result = await call(self._gateways.get(payment.provider))
        except ProviderError as error:
            reason = error.message
            refused = f"payment.{kind}_refused"
            await self.record(payment, actor, lambda found, now: _refused(found, kind, reason, now), refused)
            raise
        except ProviderOutcomeUnknown:
            await self.record(payment, actor, lambda found, now: _abandoned(found.abandon_action, now))
            raise
        return await self.record(payment, actor, lambda found, now: apply(found, result, now), action)

    async def record(self, known: Payment, actor: str, change: PaymentChange, action: str | None = None) -> Payment:
        """Applies `change` to the payment, freshly locked, and commits it with its audit entry
        and the order's new status. The entry's action is `action`, or the payment's new status."""
        async with self._uow() as uow:
            order, payment = await lock_order_and_payment(uow, known.id, known.order_id)
            await self.apply(uow, order, payment, actor, change, action)
            await uow.commit()
        return payment

    async def apply(
        self, uow: UnitOfWork, order: Order, payment: Payment, actor: str, change: PaymentChange, action: str | None = None
    ) -> None:
        """`record` inside a unit of work the caller holds (a webhook handler's)."""
        previous = payment.status
        if not change(payment, self._clock.now()):
            await uow.payments.save(payment)  # an abandoned lease or a dropped action still counts
            return
        await uow.payments.save(payment)
        await uow.audit.append(
            self._audit.entry(
                entity_type="payment",
                entity_id=payment.id,
                action=action or f"payment.{payment.status}",
                actor=actor,
                from_status=previous,
                to_status=payment.status,
                amount=payment.amount_captured or payment.amount_authorized or payment.amount,
                currency=payment.currency,
                details=_payment_details(payment),
            )
        )
        await self._settlement(uow, order, actor)

    async def _record_refund(self, known: Refund, actor: str, change: Callable[[Refund, datetime], bool]) -> Refund:
        async with self._uow() as uow:
            order, payment = await lock_order_and_payment(uow, known.payment_id, known.order_id)
            refund = await uow.refunds.get(known.id, lock=True)
            if refund is None:
                raise NotFound(f"no refund {known.id}")
            await self.apply_refund(uow, order, payment, refund, actor, change)
            await uow.commit()
        return refund

    async def apply_refund(
        self,
        uow: UnitOfWork,
        order: Order,
        payment: Payment,
        refund: Refund,
        actor: str,
        change: Callable[[Refund, datetime], bool],
    ) -> None:
        """Applies `change` to a locked refund; when it ends the refund, the payment's
        reservation becomes refunded money or is released, and the order follows."""
        now = self._clock.now()
        ended = change(refund, now)
        await uow.refunds.save(refund)
        if not ended:
            return
        previous = payment.status
        payment.settle_refund(refund.amount, refund.status is RefundStatus.SUCCEEDED, now)
        await self.record_refund_outcome(uow, order, payment, previous, refund, actor, RefundStatus.PENDING)

    async def record_refund_outcome(
        self,
        uow: UnitOfWork,
        order: Order,
        payment: Payment,
        previous: PaymentStatus,
        refund: Refund,
        actor: str,
        from_status: RefundStatus | None,
    ) -> None:
        """Saves the payment an ended refund changed (it was `previous`), audits the outcome and
        lets the order follow. `from_status` is None for a refund Tessera learns of as ended."""
        await uow.payments.save(payment)
        await uow.audit.append(
            self._audit.entry(
                entity_type="refund",
                entity_id=refund.id,
                action=f"refund.{refund.status}",
                actor=actor,
                from_status=from_status,
                to_status=refund.status,
                amount=refund.amount,
                currency=refund.currency,
                details={
                    "payment_id": str(payment.id),
                    "payment_status": {"from": previous, "to": payment.status},
                    **({"reason": refund.reason} if refund.reason else {}),
                    **({"failure_reason": refund.failure_reason} if refund.failure_reason else {}),
                },
            )
        )
        await self._settlement(uow, order, actor)


def _reported(payment: Payment, result: ProviderPayment, now: datetime) -> bool:
    return payment.apply_reported(result.status, result.amount_authorized, result.amount_captured, result.failure_reason, now)


def _refused(payment: Payment, kind: ActionKind, reason: str, now: datetime) -> bool:
    if kind is ActionKind.CREATE:
        return payment.apply_failed(reason, now)
    payment.drop_action(kind, reason, now)
    return True


def _abandoned(abandon: Callable[[datetime], None], now: datetime) -> bool:
    abandon(now)
    return False


def _action_of(payment: Payment, kind: ActionKind) -> PendingAction:
    if payment.action is None or payment.action.kind is not kind:
        raise RuntimeError(f"payment {payment.id} has no {kind} in progress")
    return payment.action


def _provider_id(payment: Payment) -> str:
    if payment.provider_payment_id is None:
        raise RuntimeError(f"payment {payment.id} was never created at its provider")
    return payment.provider_payment_id


def _payment_details(payment: Payment) -> dict[str, object]:
    details: dict[str, object] = {"provider": payment.provider}
    if payment.provider_payment_id:
        details["provider_payment_id"] = payment.provider_payment_id
    if payment.failure_reason:
        details["failure_reason"] = payment.failure_reason
    return details
