"""The PostgreSQL unit of work: one pooled connection, one transaction, ten repositories."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import TracebackType
from typing import Self

import asyncpg
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from adapters.postgres.api_keys import PgApiKeyRepository
from adapters.postgres.idempotency import PgIdempotencyRepository
from adapters.postgres.payments import PgPaymentRepository, PgRefundRepository
from adapters.postgres.repositories import (
    PgAuditLog,
    PgCustomerRepository,
    PgOrderNumberSequence,
    PgOrderRepository,
    PgProductRepository,
    PgWebhookInbox,
)
from application.errors import Unavailable
from application.ports import UnitOfWork, UnitOfWorkFactory

# Driver errors that say nothing about the request: the connection broke (SQLSTATE class 08),
# the server is shutting down, starting up or out of connection slots, or this service's
# credentials or database name are wrong (it cannot reach its database either way).
_UNAVAILABLE_DRIVER_ERRORS = (
    asyncpg.exceptions.PostgresConnectionError,
    asyncpg.exceptions.ConnectionDoesNotExistError,
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.CrashShutdownError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.TooManyConnectionsError,
    asyncpg.exceptions.InvalidAuthorizationSpecificationError,
    asyncpg.exceptions.InvalidCatalogNameError,
)


def _is_unavailable(error: BaseException) -> bool:
    if isinstance(error, (OSError, PoolTimeoutError)):  # refused, unreachable, DNS, timeouts; pool exhausted
        return True
    if isinstance(error, DBAPIError):
        driver_error = error.orig.__cause__ if error.orig is not None else None
        return error.connection_invalidated or isinstance(driver_error, _UNAVAILABLE_DRIVER_ERRORS)
    return isinstance(error, _UNAVAILABLE_DRIVER_ERRORS)


def _raise_if_unavailable(error: BaseException) -> None:
    """The one place database connectivity errors become `Unavailable` (HTTP 503)."""
    if _is_unavailable(error):
        raise Unavailable("the database is unavailable, try again later") from error


class PgUnitOfWork(UnitOfWork):
    """Every exception leaving the block, from any repository or `commit()`, passes through
    `__aexit__`, which is why connectivity errors are translated there and on entry only."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._connection: AsyncConnection | None = None

    async def __aenter__(self) -> Self:
        try:
            connection = await self._engine.connect()
        except Exception as error:
            _raise_if_unavailable(error)
            raise
        # With asyncpg, BEGIN is sent with the first statement: an unused unit of work is free.
        await connection.begin()
        self._connection = connection
        self.products = PgProductRepository(connection)
        self.customers = PgCustomerRepository(connection)
        self.orders = PgOrderRepository(connection)
        self.payments = PgPaymentRepository(connection)
        self.refunds = PgRefundRepository(connection)
        self.order_numbers = PgOrderNumberSequence(connection)
        self.audit = PgAuditLog(connection)
        self.webhooks = PgWebhookInbox(connection)
        self.api_keys = PgApiKeyRepository(connection)
        self.idempotency = PgIdempotencyRepository(connection)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        connection = self._require_connection()
        self._connection = None
        try:
            await connection.rollback()  # nothing to do after commit()
        except Exception as error:
            # A failed rollback means a broken connection; an exception already on its way
            # out says more about what went wrong than the rollback's own error.
            if exc is None:
                _raise_if_unavailable(error)
                raise
        finally:
            await connection.close()
        if exc is not None:
            _raise_if_unavailable(exc)

    async def commit(self) -> None:
        await self._require_connection().commit()

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        async with self._require_connection().begin_nested():
            yield

    def _require_connection(self) -> AsyncConnection:
        if self._connection is None:
            raise RuntimeError("the unit of work is not open: use `async with`")
        return self._connection


class PgUnitOfWorkFactory(UnitOfWorkFactory):
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    def __call__(self) -> PgUnitOfWork:
        return PgUnitOfWork(self._engine)
