"""The migrations build exactly the schema of adapters/postgres/tables.py, and undo it."""

from __future__ import annotations

import multiprocessing
import re
from collections.abc import Callable
from datetime import UTC, datetime
from uuid import uuid4

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import CheckConstraint, Connection, inspect, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.schema import CreateIndex

from adapters.postgres import migrator
from adapters.postgres.engine import create_engine
from adapters.postgres.tables import audit_log, metadata


async def inspect_database(url: str, look: Callable[[Connection], object]) -> object:
    engine = create_engine(url, null_pool=True)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(look)
    finally:
        await engine.dispose()


def schema_differences(connection: Connection) -> list:
    context = MigrationContext.configure(connection, opts={"compare_type": True, "compare_server_default": True})
    return compare_metadata(context, metadata)


def table_names(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


def index_definitions(connection: Connection) -> dict[str, str]:
    """Index name -> definition as PostgreSQL stores it, in the shape `CreateIndex` compiles to."""
    rows = connection.execute(
        text("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND indexname LIKE 'ix_%'")
    )
    return {name: re.sub(r" ON \w+\.(\w+) USING btree ", r" ON \1 ", definition) for name, definition in rows}


def check_constraint_names(connection: Connection) -> set[str]:
    inspector = inspect(connection)
    return {check["name"] for table in metadata.tables for check in inspector.get_check_constraints(table)}


def expected_index_definitions() -> dict[str, str]:
    dialect = postgresql.dialect()
    return {
        index.name: str(CreateIndex(index).compile(dialect=dialect))
        for table in metadata.sorted_tables
        for index in table.indexes
    }


def expected_check_constraint_names() -> set[str]:
    return {
        constraint.name
        for table in metadata.sorted_tables
        for constraint in table.constraints
        if isinstance(constraint, CheckConstraint)
    }


async def test_upgrade_downgrade_upgrade_builds_the_metadata_schema(create_database: Callable[[], str]) -> None:
    url = create_database()
    migrator.upgrade(url)
    assert migrator.current_revision(url) == migrator.head_revision()

    migrator.downgrade(url, "base")
    assert migrator.current_revision(url) is None
    assert await inspect_database(url, table_names) == {"alembic_version"}

    migrator.upgrade(url)
    assert migrator.current_revision(url) == migrator.head_revision()
    assert await inspect_database(url, table_names) == set(metadata.tables) | {"alembic_version"}
    assert await inspect_database(url, schema_differences) == []


async def test_indexes_keep_their_columns_and_sort_order(database_url: str) -> None:
    expected = expected_index_definitions()
    assert "ix_orders_created_at_id" in expected
    assert expected["ix_orders_created_at_id"].endswith("(created_at DESC, id DESC)")
    assert await inspect_database(database_url, index_definitions) == expected


async def test_check_constraints_are_all_there(database_url: str) -> None:
    assert await inspect_database(database_url, check_constraint_names) == expected_check_constraint_names()


async def test_audit_log_rejects_update_and_delete(pg_engine: AsyncEngine) -> None:
    async with pg_engine.begin() as connection:
        await connection.execute(audit_log.insert().values(
            id=uuid4(), entity_type="order", entity_id=uuid4(), action="placed", actor="test",
            occurred_at=datetime(2026, 5, 15, tzinfo=UTC),
        ))
    for statement in (audit_log.update().values(actor="someone else"), audit_log.delete()):
        with pytest.raises(DBAPIError, match="append-only"):
            async with pg_engine.begin() as connection:
                await connection.execute(statement)
    async with pg_engine.connect() as connection:
        assert await connection.scalar(text("SELECT count(*) FROM audit_log")) == 1


async def test_audit_log_can_still_be_truncated(pg_engine: AsyncEngine) -> None:
    async with pg_engine.begin() as connection:
        await connection.execute(text("TRUNCATE audit_log"))


def test_offline_sql_is_the_whole_upgrade() -> None:
    sql = migrator.offline_sql()
    assert "CREATE TABLE orders" in sql
    assert "CREATE TRIGGER audit_log_append_only" in sql
    assert "CREATE TABLE webhook_events" in sql
    assert f"UPDATE alembic_version SET version_num='{migrator.head_revision()}'" in sql


def test_offline_sql_from_head_changes_nothing() -> None:
    assert "CREATE TABLE" not in migrator.offline_sql(from_rev=migrator.head_revision())


def test_concurrent_upgrades_from_several_processes(create_database: Callable[[], str]) -> None:
    """Forked, so the processes start at once instead of each importing Alembic first."""
    url = create_database()
    processes = [multiprocessing.get_context("fork").Process(target=migrator.upgrade, args=(url,)) for _ in range(3)]
    for process in processes:
        process.start()
    for process in processes:
        process.join()
    assert [process.exitcode for process in processes] == [0, 0, 0]
    assert migrator.current_revision(url) == migrator.head_revision()
