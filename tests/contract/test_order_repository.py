from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from application.errors import AlreadyExists
from application.ports import OrderQuery, UnitOfWorkFactory
from domain.catalog import Product
from domain.customers import Customer
from domain.orders import Attendee, EventRef, Order, OrderStatus
from tests.contract.builders import T0, a_customer, a_product, an_order, new_id, registered, stored

FESTIVAL = EventRef("festival-2026", "Tessera Festival", date(2026, 7, 3))


@pytest.fixture
async def catalog(uow_factory: UnitOfWorkFactory) -> list[Product]:
    products = [a_product("day-pass", capacity=None), a_product("vip", amount=25000, capacity=None)]
    await stored(uow_factory, *products)
    return products


@pytest.fixture
async def ana(uow_factory: UnitOfWorkFactory) -> Customer:
    return await registered(uow_factory, a_customer("ana@example.com"))


async def placed(uow_factory: UnitOfWorkFactory, *orders: Order) -> list[Order]:
    async with uow_factory() as uow:
        for order in orders:
            await uow.orders.add(order)
        await uow.commit()
    return list(orders)


async def test_an_added_order_reads_back_equal_with_its_lines(
    uow_factory: UnitOfWorkFactory, catalog: list[Product], ana: Customer
) -> None:
    order = an_order(
        ana,
        catalog,
        event=FESTIVAL,
        metadata={"source": "box-office"},
        attendees={"vip": Attendee("Bo", "Berg", "bo@example.com"), "day-pass": Attendee(first_name="Cy")},
    )
    await placed(uow_factory, order)
    async with uow_factory() as uow:
        assert await uow.orders.get(order.id) == order
        assert await uow.orders.get(order.id, lock=True) == order


async def test_an_order_without_event_attendees_or_metadata_reads_back_equal(
    uow_factory: UnitOfWorkFactory, catalog: list[Product], ana: Customer
) -> None:
    order = an_order(ana, catalog[:1], event=EventRef("gala"))
    await placed(uow_factory, order)
    async with uow_factory() as uow:
        loaded = await uow.orders.get(order.id)
    assert loaded == order
    assert (loaded.lines[0].attendee, loaded.metadata, loaded.event) == (None, {}, EventRef("gala"))


