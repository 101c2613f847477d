import asyncio
from datetime import timedelta
from uuid import uuid4

import pytest

from application.commands import AttendeeDetails, CancelOrder, CustomerDetails, EventDetails, OrderItem, SearchOrders
from application.commands import PlaceOrder as PlaceOrderCommand
from application.commands import UpdateProduct
from application.errors import NotFound
from domain.errors import CurrencyMismatch, InvalidState, SoldOut, ValidationFailed
from domain.money import Money
from domain.orders import OrderStatus
from tests.service.conftest import App, order_command, product_command


@pytest.fixture
async def stocked(app: App) -> App:
    await app.add_product(product_command("full-pass", 15000, capacity=5))
    await app.add_product(product_command("day-pass", 5000, capacity=None))
    await app.add_product(product_command("yen-pass", 1200, "JPY"))
    await app.add_product(product_command("retired", 100, active=False))
    return app


def snapshot(app: App) -> tuple:
    s = app.store
    return (len(s.orders), len(s.customers), len(s.audit), dict(s.order_counters), {k: p.sold for k, p in s.products.items()})


async def test_placed_order_is_priced_numbered_reserved_and_audited(stocked: App) -> None:
    details = await stocked.place_order(order_command(("full-pass", 2), ("day-pass", 1), email=" Ana@Example.com "))
    order = details.order
    assert order.number == "TSR-20260515-0001"
    assert order.status is OrderStatus.PENDING
    assert order.total == Money(35000, "USD")
    assert order.expires_at == stocked.clock.now() + timedelta(hours=1)
    assert details.customer.email == "ana@example.com"
    assert (await stocked.get_product("full-pass")).sold == 2
    placed = [e for e in stocked.store.audit if e.action == "order.placed"]
    assert [(e.entity_id, e.to_status, e.amount, e.currency) for e in placed] == [(order.id, "pending", 35000, "USD")]
    assert await stocked.get_order(order.id) == details


async def test_order_numbers_count_per_day(stocked: App) -> None:
    first = await stocked.place_order(order_command(("day-pass", 1)))
    second = await stocked.place_order(order_command(("day-pass", 1)))
    stocked.clock.advance(days=1)
    next_day = await stocked.place_order(order_command(("day-pass", 1)))
    assert [d.order.number for d in (first, second, next_day)] == ["TSR-20260515-0001", "TSR-20260515-0002", "TSR-20260516-0001"]


async def test_returning_customer_is_found_by_email_and_keeps_known_details(stocked: App) -> None:
    first = await stocked.place_order(PlaceOrderCommand(customer=CustomerDetails("ana@example.com", "Ana", "Diaz"), currency="USD",
                                                        items=(OrderItem("day-pass", 1),), actor="t"))
    again = await stocked.place_order(PlaceOrderCommand(customer=CustomerDetails("ANA@example.com ", phone="+1 555"), currency="USD",
                                                        items=(OrderItem("day-pass", 1),), actor="t"))
    assert again.customer.id == first.customer.id
    assert (again.customer.first_name, again.customer.last_name, again.customer.phone) == ("Ana", "Diaz", "+1 555")


@pytest.mark.parametrize(
    ("command", "error"),
    [
        (order_command(("nope", 1)), ValidationFailed),
        (order_command(("retired", 1)), ValidationFailed),
        (order_command(("day-pass", 0)), ValidationFailed),
        (order_command(("yen-pass", 1)), CurrencyMismatch),
        (order_command(("day-pass", 1), email=""), ValidationFailed),
        (order_command(("day-pass", 1), email="not-an-email"), ValidationFailed),
        (order_command(("day-pass", 1), currency="ZZZ"), ValidationFailed),
        (order_command(("full-pass", 6)), SoldOut),
        (order_command(("day-pass", 1), ("full-pass", 6)), SoldOut),
        (order_command(), ValidationFailed),
    ],
)
async def test_a_refused_order_writes_nothing(stocked: App, command: PlaceOrderCommand, error: type[Exception]) -> None:
    before = snapshot(stocked)
    with pytest.raises(error):
        await stocked.place_order(command)
    assert snapshot(stocked) == before


