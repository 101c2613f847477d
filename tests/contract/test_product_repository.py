from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from application.errors import AlreadyExists
from application.ports import ProductQuery, UnitOfWorkFactory
from tests.contract.builders import T0, a_product, stored


async def test_an_added_product_reads_back_equal(uow_factory: UnitOfWorkFactory) -> None:
    product = a_product("full-festival-2026", amount=1200, currency="JPY", capacity=None, metadata={"tier": "gold"})
    await stored(uow_factory, product)
    async with uow_factory() as uow:
        assert await uow.products.get_by_sku("full-festival-2026") == product


async def test_an_unknown_sku_reads_as_none(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        assert await uow.products.get_by_sku("nothing-here") is None


async def test_a_taken_sku_already_exists(uow_factory: UnitOfWorkFactory) -> None:
    await stored(uow_factory, a_product("day-pass"))
    async with uow_factory() as uow:
        with pytest.raises(AlreadyExists):
            await uow.products.add(a_product("day-pass", amount=1))
    async with uow_factory() as uow:
        assert (await uow.products.get_by_sku("day-pass")).unit_price.amount == 5000


async def test_concurrent_adds_of_one_sku_let_exactly_one_win(uow_factory: UnitOfWorkFactory) -> None:
    async def add(amount: int) -> None:
        async with uow_factory() as uow:
            await uow.products.add(a_product("vip-2026", amount=amount))
            await uow.commit()

    results = await asyncio.gather(add(100), add(200), return_exceptions=True)

    assert sorted(type(r).__name__ for r in results) == ["AlreadyExists", "NoneType"]
    winner = 100 if results[0] is None else 200
    async with uow_factory() as uow:
        assert (await uow.products.get_by_sku("vip-2026")).unit_price.amount == winner


async def test_lock_by_skus_returns_the_known_products_by_sku(uow_factory: UnitOfWorkFactory) -> None:
    day, vip = a_product("day-pass"), a_product("vip")
    await stored(uow_factory, day, vip, a_product("workshop"))
    async with uow_factory() as uow:
        assert await uow.products.lock_by_skus(["vip", "missing", "day-pass"]) == {"day-pass": day, "vip": vip}
        assert await uow.products.lock_by_skus(["missing"]) == {}
        assert await uow.products.lock_by_skus([]) == {}


async def test_saved_changes_persist_for_every_product_saved(uow_factory: UnitOfWorkFactory) -> None:
    await stored(uow_factory, a_product("day-pass", capacity=10), a_product("vip", capacity=None))
    later = T0 + timedelta(minutes=5)
    async with uow_factory() as uow:
        locked = await uow.products.lock_by_skus(["day-pass", "vip"])
        day, vip = locked["day-pass"], locked["vip"]
        day.reserve(3, later)
        day.update(now=later, name="Day Pass (Saturday)", unit_amount=5500, capacity=8)
        vip.update(now=later, clear_capacity=True, active=False)
        await uow.products.save([day, vip])
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.products.get_by_sku("day-pass") == day
        assert await uow.products.get_by_sku("vip") == vip
    assert (day.sold, day.capacity, day.unit_price.amount, day.updated_at) == (3, 8, 5500, later)


async def test_list_pages_by_sku_with_the_active_filter(uow_factory: UnitOfWorkFactory) -> None:
    products = {sku: a_product(sku, active=sku != "c-retired") for sku in ["d", "a", "c-retired", "b", "e"]}
    await stored(uow_factory, *products.values())
    async with uow_factory() as uow:
        first = await uow.products.list(ProductQuery(limit=2))
        rest = await uow.products.list(ProductQuery(limit=10, after_sku="b"))
        active = await uow.products.list(ProductQuery(limit=10, active=True))
        inactive = await uow.products.list(ProductQuery(limit=10, active=False, after_sku="a"))
    assert first == [products["a"], products["b"]]
    assert [p.sku for p in rest] == ["c-retired", "d", "e"]
    assert [p.sku for p in active] == ["a", "b", "d", "e"]
    assert inactive == [products["c-retired"]]


async def test_an_empty_catalog_lists_nothing(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        assert await uow.products.list(ProductQuery(limit=10)) == []
