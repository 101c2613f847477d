from __future__ import annotations

import asyncio
from datetime import date

from application.ports import UnitOfWorkFactory


async def test_numbers_count_per_day_across_units_of_work(uow_factory: UnitOfWorkFactory) -> None:
    may_15, may_16 = date(2026, 5, 15), date(2026, 5, 16)
    async with uow_factory() as uow:
        assert [await uow.order_numbers.next_for_day(may_15) for _ in range(3)] == [1, 2, 3]
        assert await uow.order_numbers.next_for_day(may_16) == 1
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.order_numbers.next_for_day(may_15) == 4
        assert await uow.order_numbers.next_for_day(may_16) == 2


async def test_a_rolled_back_number_is_given_again(uow_factory: UnitOfWorkFactory) -> None:
    day = date(2026, 5, 15)
    async with uow_factory() as uow:
        assert await uow.order_numbers.next_for_day(day) == 1
    async with uow_factory() as uow:
        assert await uow.order_numbers.next_for_day(day) == 1


async def test_concurrent_units_of_work_never_share_a_number(uow_factory: UnitOfWorkFactory) -> None:
    day = date(2026, 5, 15)

    async def take() -> int:
        async with uow_factory() as uow:
            number = await uow.order_numbers.next_for_day(day)
            await uow.commit()
            return number

    assert sorted(await asyncio.gather(*(take() for _ in range(10)))) == list(range(1, 11))
