from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody

from application.commands import CancelOrder as CancelOrderCommand
from application.commands import SearchOrders as SearchOrdersQuery
from application.use_cases.cancel_order import CancelOrder
from application.use_cases.get_order import GetOrder
from application.use_cases.place_order import PlaceOrder
from application.use_cases.search_orders import SearchOrders
from domain.orders import OrderStatus
from entrypoints.http.auth import STOREFRONT
from entrypoints.http.idempotency import IDEMPOTENT
from entrypoints.http.problems import BODY_PROBLEMS, problem_responses
from entrypoints.http.schemas import Cursor, Limit, OrderListOut, OrderOut, PlaceOrderIn


class OrderController(Controller):
    path = "/v1/orders"
    tags = ["orders"]

    @post(opt=STOREFRONT | IDEMPOTENT, responses=problem_responses(*BODY_PROBLEMS, "currency_mismatch", "sold_out"))
    async def place(
        self,
        data: JSONBody[PlaceOrderIn],
        place_order: NamedDependency[PlaceOrder],
        actor: NamedDependency[str],
        request_key: NamedDependency[str | None],
    ) -> OrderOut:
        return OrderOut.of(await place_order(data.to_command(actor, request_key)))

    @get("/{order_id:str}", opt=STOREFRONT, responses=problem_responses("not_found"))
    async def show(self, order_id: FromPath[UUID], get_order: NamedDependency[GetOrder]) -> OrderOut:
        return OrderOut.of(await get_order(order_id))

    @get(responses=problem_responses("validation_failed"))
    async def search(
        self,
        search_orders: NamedDependency[SearchOrders],
        email: FromQuery[str | None] = None,
        status: FromQuery[OrderStatus | None] = None,
        created_from: FromQuery[datetime | None] = None,
        created_to: FromQuery[datetime | None] = None,
        event_id: FromQuery[str | None] = None,
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> OrderListOut:
        """Newest first; `created_to` is exclusive; times without an offset are read as UTC."""
        page = await search_orders(
            SearchOrdersQuery(
                limit=limit,
                cursor=cursor,
                email=email,
                status=status,
                created_from=_as_utc(created_from),
                created_to=_as_utc(created_to),
                event_id=event_id,
            )
        )
        return OrderListOut.of(page)

    @post("/{order_id:str}/cancel", status_code=200, responses=problem_responses("not_found", "invalid_state"))
    async def cancel(
        self, order_id: FromPath[UUID], cancel_order: NamedDependency[CancelOrder], actor: NamedDependency[str]
    ) -> OrderOut:
        return OrderOut.of(await cancel_order(CancelOrderCommand(order_id=order_id, actor=actor)))


def _as_utc(moment: datetime | None) -> datetime | None:
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)
