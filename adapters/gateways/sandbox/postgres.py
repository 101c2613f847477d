"""The sandbox provider's state in PostgreSQL: SQLAlchemy Core, one short transaction per call."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import Table, bindparam, delete, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from adapters.gateways.sandbox.model import (
    Fault,
    Operation,
    OutboxEvent,
    SandboxPayment,
    SandboxRefund,
    StoredAnswer,
)
from adapters.gateways.sandbox.store import SandboxStore, SandboxTransaction
from adapters.gateways.sandbox.tables import (
    sandbox_events,
    sandbox_faults,
    sandbox_idempotency_keys,
    sandbox_payments,
    sandbox_refunds,
)
from domain.payments import PaymentStatus

KEY_LOCK_SPACE = 0x5A4D
"""First half of the two-key advisory locks that serialise calls with one idempotency key."""


def _upsert(table: Table) -> Any:
    """INSERT, or UPDATE every column but the primary key when the row exists."""
    insert = pg_insert(table)
    changed = {column.name: insert.excluded[column.name] for column in table.columns if not column.primary_key}
    return insert.on_conflict_do_update(index_elements=table.primary_key.columns, set_=changed)


_SAVE_PAYMENT = _upsert(sandbox_payments)
_SAVE_EVENT = _upsert(sandbox_events)
_PAYMENT = select(sandbox_payments).where(sandbox_payments.c.id == bindparam("id"))
_LOCK_PAYMENT = _PAYMENT.with_for_update()
_EXPIRING = (
    select(sandbox_payments)
    .where(sandbox_payments.c.status == PaymentStatus.PENDING.value, sandbox_payments.c.expires_at <= bindparam("now"))
    .order_by(sandbox_payments.c.expires_at, sandbox_payments.c.id)
    .limit(bindparam("limit"))
    .with_for_update(skip_locked=True)
)
_REFUNDS = (
    select(sandbox_refunds)
    .where(sandbox_refunds.c.payment_id == bindparam("payment_id"))
    .order_by(sandbox_refunds.c.created_at, sandbox_refunds.c.id)
)
_LOCK_KEY = text("SELECT pg_advisory_xact_lock(:space, hashtext(:key))")
_ANSWER = select(sandbox_idempotency_keys).where(sandbox_idempotency_keys.c.key == bindparam("key"))
# Aimed faults before general ones, oldest first; a concurrent call takes the next one.
_NEXT_FAULT = (
    select(sandbox_faults.c.id)
    .where(
        sandbox_faults.c.operation == bindparam("operation"),
        (sandbox_faults.c.payment_id == bindparam("payment_id")) | sandbox_faults.c.payment_id.is_(None),
    )
    .order_by(sandbox_faults.c.payment_id.is_(None), sandbox_faults.c.created_at, sandbox_faults.c.id)
    .limit(1)
    .with_for_update(skip_locked=True)
    .scalar_subquery()
)
_TAKE_FAULT = delete(sandbox_faults).where(sandbox_faults.c.id == _NEXT_FAULT).returning(*sandbox_faults.c)
_DUE_EVENTS = (
    select(sandbox_events.c.id)
    .where(sandbox_events.c.next_attempt_at <= bindparam("now"))
    .order_by(sandbox_events.c.next_attempt_at, sandbox_events.c.id)
    .limit(bindparam("limit"))
    .with_for_update(skip_locked=True)
)
_CLAIM_EVENTS = (
    update(sandbox_events)
    .where(sandbox_events.c.id.in_(_DUE_EVENTS))
    .values(attempts=sandbox_events.c.attempts + 1, next_attempt_at=bindparam("lease_until"))
    .returning(*sandbox_events.c)
)


def _values(row: msgspec.Struct) -> dict[str, Any]:
    return msgspec.structs.asdict(row)


def _from_row(row: Row[Any], into: type[Any]) -> Any:
    # Column names are SQLAlchemy's `quoted_name`, a str subclass msgspec refuses as a key.
    return msgspec.convert({str(name): value for name, value in row._mapping.items()}, type=into, strict=False)


class PgSandboxStore(SandboxStore):
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[SandboxTransaction]:
        async with self._engine.begin() as connection:
            yield _PgTransaction(connection)


class _PgTransaction(SandboxTransaction):
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def payment(self, payment_id: str, *, lock: bool = False) -> SandboxPayment | None:
        row = (await self._connection.execute(_LOCK_PAYMENT if lock else _PAYMENT, {"id": payment_id})).first()
        return _from_row(row, SandboxPayment) if row else None

    async def save_payment(self, payment: SandboxPayment) -> None:
        await self._connection.execute(_SAVE_PAYMENT, _values(payment))

    async def expiring(self, now: datetime, limit: int) -> list[SandboxPayment]:
        rows = await self._connection.execute(_EXPIRING, {"now": now, "limit": limit})
        return [_from_row(row, SandboxPayment) for row in rows]

    async def refunds(self, payment_id: str) -> list[SandboxRefund]:
        rows = await self._connection.execute(_REFUNDS, {"payment_id": payment_id})
        return [_from_row(row, SandboxRefund) for row in rows]

    async def add_refund(self, refund: SandboxRefund) -> None:
        await self._connection.execute(sandbox_refunds.insert(), _values(refund))

    async def answer(self, key: str) -> StoredAnswer | None:
        await self._connection.execute(_LOCK_KEY, {"space": KEY_LOCK_SPACE, "key": key})
        row = (await self._connection.execute(_ANSWER, {"key": key})).first()
        return _from_row(row, StoredAnswer) if row else None

    async def remember(self, answer: StoredAnswer) -> None:
        await self._connection.execute(sandbox_idempotency_keys.insert(), _values(answer))

    async def add_fault(self, fault: Fault) -> None:
        await self._connection.execute(sandbox_faults.insert(), _values(fault))

    async def take_fault(self, operation: Operation, payment_id: str | None) -> Fault | None:
        row = (await self._connection.execute(_TAKE_FAULT, {"operation": operation, "payment_id": payment_id})).first()
        return _from_row(row, Fault) if row else None

    async def claim_events(self, now: datetime, lease_until: datetime, limit: int) -> list[OutboxEvent]:
        rows = await self._connection.execute(_CLAIM_EVENTS, {"now": now, "lease_until": lease_until, "limit": limit})
        return [_from_row(row, OutboxEvent) for row in rows]

    async def save_event(self, event: OutboxEvent) -> None:
        await self._connection.execute(_SAVE_EVENT, _values(event))