async def test_an_unknown_order_reads_as_none(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        assert await uow.orders.get(new_id()) is None
        assert await uow.orders.get(new_id(), lock=True) is None


async def test_a_taken_order_number_already_exists(
    uow_factory: UnitOfWorkFactory, catalog: list[Product], ana: Customer
) -> None:
    await placed(uow_factory, an_order(ana, catalog, number="TSR-20260515-0001"))
    async with uow_factory() as uow:
        with pytest.raises(AlreadyExists):
            await uow.orders.add(an_order(ana, catalog, number="TSR-20260515-0001"))


async def test_saved_status_and_amounts_persist(uow_factory: UnitOfWorkFactory, catalog: list[Product], ana: Customer) -> None:
    [order] = await placed(uow_factory, an_order(ana, catalog))
    later = T0 + timedelta(minutes=20)
    async with uow_factory() as uow:
        loaded = await uow.orders.get(order.id, lock=True)
        loaded.status, loaded.amount_paid, loaded.amount_refunded, loaded.updated_at = (
            OrderStatus.PARTIALLY_REFUNDED, 30000, 5000, later
        )
        await uow.orders.save(loaded)
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.orders.get(order.id) == replace(
            order, status=OrderStatus.PARTIALLY_REFUNDED, amount_paid=30000, amount_refunded=5000, updated_at=later
        )


async def test_search_lists_newest_first_with_lines_and_pages_by_keyset(
    uow_factory: UnitOfWorkFactory, catalog: list[Product], ana: Customer
) -> None:
    low, high = sorted([new_id(), new_id()])
    oldest = an_order(ana, catalog, at=T0)
    tie_low = an_order(ana, catalog[:1], at=T0 + timedelta(minutes=1), id=low)
    tie_high = an_order(ana, catalog[1:], at=T0 + timedelta(minutes=1), id=high)
    newest = an_order(ana, catalog, at=T0 + timedelta(minutes=2))
    await placed(uow_factory, tie_low, oldest, newest, tie_high)

    async with uow_factory() as uow:
        everything = await uow.orders.search(OrderQuery(limit=10))
        first_page = await uow.orders.search(OrderQuery(limit=2))
        second_page = await uow.orders.search(OrderQuery(limit=2, before=(tie_high.created_at, tie_high.id)))
        past_the_end = await uow.orders.search(OrderQuery(limit=2, before=(oldest.created_at, oldest.id)))

    assert everything == [newest, tie_high, tie_low, oldest]
    assert first_page == [newest, tie_high]
    assert second_page == [tie_low, oldest]
    assert past_the_end == []


async def test_search_filters_by_email_status_and_event(
    uow_factory: UnitOfWorkFactory, catalog: list[Product], ana: Customer
) -> None:
    bo = await registered(uow_factory, a_customer("bo@example.com"))
    festival = an_order(ana, catalog, at=T0, event=FESTIVAL)
    gala = an_order(bo, catalog, at=T0 + timedelta(minutes=1), event=EventRef("gala"))
    cancelled = an_order(ana, catalog, at=T0 + timedelta(minutes=2))
    cancelled.cancel(T0 + timedelta(minutes=3))
    await placed(uow_factory, festival, gala, cancelled)

    async with uow_factory() as uow:
        assert await uow.orders.search(OrderQuery(limit=10, email="ana@example.com")) == [cancelled, festival]
        assert await uow.orders.search(OrderQuery(limit=10, email="bo@example.com")) == [gala]
        assert await uow.orders.search(OrderQuery(limit=10, email="nobody@example.com")) == []
        assert await uow.orders.search(OrderQuery(limit=10, status=OrderStatus.CANCELLED)) == [cancelled]
        assert await uow.orders.search(OrderQuery(limit=10, status=OrderStatus.PENDING)) == [gala, festival]
        assert await uow.orders.search(OrderQuery(limit=10, status=OrderStatus.COMPLETED)) == []
        assert await uow.orders.search(OrderQuery(limit=10, event_id="festival-2026")) == [festival]
        assert await uow.orders.search(
            OrderQuery(limit=10, email="ana@example.com", status=OrderStatus.PENDING, event_id="festival-2026")
        ) == [festival]
        assert await uow.orders.search(OrderQuery(limit=10, email="bo@example.com", event_id="festival-2026")) == []


async def test_search_range_includes_created_from_and_excludes_created_to(
    uow_factory: UnitOfWorkFactory, catalog: list[Product], ana: Customer
) -> None:
    at_start = an_order(ana, catalog, at=T0)
    inside = an_order(ana, catalog, at=T0 + timedelta(hours=1))
    at_end = an_order(ana, catalog, at=T0 + timedelta(hours=2))
    await placed(uow_factory, at_start, inside, at_end)
    start, end = T0, T0 + timedelta(hours=2)

    async with uow_factory() as uow:
        assert await uow.orders.search(OrderQuery(limit=10, created_from=start, created_to=end)) == [inside, at_start]
        assert await uow.orders.search(OrderQuery(limit=10, created_from=start + timedelta(microseconds=1))) == [at_end, inside]
        assert await uow.orders.search(OrderQuery(limit=10, created_to=start)) == []
        assert await uow.orders.search(
            OrderQuery(limit=10, created_from=start, created_to=end, before=(inside.created_at, inside.id))
        ) == [at_start]


async def test_expired_pending_orders_are_claimed_soonest_first(uow_factory: UnitOfWorkFactory, catalog: list[Product], ana: Customer) -> None:
    first = an_order(ana, catalog[:1], at=T0)
    second = an_order(ana, catalog[:1], at=T0 + timedelta(minutes=5))
    not_yet = an_order(ana, catalog[:1], at=T0 + timedelta(minutes=30))
    paid = an_order(ana, catalog[:1], at=T0)
    paid.status = OrderStatus.PROCESSING
    await placed(uow_factory, second, not_yet, first, paid)
    now = T0 + timedelta(hours=1, minutes=5)
    async with uow_factory() as uow:
        assert [o.id for o in await uow.orders.claim_expired(now, 10)] == [first.id, second.id]
        assert [o.id for o in await uow.orders.claim_expired(now, 1)] == [first.id]
        claimed = (await uow.orders.claim_expired(now, 1))[0]
        assert claimed == first  # lines included



async def test_an_order_is_found_by_the_request_that_placed_it(
    uow_factory: UnitOfWorkFactory, catalog: list[Product], ana: Customer
) -> None:
    keyed = replace(an_order(ana, catalog[:1]), request_key="key-1:order-1")
    await placed(uow_factory, keyed, an_order(ana, catalog[:1]))
    async with uow_factory() as uow:
        assert await uow.orders.find_by_request_key("key-1:order-1") == keyed
        assert await uow.orders.find_by_request_key("key-2:order-1") is None
