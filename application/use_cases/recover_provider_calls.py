from __future__ import annotations

from application.errors import ProviderError, Unavailable
from application.ports import Clock, UnitOfWorkFactory
from application.provider_calls import ProviderCalls
from domain.payments import ActionKind, Payment, Refund

RECOVERY_ACTOR = "system:recovery"


class RecoverProviderCalls:
    """Finishes money moves a crash or a timeout left half done.

    Rules: an intent whose lease ended (its call timed out, or the process died between
    phases) is claimed by one recoverer at a time, its lease renewed and committed, and only
    then is the provider called again with the intent's own key, so the provider applies it at
    most once; a checkout whose creation at the provider never finished is expired instead,
    since its buyer never received a way to pay it and the next checkout starts afresh.
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, calls: ProviderCalls) -> None:
        self._uow = uow
        self._clock = clock
        self._calls = calls

    async def __call__(self, batch_size: int) -> int:
        """Returns how many intents it finished or re-ran."""
        payments, refunds = await self._claim(batch_size)
        for payment in payments:
            await self._rerun(payment)
        for refund, provider_payment_id in refunds:
            try:
                await self._calls.refund(refund, provider_payment_id, RECOVERY_ACTOR)
            except (ProviderError, Unavailable):
                pass  # recorded by the call: refused, or abandoned again for the next round
        return len(payments) + len(refunds)

    async def _claim(self, batch_size: int) -> tuple[list[Payment], list[tuple[Refund, str]]]:
        now = self._clock.now()
        async with self._uow() as uow:
            payments = await uow.payments.claim_abandoned(now, batch_size)
            for payment in payments:
                payment.resume_action(now)
                await uow.payments.save(payment)
            refunds = []
            for refund in await uow.refunds.claim_abandoned(now, batch_size):
                payment = await uow.payments.get(refund.payment_id)
                assert payment is not None and payment.provider_payment_id is not None  # refunds follow captures
                refund.resume(now)
                await uow.refunds.save(refund)
                refunds.append((refund, payment.provider_payment_id))
            await uow.commit()
        return payments, refunds

    async def _rerun(self, payment: Payment) -> None:
        assert payment.action is not None  # claimed for its action
        try:
            if payment.action.kind is ActionKind.CREATE:
                await self._calls.record(payment, RECOVERY_ACTOR, lambda p, now: p.apply_expired(now))
            elif payment.action.kind is ActionKind.CAPTURE:
                await self._calls.capture(payment, RECOVERY_ACTOR)
            else:
                await self._calls.cancel(payment, RECOVERY_ACTOR)
        except (ProviderError, Unavailable):
            pass  # recorded by the call: refused, or abandoned again for the next round
