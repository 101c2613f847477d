from __future__ import annotations

from application.auditing import AuditRecorder
from application.commands import RefundPayment as RefundPaymentCommand
from application.ports import Clock, IdGenerator, UnitOfWorkFactory
from application.provider_calls import ProviderCalls
from application.settlement import add_refund_request, lock_order_and_payment
from domain.payments import Refund


class RefundPayment:
    """Gives back part or all of a captured payment.

    Rules: only a captured (or partly refunded) payment can be refunded, by at most what is
    still refundable: captured minus refunded minus pending refunds, checked with the payment
    locked, so concurrent refunds can never add up to more than was captured; the pending
    refund and its reservation commit before the provider is called with a key derived from the
    refund's id; the outcome (answer or event) settles the reservation: a failed refund makes
    its amount refundable again. Every refund and its outcome is audited with actor and reason.
    A request repeated with the same idempotency key gets the refund it already made, even if
    its first answer was lost in a crash: one request never refunds twice.
    """

    def __init__(
        self, uow: UnitOfWorkFactory, clock: Clock, ids: IdGenerator, audit: AuditRecorder, calls: ProviderCalls
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._ids = ids
        self._audit = audit
        self._calls = calls

    async def __call__(self, cmd: RefundPaymentCommand) -> Refund:
        now = self._clock.now()
        async with self._uow() as uow:
            _, payment = await lock_order_and_payment(uow, cmd.payment_id)
            if cmd.request_key is not None:
                earlier = await uow.refunds.find_by_request_key(payment.id, cmd.request_key)
                if earlier is not None:
                    return earlier
            amount = payment.reserve_refund(cmd.amount, now)
            refund = Refund.request(
                id=self._ids.new_id(), payment=payment, amount=amount, reason=cmd.reason, now=now,
                request_key=cmd.request_key,
            )
            await add_refund_request(uow, self._audit, payment, refund, cmd.actor)
            await uow.commit()
        assert payment.provider_payment_id is not None  # a captured payment exists at its provider
        return await self._calls.refund(refund, payment.provider_payment_id, cmd.actor)
