from __future__ import annotations

from application.commands import SearchOrders as SearchOrdersQuery
from application.errors import InvalidRequest
from application.pagination import check_limit, decode_time_cursor, encode_time_cursor, parse_status
from application.ports import OrderQuery, UnitOfWorkFactory
from application.views import OrderDetails, Page
from domain.customers import normalise_email
from domain.orders import OrderStatus


class SearchOrders:
    """Finds orders by customer e-mail, status, creation range and event, newest first.

    Rules: the e-mail is matched after the same normalisation as at placement; the range is
    [created_from, created_to); pages are keyset-paginated so concurrent inserts never
    shift or repeat rows.
    """

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, query: SearchOrdersQuery) -> Page[OrderDetails]:
        limit = check_limit(query.limit)
        status = parse_status(OrderStatus, query.status, "order")
        if query.created_from and query.created_to and query.created_from > query.created_to:
            raise InvalidRequest("created_from must not be after created_to")
        criteria = OrderQuery(
            limit=limit + 1,
            email=normalise_email(query.email) if query.email else None,
            status=status,
            created_from=query.created_from,
            created_to=query.created_to,
            event_id=query.event_id,
            before=decode_time_cursor(query.cursor) if query.cursor else None,
        )
        async with self._uow() as uow:
            orders = await uow.orders.search(criteria)
            page = orders[:limit]
            customers = await uow.customers.get_many(sorted({o.customer_id for o in page}))
        next_cursor = encode_time_cursor(page[-1].created_at, page[-1].id) if len(orders) > limit else None
        return Page(items=[OrderDetails(o, customers[o.customer_id]) for o in page], next_cursor=next_cursor)

