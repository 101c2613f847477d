"""What every payment or refund change ends with: the lock order that keeps writers deadlock-free,
the order's derived status, and the intents (voids, refunds) recorded for later provider calls."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from application.auditing import AuditRecorder
from application.errors import NotFound
from application.ports import Clock, UnitOfWork
from domain.orders import Order
from domain.payments import Payment, Refund


async def lock_order_and_payment(
    uow: UnitOfWork, payment_id: UUID, order_id: UUID | None = None
) -> tuple[Order, Payment]:
    """Locks the payment's order first, then the payment. Pass `order_id` when it is known (it
    never changes) to save looking it up.

    Every writer of payments takes the order's row first (checkout, capture, cancel, refunds,
    provider events), so they queue on one row in one order and never deadlock; products come
    last, as when an order is placed or cancelled.
    """
    if order_id is None:
        found = await uow.payments.get(payment_id)
        if found is None:
            raise NotFound(f"no payment {payment_id}")
        order_id = found.order_id
    order = await uow.orders.get(order_id, lock=True)
    payment = await uow.payments.get(payment_id, lock=True)
    if order is None or payment is None or payment.order_id != order_id:
        raise NotFound(f"no payment {payment_id}")
    return order, payment


async def release_places(uow: UnitOfWork, order: Order, now: datetime) -> dict[str, int]:
    """Gives the order's units back to the catalog; products are locked in sku order, after
    the order, as everywhere. Returns the quantities released by sku."""
    quantities = order.quantities_by_sku()
    products = await uow.products.lock_by_skus(sorted(quantities))
    for sku, quantity in quantities.items():
        products[sku].release(quantity, now)
    await uow.products.save(list(products.values()))
    return quantities


async def void_later(uow: UnitOfWork, audit: AuditRecorder, payment: Payment, actor: str, reason: str, now: datetime) -> None:
    """Records the intent to void an authorization the order no longer needs, its lease already
    ended, so the worker's recovery job makes the provider call: the caller holds a
    transaction (maybe a webhook's), and a provider is never called inside one."""
    payment.request_cancel(now)
    payment.abandon_action(now)
    await save_action_request(uow, audit, payment, actor, details={"reason": reason})


async def save_action_request(
    uow: UnitOfWork,
    audit: AuditRecorder,
    payment: Payment,
    actor: str,
    amount: int | None = None,
    details: dict[str, object] | None = None,
) -> None:
    """Stores the payment with the action it was just asked for (`payment.<kind>_requested`)."""
    assert payment.action is not None  # just requested
    await uow.payments.save(payment)
    await uow.audit.append(
        audit.entry(
            entity_type="payment",
            entity_id=payment.id,
            action=f"payment.{payment.action.kind}_requested",
            actor=actor,
            from_status=payment.status,
            to_status=payment.status,
            amount=amount,
            currency=payment.currency,
            details=details,
        )
    )


async def add_refund_request(uow: UnitOfWork, audit: AuditRecorder, payment: Payment, refund: Refund, actor: str) -> None:
    """Stores a pending refund with the reservation it made on its payment, and audits it."""
    await uow.payments.save(payment)
    await uow.refunds.add(refund)
    await uow.audit.append(
        audit.entry(
            entity_type="refund",
            entity_id=refund.id,
            action="refund.requested",
            actor=actor,
            to_status=refund.status,
            amount=refund.amount,
            currency=refund.currency,
            details={"payment_id": str(payment.id), **({"reason": refund.reason} if refund.reason else {})},
        )
    )


class Settlement:
    """Derives an order's status from all its payments after one of them changed.

    Rules: the order's status and its paid and refunded amounts are never set by hand; a change
    of status is audited with the actor who caused it; an order that becomes refunded or failed
    gives its places back to the catalog in the same transaction.
    """

    def __init__(self, clock: Clock, audit: AuditRecorder) -> None:
        self._clock = clock
        self._audit = audit

    async def __call__(self, uow: UnitOfWork, order: Order, actor: str) -> None:
        now = self._clock.now()
        payments = await uow.payments.list_for_order(order.id)
        previous = order.settle(payments, now)
        await uow.orders.save(order)
        if previous is None:
            return
        details: dict[str, object] = {"amount_paid": order.amount_paid, "amount_refunded": order.amount_refunded}
        if order.releases_capacity(previous):
            details["released"] = await release_places(uow, order, now)
        await uow.audit.append(
            self._audit.entry(
                entity_type="order",
                entity_id=order.id,
                action=f"order.{order.status}",
                actor=actor,
                from_status=previous,
                to_status=order.status,
                amount=order.total.amount,
                currency=order.currency,
                details=details,
            )
        )
