"""LISTEN for the inbox's notifications, on a connection of its own."""

from __future__ import annotations

import asyncio
import logging
from types import TracebackType
from typing import Self

import asyncpg
from sqlalchemy.engine import make_url

from adapters.postgres.repositories import WEBHOOK_CHANNEL
from application.ports import WorkSignal

logger = logging.getLogger("tessera.worker")


class PgWorkSignal(WorkSignal):
    """A dedicated asyncpg connection, not one from the pool: a LISTEN lasts as long as its
    session, and a pooled connection is shared out to units of work. When the connection is
    lost (or cannot be made), it is made again on the next wait; meanwhile the worker polls."""

    def __init__(self, database_url: str) -> None:
        self._dsn = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
        self._connection: asyncpg.Connection | None = None
        self._notified = asyncio.Event()

    async def __aenter__(self) -> Self:
        await self._listen()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._connection is not None:
            await self._connection.close()
            self._connection = None

    async def wait(self) -> None:
        """Without a connection this waits for nothing: the caller's poll interval bounds it."""
        if self._connection is None or self._connection.is_closed():
            await self._listen()
        await self._notified.wait()
        self._notified.clear()

    async def _listen(self) -> None:
        try:
            connection = await asyncpg.connect(self._dsn)
            await connection.add_listener(WEBHOOK_CHANNEL, self._on_notification)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
            logger.warning("cannot LISTEN for webhook events, polling only for now: %s", error)
            self._connection = None
            return
        self._connection = connection
        # Events recorded while nobody listened may be due: look once rather than wait a poll.
        self._notified.set()

    def _on_notification(self, *_: object) -> None:
        self._notified.set()
