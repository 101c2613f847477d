"""What provider events do to payments and refunds: the webhook worker's handlers.

Events arrive late, twice and out of order. Each handler locks the order and the payment as
every writer does, applies the fact through the domain (which ignores what would move a
payment backwards) and lets the order's status follow. An event about something Tessera has
not recorded yet (a capture event racing the answer it belongs to) raises, so the worker
retries it with back-off instead of losing it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from application.auditing import AuditRecorder
from application.ports import Clock, IdGenerator, PaymentEventFacts, PaymentEventReader, UnitOfWork, WebhookHandler
from application.provider_calls import ProviderCalls
from application.settlement import add_refund_request, lock_order_and_payment, void_later
from domain.orders import Order, OrderStatus
from domain.payments import CAPTURED_STATUSES, Payment, PaymentStatus, Refund
from domain.webhooks import WebhookEvent

PaymentFact = Callable[[Payment, PaymentEventFacts, datetime], bool]

PAYMENT_FACTS: dict[str, PaymentFact] = {
    "authorized": lambda payment, facts, now: payment.apply_authorized(facts.amount, now),
    "captured": lambda payment, facts, now: payment.apply_captured(facts.amount, now),
    "failed": lambda payment, facts, now: payment.apply_failed(facts.reason or "declined by the provider", now),
    "canceled": lambda payment, facts, now: payment.apply_canceled(now),
    "expired": lambda payment, facts, now: payment.apply_expired(now),
}
"""The payment facts a provider event can state, by name."""


class EventNotApplicableYet(Exception):
    """The event refers to a state Tessera has not recorded yet; retrying later will apply it."""


def actor_of(event: WebhookEvent) -> str:
    return f"webhook:{event.provider}"


async def _locked_payment(uow: UnitOfWork, event: WebhookEvent, facts: PaymentEventFacts) -> tuple[Order, Payment]:
    found = await uow.payments.get_by_provider_id(event.provider, facts.provider_payment_id)
    if found is None:
        raise EventNotApplicableYet(f"no payment {facts.provider_payment_id} of {event.provider} is recorded yet")
    return await lock_order_and_payment(uow, found.id, found.order_id)


ALREADY_PAID = "the order was already paid by another payment"


class SurplusPayments:
    """Money an order does not need goes back: money that arrives after the order was
    cancelled (by request or expiry), or a second payment of an order another payment already
    covers (a buyer who paid in two tabs, with two providers).

    Rules: a capture wins over an authorization, and the first of two authorizations stays; a
    surplus authorization is voided and a surplus capture refunded in full, each
    recorded as an intent whose lease has already ended, so the recovery job makes the provider
    call (never the webhook handler, which holds a transaction); the order keeps its status.
    """

    def __init__(self, clock: Clock, ids: IdGenerator, audit: AuditRecorder) -> None:
        self._clock = clock
        self._ids = ids
        self._audit = audit

    async def give_back(self, uow: UnitOfWork, order: Order, payment: Payment, actor: str) -> None:
        """Call after `payment` changed: gives it back if the order does not need it, and voids
        an authorization of the order that a capture has just made surplus."""
        if payment.status is not PaymentStatus.AUTHORIZED and payment.status not in CAPTURED_STATUSES:
            return
        if order.status is OrderStatus.CANCELLED:
            await self._return(uow, payment, actor, "paid after the order was cancelled")
            return
        others = [p for p in await uow.payments.list_for_order(order.id) if p.id != payment.id]
        if any(p.status in CAPTURED_STATUSES for p in others):
            await self._return(uow, payment, actor, ALREADY_PAID)
        elif payment.status in CAPTURED_STATUSES:
            for authorized in (p for p in others if p.status is PaymentStatus.AUTHORIZED):
                await self._return(uow, authorized, actor, ALREADY_PAID)
        elif any(p.status is PaymentStatus.AUTHORIZED for p in others):
            await self._return(uow, payment, actor, ALREADY_PAID)  # the first authorization stays

    async def _return(self, uow: UnitOfWork, payment: Payment, actor: str, reason: str) -> None:
        if payment.action is not None:
            return  # a capture or void of it is under way; it settles the question
        now = self._clock.now()
        if payment.status is PaymentStatus.AUTHORIZED:
            await void_later(uow, self._audit, payment, actor, reason, now)
        elif payment.refundable > 0 and payment.amount_refund_pending == 0:
            amount = payment.reserve_refund(None, now)
            refund = Refund.request(id=self._ids.new_id(), payment=payment, amount=amount, reason=reason, now=now)
            refund.abandon(now)  # due for the recovery job at once
            await add_refund_request(uow, self._audit, payment, refund, actor)


class ApplyPaymentEvent(WebhookHandler):
    def __init__(self, reader: PaymentEventReader, calls: ProviderCalls, surplus: SurplusPayments, fact: PaymentFact) -> None:
        self._reader = reader
        self._calls = calls
        self._surplus = surplus
        self._fact = fact

    async def __call__(self, event: WebhookEvent, uow: UnitOfWork) -> None:
        facts = self._reader.read(event.payload)
        order, payment = await _locked_payment(uow, event, facts)
        await self._calls.apply(uow, order, payment, actor_of(event), lambda p, now: self._fact(p, facts, now))
        await self._surplus.give_back(uow, order, payment, actor_of(event))


class ApplyRefundEvent(WebhookHandler):
    """A refund's outcome. A refund made at the provider directly (not through Tessera) is
    recorded as it happened, once Tessera knows the payment was captured."""

    def __init__(
        self,
        reader: PaymentEventReader,
        calls: ProviderCalls,
        clock: Clock,
        ids: IdGenerator,
        succeeded: bool,
    ) -> None:
        self._reader = reader
        self._calls = calls
        self._clock = clock
        self._ids = ids
        self._succeeded = succeeded

    async def __call__(self, event: WebhookEvent, uow: UnitOfWork) -> None:
        facts = self._reader.read(event.payload)
        if facts.provider_refund_id is None:
            raise ValueError("a refund event without a refund id")
        order, payment = await _locked_payment(uow, event, facts)
        refund = await uow.refunds.get_by_provider_id(event.provider, facts.provider_refund_id, lock=True)
        if refund is not None:
            await self._calls.apply_refund(
                uow, order, payment, refund, actor_of(event),
                lambda r, now: r.apply_outcome(self._succeeded, facts.reason, now),
            )
        elif self._succeeded:
            await self._record_external(uow, event, order, payment, facts, facts.provider_refund_id)

    async def _record_external(
        self, uow: UnitOfWork, event: WebhookEvent, order: Order, payment: Payment, facts: PaymentEventFacts, refund_id: str
    ) -> None:
        if payment.amount_refund_pending > 0:
            # It may be one of Tessera's own refunds whose answer (with this id) is not recorded yet.
            raise EventNotApplicableYet(f"payment {payment.id} has a refund awaiting its provider's answer")
        if payment.status not in CAPTURED_STATUSES:
            raise EventNotApplicableYet(f"payment {payment.id} is not recorded as captured yet")
        now = self._clock.now()
        previous = payment.status
        refund = Refund.external(id=self._ids.new_id(), payment=payment, amount=facts.amount, provider_refund_id=refund_id, now=now)
        payment.apply_external_refund(facts.amount, now)
        await uow.refunds.add(refund)
        await self._calls.record_refund_outcome(uow, order, payment, previous, refund, actor_of(event), None)
