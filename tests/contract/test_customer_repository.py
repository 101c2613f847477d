from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from application.ports import UnitOfWorkFactory
from tests.contract.builders import T0, a_customer, registered


async def test_upsert_creates_a_new_customer_as_given(uow_factory: UnitOfWorkFactory) -> None:
    customer = a_customer("ana@example.com", first_name="Ana", last_name="Lima", phone="+351 912 345 678")
    async with uow_factory() as uow:
        assert await uow.customers.upsert_by_email(customer) == customer
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.customers.get_many([customer.id]) == {customer.id: customer}


async def test_upsert_of_a_known_email_replaces_given_fields_and_keeps_absent_ones(uow_factory: UnitOfWorkFactory) -> None:
    first = await registered(uow_factory, a_customer("ana@example.com", first_name="Ana", last_name="Lima", phone="111"))
    later = T0 + timedelta(days=1)
    returning = a_customer("ana@example.com", first_name="Anabela", at=later)

    async with uow_factory() as uow:
        stored = await uow.customers.upsert_by_email(returning)
        await uow.commit()

    expected = replace(first, first_name="Anabela", updated_at=later)
    assert stored == expected
    async with uow_factory() as uow:
        assert await uow.customers.get_many([first.id, returning.id]) == {first.id: expected}


async def test_get_many_returns_only_known_customers(uow_factory: UnitOfWorkFactory) -> None:
    ana = await registered(uow_factory, a_customer("ana@example.com"))
    bo = await registered(uow_factory, a_customer("bo@example.com", last_name="Berg"))
    stranger = a_customer("nobody@example.com")
    async with uow_factory() as uow:
        assert await uow.customers.get_many([bo.id, stranger.id, ana.id]) == {ana.id: ana, bo.id: bo}
        assert await uow.customers.get_many([stranger.id]) == {}
        assert await uow.customers.get_many([]) == {}
