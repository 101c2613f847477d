from __future__ import annotations

from application.auditing import AuditRecorder
from application.commands import CancelPayment as CancelPaymentCommand
from application.ports import Clock, UnitOfWorkFactory
from application.provider_calls import ProviderCalls
from application.settlement import lock_order_and_payment, save_action_request
from domain.errors import InvalidState
from domain.payments import Payment


class CancelPayment:
    """Voids a payment that has not been captured: a pending checkout or an authorization.

    Rules: only a pending or authorized payment can be canceled; as with a capture, the intent
    is committed before the provider is called with a key derived from the payment's id, so
    concurrent or repeated requests void it once; the order is free to be paid again.
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, audit: AuditRecorder, calls: ProviderCalls) -> None:
        self._uow = uow
        self._clock = clock
        self._audit = audit
        self._calls = calls

    async def __call__(self, cmd: CancelPaymentCommand) -> Payment:
        async with self._uow() as uow:
            _, payment = await lock_order_and_payment(uow, cmd.payment_id)
            payment.request_cancel(self._clock.now())
            if payment.provider_payment_id is None:
                raise InvalidState("the payment is still being created at its provider; try again shortly")
            await save_action_request(uow, self._audit, payment, cmd.actor)
            await uow.commit()
        return await self._calls.cancel(payment, cmd.actor)
