"""What only the PostgreSQL adapter has: connectivity failures, a fixed statement budget,
check constraints that refuse what a buggy code path might save, and claims that skip rows
another transaction holds (the in-memory adapter runs one unit of work at a time).

These do not fit the shared contract (the in-memory adapter has no connection to lose and
no statements to count), so they run on PostgreSQL alone.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.postgres.engine import create_engine
from adapters.postgres.uow import PgUnitOfWorkFactory
from application.errors import Unavailable
from application.ports import OrderQuery
from tests.contract.builders import (
    T0,
    a_captured_payment,
    a_customer,
    a_payment,
    a_product,
    a_refund,
    an_audit_entry,
    an_order,
    placed_orders,
    recorded,
)


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def statements(engine: AsyncEngine) -> Iterator[list[str]]:
    """Records every statement sent (one per execute or executemany), BEGIN/COMMIT excluded."""
    sent: list[str] = []

    def record(conn: object, cursor: object, statement: str, *args: object) -> None:
        sent.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


async def test_a_database_that_refuses_connections_is_unavailable() -> None:
    engine = create_engine(f"postgresql://postgres@127.0.0.1:{closed_port()}/tessera", null_pool=True)
    with pytest.raises(Unavailable):
        async with PgUnitOfWorkFactory(engine)():
            pass
    await engine.dispose()


async def test_a_connection_lost_mid_transaction_is_unavailable(pg_engine: AsyncEngine) -> None:
    with pytest.raises(Unavailable):
        async with PgUnitOfWorkFactory(pg_engine)() as uow:
            await uow.order_numbers.next_for_day(date(2026, 5, 15))
            async with pg_engine.connect() as admin:
                await admin.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                        " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                )
            await uow.order_numbers.next_for_day(date(2026, 5, 15))


async def test_each_operation_sends_a_fixed_number_of_statements(pg_engine: AsyncEngine) -> None:
    uow_factory = PgUnitOfWorkFactory(pg_engine)
    catalog = [a_product(sku, capacity=None) for sku in ("day-pass", "vip", "workshop")]
    async with uow_factory() as uow:
        for product in catalog:
            await uow.products.add(product)
        await uow.commit()

    async with uow_factory() as uow:
        with statements(pg_engine) as place_order:
            customer = await uow.customers.upsert_by_email(a_customer())
            products = await uow.products.lock_by_skus(["day-pass", "vip", "workshop"])
            order = an_order(customer, list(products.values()))
            await uow.products.save(list(products.values()))
            await uow.order_numbers.next_for_day(T0.date())
            await uow.orders.add(order)
            await uow.audit.append(an_audit_entry(entity_id=order.id))
        await uow.orders.add(an_order(customer, catalog))
        await uow.commit()

    async with uow_factory() as uow:
        with statements(pg_engine) as get:
            await uow.orders.get(order.id, lock=True)
        with statements(pg_engine) as search:
            assert len(await uow.orders.search(OrderQuery(limit=10, email=customer.email))) == 2

    assert len(place_order) == 6
    assert (len(get), len(search)) == (1, 2)


@pytest.mark.parametrize(
    ("change", "constraint"),
    [
        ({"amount_refunded": 2000, "amount_refund_pending": 3001}, "ck_payments_refunds_within_captured"),
        ({"amount_captured": 5001}, "ck_payments_captured_within_authorized"),
        ({"amount_refund_pending": -1}, "ck_payments_amounts_non_negative"),
    ],
)
async def test_the_database_refuses_a_payment_that_breaks_its_invariants(
    pg_engine: AsyncEngine, change: dict[str, Any], constraint: str
) -> None:
    uow_factory = PgUnitOfWorkFactory(pg_engine)
    [order] = await placed_orders(uow_factory)
    payment = a_captured_payment(order)
    await recorded(uow_factory, payment)
    assert payment.amount_captured == payment.amount_authorized == 5000
    with pytest.raises(IntegrityError, match=constraint):
        async with uow_factory() as uow:
            await uow.payments.save(replace(payment, **change))


async def test_a_claim_skips_abandoned_payments_and_refunds_another_unit_of_work_holds(pg_engine: AsyncEngine) -> None:
    uow_factory = PgUnitOfWorkFactory(pg_engine)
    [order] = await placed_orders(uow_factory)
    first, second = a_payment(order, at=T0), a_payment(order, at=T0 + timedelta(seconds=1))
    captured = a_captured_payment(order)
    older, newer = a_refund(captured, at=T0), a_refund(captured, at=T0 + timedelta(seconds=1))
    await recorded(uow_factory, first, second, captured, older, newer)
    now = T0 + timedelta(hours=1)

    async with uow_factory() as holder:
        assert await holder.payments.claim_abandoned(now, 1) == [first]
        assert await holder.refunds.claim_abandoned(now, 1) == [older]
        async with uow_factory() as other:
            assert await asyncio.wait_for(other.payments.claim_abandoned(now, 10), 5) == [second]
            assert await asyncio.wait_for(other.refunds.claim_abandoned(now, 10), 5) == [newer]


async def test_an_expired_order_another_unit_of_work_holds_is_skipped(pg_engine: AsyncEngine) -> None:
    uow_factory = PgUnitOfWorkFactory(pg_engine)
    first, second = await placed_orders(uow_factory, 2)
    now = T0 + timedelta(hours=2)
    async with uow_factory() as holder:
        [claimed] = await holder.orders.claim_expired(now, 1)
        async with uow_factory() as other:
            [other_claimed] = await asyncio.wait_for(other.orders.claim_expired(now, 10), 5)
    assert {claimed.id, other_claimed.id} == {first.id, second.id}
