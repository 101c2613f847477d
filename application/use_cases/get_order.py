from __future__ import annotations

from uuid import UUID

from application.errors import NotFound
from application.ports import UnitOfWorkFactory
from application.views import OrderDetails


class GetOrder:
    """Reads one order with its customer, payments and refunds."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, order_id: UUID) -> OrderDetails:
        async with self._uow() as uow:
            order = await uow.orders.get(order_id)
            if order is None:
                raise NotFound(f"no order {order_id}")
            customers = await uow.customers.get_many([order.customer_id])
            payments = await uow.payments.list_for_order(order.id)
            refunds = await uow.refunds.list_for_order(order.id)
        return OrderDetails(order=order, customer=customers[order.customer_id], payments=payments, refunds=refunds)
