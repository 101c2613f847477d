"""Readiness of the database: it answers, and its schema is at the head revision."""

from __future__ import annotations

import asyncio

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.postgres.migrator import head_revision, revision_of
from application.ports import HealthProbe

NOT_CHECKED = "not checked: database unavailable"


class PgHealthProbe(HealthProbe):
    """Never waits longer than `timeout` seconds, so a readiness probe cannot hang."""

    def __init__(self, engine: AsyncEngine, timeout: float = 2.0) -> None:
        self._engine = engine
        self._timeout = timeout

    async def check(self) -> dict[str, str]:
        try:
            async with asyncio.timeout(self._timeout):
                return await self._check()
        except TimeoutError:
            return {"database": f"timed out after {self._timeout:g}s", "migrations": NOT_CHECKED}
        except Exception as error:  # any driver or network failure means "not ready"
            return {"database": f"unavailable ({type(error).__name__})", "migrations": NOT_CHECKED}

    async def _check(self) -> dict[str, str]:
        async with self._engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
            current, head = await revision_of(connection), head_revision()
        migrations = "ok" if current == head else f"at {current or 'base'}, head is {head}"
        return {"database": "ok", "migrations": migrations}
