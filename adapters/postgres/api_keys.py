"""The PostgreSQL API key repository (statements built once, as in repositories.py)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.postgres.tables import api_keys
from application.errors import AlreadyExists
from application.ports import ApiKeyRepository
from domain.api_keys import ApiKey, ApiKeyScope

_INSERT = pg_insert(api_keys).on_conflict_do_nothing().returning(api_keys.c.id)
_SELECT = select(api_keys)
_GET = _SELECT.where(api_keys.c.id == bindparam("key_id"))
_GET_FOR_UPDATE = _GET.with_for_update()
_BY_HASH = _SELECT.where(api_keys.c.secret_hash == bindparam("secret_hash"))
_LIST = _SELECT.order_by(api_keys.c.created_at, api_keys.c.id)
_SAVE = (
    update(api_keys)
    .where(api_keys.c.id == bindparam("key_id"))
    .values(revoked_at=bindparam("revoked_at"))
)


def _values(key: ApiKey) -> dict[str, Any]:
    return {
        "id": key.id,
        "name": key.name,
        "scope": key.scope.value,
        "prefix": key.prefix,
        "secret_hash": key.secret_hash,
        "created_at": key.created_at,
        "revoked_at": key.revoked_at,
    }


def _from_row(row: Row[Any]) -> ApiKey:
    return ApiKey(
        id=row.id,
        name=row.name,
        scope=ApiKeyScope(row.scope),
        prefix=row.prefix,
        secret_hash=bytes(row.secret_hash),
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )


class PgApiKeyRepository(ApiKeyRepository):
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def add(self, key: ApiKey) -> None:
        # ON CONFLICT: a duplicate must not abort the caller's transaction.
        if (await self._connection.execute(_INSERT, _values(key))).first() is None:
            raise AlreadyExists(f"API key {key.id} already exists")

    async def get(self, key_id: UUID, *, lock: bool = False) -> ApiKey | None:
        row = (await self._connection.execute(_GET_FOR_UPDATE if lock else _GET, {"key_id": key_id})).first()
        return _from_row(row) if row else None

    async def find_by_secret_hash(self, secret_hash: bytes) -> ApiKey | None:
        row = (await self._connection.execute(_BY_HASH, {"secret_hash": secret_hash})).first()
        return _from_row(row) if row else None

    async def save(self, key: ApiKey) -> None:
        await self._connection.execute(_SAVE, {"key_id": key.id, "revoked_at": key.revoked_at})

    async def list(self) -> list[ApiKey]:
        return [_from_row(row) for row in await self._connection.execute(_LIST)]