async def test_concurrent_orders_never_oversell(stocked: App) -> None:
    results = await asyncio.gather(*(stocked.place_order(order_command(("full-pass", 1))) for _ in range(20)), return_exceptions=True)
    assert sum(not isinstance(r, Exception) for r in results) == 5
    assert all(isinstance(r, SoldOut) for r in results if isinstance(r, Exception))
    assert (await stocked.get_product("full-pass")).available == 0


async def test_attendees_and_event_are_kept(stocked: App) -> None:
    from datetime import date

    command = PlaceOrderCommand(
        customer=CustomerDetails("ana@example.com"), currency="USD", actor="t",
        items=(OrderItem("day-pass", 1, AttendeeDetails("Luis", "Diaz", "LUIS@example.com")),),
        event=EventDetails("fest-2026", "Festival", date(2026, 5, 15)), metadata={"source": "web"},
    )
    order = (await stocked.place_order(command)).order
    assert order.lines[0].attendee.email == "luis@example.com"
    assert (order.event.id, order.event.date, order.metadata) == ("fest-2026", date(2026, 5, 15), {"source": "web"})


async def test_cancelling_releases_capacity_once(stocked: App) -> None:
    order = (await stocked.place_order(order_command(("full-pass", 3)))).order
    cancelled = await stocked.cancel_order(CancelOrder(order.id, actor="admin"))
    assert cancelled.order.status is OrderStatus.CANCELLED
    assert (await stocked.get_product("full-pass")).sold == 0
    with pytest.raises(InvalidState):
        await stocked.cancel_order(CancelOrder(order.id, actor="admin"))
    assert (await stocked.get_product("full-pass")).sold == 0
    entry = stocked.store.audit[-1]
    assert (entry.action, entry.from_status, entry.to_status, entry.actor) == ("order.cancelled", "pending", "cancelled", "admin")


async def test_cancelling_an_unknown_order_is_not_found(stocked: App) -> None:
    with pytest.raises(NotFound):
        await stocked.cancel_order(CancelOrder(uuid4(), actor="admin"))


async def test_price_changes_do_not_touch_placed_orders(stocked: App) -> None:
    order = (await stocked.place_order(order_command(("day-pass", 2)))).order
    await stocked.update_product(UpdateProduct(sku="day-pass", actor="admin", unit_amount=9999))
    assert (await stocked.get_order(order.id)).order.total == Money(10000, "USD")


async def test_search_filters_and_pages_newest_first(stocked: App) -> None:
    placed = []
    for i in range(5):
        email = "ana@example.com" if i % 2 == 0 else "bo@example.com"
        event = EventDetails("fest-2026") if i < 3 else None
        placed.append((await stocked.place_order(order_command(("day-pass", 1), email=email, event=event))).order)
        stocked.clock.advance(minutes=1)
    await stocked.cancel_order(CancelOrder(placed[0].id, actor="admin"))

    async def numbers(**filters: object) -> list[str]:
        page = await stocked.search_orders(SearchOrders(**filters))  # type: ignore[arg-type]
        return [d.order.number for d in page.items]

    n = [o.number for o in placed]
    assert await numbers() == n[::-1]
    assert await numbers(email=" ANA@example.com") == [n[4], n[2], n[0]]
    assert await numbers(status="cancelled") == [n[0]]
    assert await numbers(event_id="fest-2026") == [n[2], n[1], n[0]]
    assert await numbers(created_from=placed[1].created_at, created_to=placed[3].created_at) == [n[2], n[1]]
    assert await numbers(email="nobody@example.com") == []

    first = await stocked.search_orders(SearchOrders(limit=2))
    second = await stocked.search_orders(SearchOrders(limit=2, cursor=first.next_cursor))
    third = await stocked.search_orders(SearchOrders(limit=2, cursor=second.next_cursor))
    assert [d.order.number for d in first.items + second.items + third.items] == n[::-1]
    assert third.next_cursor is None


async def test_an_attendee_with_no_details_is_no_attendee(stocked: App) -> None:
    command = PlaceOrderCommand(customer=CustomerDetails("ana@example.com"), currency="USD", actor="t",
                                items=(OrderItem("day-pass", 1, AttendeeDetails(" ", None, "")),))
    assert (await stocked.place_order(command)).order.lines[0].attendee is None
