"""Alembic environment, driven by adapters.postgres.migrator.

The migrator hands over what this module needs through `config.attributes`: "url" (an
asyncpg SQLAlchemy URL, online runs only) and "target_metadata". Nothing is imported from
adapters here: the import-linter layers contract keeps `adapters` and `migrations` apart.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

MIGRATION_LOCK_ID = 0x7E55E7A_0001
"""Advisory lock key shared by every process that migrates a Tessera database."""

config = context.config
target_metadata = config.attributes["target_metadata"]


def run_migrations_offline() -> None:
    context.configure(
        dialect_name="postgresql",
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def run_locked_migrations(connection: Connection) -> None:
    """Concurrent upgrades queue on the lock; later ones then find the work done.

    The lock is transaction-scoped and the whole run is one transaction (transactional DDL),
    so the lock is held until the new revision is committed and released on any failure.
    """
    context.configure(connection=connection, target_metadata=target_metadata)
    with context.begin_transaction():
        connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": MIGRATION_LOCK_ID})
        context.run_migrations()


async def run_migrations_online() -> None:
    engine = create_async_engine(config.attributes["url"], poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(run_locked_migrations)
    finally:
        await engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    asyncio.run(run_migrations_online())
