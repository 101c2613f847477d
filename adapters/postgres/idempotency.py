"""The PostgreSQL idempotency repository (Brandur Leach's design: insert-or-lock, one row per key)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.postgres.tables import idempotency_keys as table
from application.ports import IdempotencyRepository
from domain.idempotency import IdempotencyRecord, StoredResponse

_THIS_KEY = (table.c.api_key_id == bindparam("k_api_key_id")) & (table.c.key == bindparam("k_key"))
# A concurrent insert of the same key waits on the primary key for the first transaction,
# then does nothing; the SELECT ... FOR UPDATE that follows reads (and locks) the winner's row.
_INSERT = pg_insert(table).on_conflict_do_nothing().returning(table.c.key)
_LOCK = select(table).where(_THIS_KEY).with_for_update()
_SAVED_COLUMNS = ("fingerprint", "created_at", "locked_at", "response_status", "response_content_type", "response_body")
_SAVE = update(table).where(_THIS_KEY).values({name: bindparam(name) for name in _SAVED_COLUMNS})
_DELETE = delete(table).where(_THIS_KEY)
_PURGE = delete(table).where(table.c.created_at < bindparam("created_before"))


def _values(record: IdempotencyRecord) -> dict[str, Any]:
    response = record.response
    return {
        "api_key_id": record.api_key_id,
        "key": record.key,
        "fingerprint": record.fingerprint,
        "created_at": record.created_at,
        "locked_at": record.locked_at,
        "response_status": response.status if response else None,
        "response_content_type": response.content_type if response else None,
        "response_body": response.body if response else None,
    }


def _from_row(row: Row[Any]) -> IdempotencyRecord:
    response = (
        StoredResponse(row.response_status, row.response_content_type, bytes(row.response_body))
        if row.response_status is not None
        else None
    )
    return IdempotencyRecord(
        api_key_id=row.api_key_id,
        key=row.key,
        fingerprint=bytes(row.fingerprint),
        created_at=row.created_at,
        locked_at=row.locked_at,
        response=response,
    )


def _this(api_key_id: UUID, key: str) -> dict[str, Any]:
    return {"k_api_key_id": api_key_id, "k_key": key}


class PgIdempotencyRepository(IdempotencyRepository):
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def claim(self, record: IdempotencyRecord) -> tuple[IdempotencyRecord, bool]:
        if (await self._connection.execute(_INSERT, _values(record))).first() is not None:
            return record, True
        row = (await self._connection.execute(_LOCK, _this(record.api_key_id, record.key))).one()
        return _from_row(row), False

    async def save(self, record: IdempotencyRecord) -> None:
        await self._connection.execute(_SAVE, _values(record) | _this(record.api_key_id, record.key))

    async def delete(self, api_key_id: UUID, key: str) -> None:
        await self._connection.execute(_DELETE, _this(api_key_id, key))

    async def purge(self, created_before: datetime) -> int:
        return (await self._connection.execute(_PURGE, {"created_before": created_before})).rowcount
