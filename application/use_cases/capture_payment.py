from __future__ import annotations

from application.auditing import AuditRecorder
from application.commands import CapturePayment as CapturePaymentCommand
from application.ports import Clock, UnitOfWorkFactory
from application.provider_calls import ProviderCalls
from application.settlement import lock_order_and_payment, save_action_request
from domain.errors import InvalidState
from domain.payments import Payment


class CapturePayment:
    """Captures an authorized payment, in full or in part, once.

    Rules: only an authorized payment can be captured, for at most what was authorized; the
    intent is committed (payment locked, behind its order) before the provider is called, so of
    concurrent requests exactly one reaches the provider and the others are refused as
    `invalid_state`; the provider sees a key derived from the payment's id, so a retry after a
    timeout (same amount) repeats that call instead of capturing twice.
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, audit: AuditRecorder, calls: ProviderCalls) -> None:
        self._uow = uow
        self._clock = clock
        self._audit = audit
        self._calls = calls

    async def __call__(self, cmd: CapturePaymentCommand) -> Payment:
        async with self._uow() as uow:
            _, payment = await lock_order_and_payment(uow, cmd.payment_id)
            if payment.provider_payment_id is None:
                raise InvalidState("the payment was never created at its provider")
            amount = payment.request_capture(cmd.amount, self._clock.now())
            await save_action_request(uow, self._audit, payment, cmd.actor, amount)
            await uow.commit()
        return await self._calls.capture(payment, cmd.actor)
