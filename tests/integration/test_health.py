"""Readiness: the database answers and its schema is at head; never a hang."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.postgres import migrator
from adapters.postgres.engine import create_engine
from adapters.postgres.health import PgHealthProbe


@pytest.fixture
async def silent_server_url() -> AsyncIterator[str]:
    """A TCP server that accepts connections and never answers."""

    async def never_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.read()
        finally:
            writer.close()

    server = await asyncio.start_server(never_answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    yield f"postgresql://postgres@127.0.0.1:{port}/tessera"
    server.close()
    await server.wait_closed()


async def check(url: str, timeout: float = 2.0) -> dict[str, str]:
    engine = create_engine(url, null_pool=True)
    try:
        return await PgHealthProbe(engine, timeout=timeout).check()
    finally:
        await engine.dispose()


async def test_a_migrated_database_is_ready(pg_engine: AsyncEngine) -> None:
    assert await PgHealthProbe(pg_engine).check() == {"database": "ok", "migrations": "ok"}
    assert await migrator.is_at_head(pg_engine)


async def test_an_unmigrated_database_reports_where_it_is(create_database: Callable[[], str]) -> None:
    head = migrator.head_revision()
    assert await check(create_database()) == {"database": "ok", "migrations": f"at base, head is {head}"}


async def test_a_refused_connection_is_a_short_reason() -> None:
    checks = await check("postgresql://postgres@127.0.0.1:1/tessera")
    assert checks["database"].startswith("unavailable (")
    assert checks["migrations"] == "not checked: database unavailable"


async def test_a_server_that_never_answers_times_out(silent_server_url: str) -> None:
    checks = await asyncio.wait_for(check(silent_server_url, timeout=0.2), timeout=5)
    assert checks == {"database": "timed out after 0.2s", "migrations": "not checked: database unavailable"}
