from __future__ import annotations

from application.auditing import AuditRecorder
from application.commands import CancelOrder as CancelOrderCommand
from application.errors import NotFound
from application.ports import Clock, UnitOfWorkFactory
from application.settlement import release_places, void_later
from application.views import OrderDetails
from domain.payments import PaymentStatus


class CancelOrder:
    """Cancels an unpaid order and gives its units back to the catalog.

    Rules: an order with a captured payment (or a capture under way) cannot be cancelled:
    refund it instead; its authorizations are voided (an intent the recovery job carries out
    at the provider within a worker step); the order row is locked first, then its payments,
    then its products in sku order (the order every writer takes them in), so a cancel racing a
    payment or another cancel sees one winner; the release, the voids and the audit entries
    commit together. A checkout still open at the provider is left to expire there; should the
    buyer pay it anyway, the money is given back (see the payment event handlers).
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, audit: AuditRecorder) -> None:
        self._uow = uow
        self._clock = clock
        self._audit = audit

    async def __call__(self, cmd: CancelOrderCommand) -> OrderDetails:
        now = self._clock.now()
        async with self._uow() as uow:
            order = await uow.orders.get(cmd.order_id, lock=True)
            if order is None:
                raise NotFound(f"no order {cmd.order_id}")
            payments = await uow.payments.list_for_order(order.id)
            previous = order.cancel(now, payments)
            quantities = await release_places(uow, order, now)
            await uow.orders.save(order)
            for authorized in (p for p in payments if p.status is PaymentStatus.AUTHORIZED and p.action is None):
                await void_later(uow, self._audit, authorized, cmd.actor, "the order was cancelled", now)
            await uow.audit.append(
                self._audit.entry(
                    entity_type="order",
                    entity_id=order.id,
                    action="order.cancelled",
                    actor=cmd.actor,
                    from_status=previous,
                    to_status=order.status,
                    amount=order.total.amount,
                    currency=order.currency,
                    details={"released": quantities},
                )
            )
            customers = await uow.customers.get_many([order.customer_id])
            await uow.commit()
        return OrderDetails(order=order, customer=customers[order.customer_id])
