"""Runs the Alembic migrations in migrations/ against a PostgreSQL URL.

The sync functions run Alembic in a worker thread with its own event loop (env.py is async),
so they are safe to call from code that already runs an event loop in the calling thread.
Alembic keeps the running environment in module globals (`alembic.context`, `alembic.op`),
so commands in one process run one at a time; across processes env.py's advisory lock
serialises them.
"""

from __future__ import annotations

import asyncio
import functools
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from importlib import resources
from io import StringIO
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

import adapters.gateways.sandbox.tables  # noqa: F401  (its tables join the metadata Alembic builds)
from adapters.postgres.engine import async_url, create_engine
from adapters.postgres.tables import metadata

T = TypeVar("T")

_alembic_running = threading.Lock()


def upgrade(url: str, revision: str = "head") -> None:
    _in_worker_thread(_alembic, command.upgrade, _config(url), revision)


def downgrade(url: str, revision: str) -> None:
    _in_worker_thread(_alembic, command.downgrade, _config(url), revision)


def current_revision(url: str) -> str | None:
    return _in_worker_thread(asyncio.run, _current_revision(url))


@functools.cache
def head_revision() -> str:
    head = ScriptDirectory.from_config(_config()).get_current_head()
    if head is None:
        raise RuntimeError("migrations/versions holds no revision")
    return head


def offline_sql(from_rev: str | None = None, to_rev: str = "head") -> str:
    """The SQL an upgrade from `from_rev` (None: an empty database) to `to_rev` would run."""
    buffer = StringIO()
    config = _config()
    config.output_buffer = buffer
    _alembic(command.upgrade, config, f"{from_rev}:{to_rev}" if from_rev else to_rev, sql=True)
    return buffer.getvalue()


async def revision_of(connection: AsyncConnection) -> str | None:
    """The revision recorded in alembic_version; None for a database never migrated."""
    return await connection.run_sync(lambda sync: MigrationContext.configure(sync).get_current_revision())


async def is_at_head(engine: AsyncEngine) -> bool:
    async with engine.connect() as connection:
        return await revision_of(connection) == head_revision()


async def _current_revision(url: str) -> str | None:
    engine = create_engine(url, null_pool=True)
    try:
        async with engine.connect() as connection:
            return await revision_of(connection)
    finally:
        await engine.dispose()


def _config(url: str | None = None) -> Config:
    config = Config(attributes={"target_metadata": metadata})
    config.set_main_option("script_location", str(resources.files("migrations")).replace("%", "%%"))
    if url is not None:
        config.attributes["url"] = async_url(url)
    return config


def _alembic(alembic_command: Callable[..., None], *args: Any, **kwargs: Any) -> None:
    with _alembic_running:
        alembic_command(*args, **kwargs)


def _in_worker_thread(fn: Callable[..., T], *args: Any) -> T:
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="alembic") as pool:
        return pool.submit(fn, *args).result()
