from __future__ import annotations

import asyncio
from datetime import date

import pytest

from application.ports import AuditQuery, UnitOfWorkFactory
from domain.errors import SoldOut
from tests.contract.builders import T0, a_customer, a_product, an_audit_entry, stored


class Boom(Exception):
    pass


async def write_one_of_each(uow_factory: UnitOfWorkFactory, *, commit: bool) -> None:
    async with uow_factory() as uow:
        await uow.products.add(a_product("day-pass"))
        await uow.customers.upsert_by_email(a_customer("ana@example.com"))
        await uow.order_numbers.next_for_day(date(2026, 5, 15))
        await uow.audit.append(an_audit_entry())
        if commit:
            await uow.commit()


async def visible_state(uow_factory: UnitOfWorkFactory) -> tuple[bool, int, int]:
    """(product present, next order number, audit entries) as a new unit of work sees them."""
    async with uow_factory() as uow:
        product = await uow.products.get_by_sku("day-pass")
        number = await uow.order_numbers.next_for_day(date(2026, 5, 15))
        entries = await uow.audit.list(AuditQuery(limit=10))
    return product is not None, number, len(entries)


async def test_committed_work_is_visible_to_the_next_unit_of_work(uow_factory: UnitOfWorkFactory) -> None:
    await write_one_of_each(uow_factory, commit=True)
    assert await visible_state(uow_factory) == (True, 2, 1)


async def test_work_left_uncommitted_is_rolled_back(uow_factory: UnitOfWorkFactory) -> None:
    await write_one_of_each(uow_factory, commit=False)
    assert await visible_state(uow_factory) == (False, 1, 0)


async def test_an_exception_rolls_back_and_propagates_unchanged(uow_factory: UnitOfWorkFactory) -> None:
    with pytest.raises(Boom):
        async with uow_factory() as uow:
            await uow.products.add(a_product("day-pass"))
            await uow.audit.append(an_audit_entry())
            raise Boom()
    assert await visible_state(uow_factory) == (False, 1, 0)


async def test_concurrent_reservations_never_oversell(uow_factory: UnitOfWorkFactory) -> None:
    """Each task locks, reserves and saves in its own unit of work: the adapter must serialise them."""
    await stored(uow_factory, a_product("full-pass", capacity=5))

    async def reserve_one() -> None:
        async with uow_factory() as uow:
            product = (await uow.products.lock_by_skus(["full-pass"]))["full-pass"]
            product.reserve(1, T0)
            await uow.products.save([product])
            await uow.commit()

    results = await asyncio.gather(*(reserve_one() for _ in range(20)), return_exceptions=True)

    assert [r for r in results if r is not None and not isinstance(r, SoldOut)] == []
    assert results.count(None) == 5
    async with uow_factory() as uow:
        assert (await uow.products.get_by_sku("full-pass")).sold == 5
