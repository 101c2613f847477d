"""PostgreSQL for the test session: one server, one database migrated once, a clean slate per test.

The server is TESSERA_TEST_DATABASE_URL's when set, else an embedded one started for the
session. Every test that uses it, directly or through other fixtures, is marked `postgres`.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from uuid import uuid4

import pytest
from sqlalchemy import text
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.postgres import migrator
from adapters.postgres.embedded import start_embedded, stop_embedded
from adapters.postgres.engine import create_engine
from adapters.postgres.tables import metadata
from tests.support import database_on, run_admin

TEST_SERVER_VARIABLE = "TESSERA_TEST_DATABASE_URL"

TRUNCATE_ALL = "TRUNCATE {} RESTART IDENTITY CASCADE".format(
    ", ".join(postgresql.dialect().identifier_preparer.quote(table.name) for table in metadata.sorted_tables)
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "postgres_server_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.postgres)


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """A URL to any database on the server; tests get their own databases through it."""
    if url := os.environ.get(TEST_SERVER_VARIABLE):
        yield url
        return
    with _folder_for_embedded_postgres() as data_dir:
        yield start_embedded(data_dir)
        stop_embedded(data_dir)


@pytest.fixture(scope="session")
def create_database(postgres_server_url: str) -> Iterator[Callable[[], str]]:
    """Creates empty, uniquely named databases; all are dropped when the session ends."""
    names: list[str] = []

    def create() -> str:
        name = f"tessera_test_{uuid4().hex[:12]}"
        run_admin(postgres_server_url, f'CREATE DATABASE "{name}"')
        names.append(name)
        return database_on(postgres_server_url, name)

    yield create
    for name in names:
        run_admin(postgres_server_url, f'DROP DATABASE "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def database_url(create_database: Callable[[], str]) -> str:
    """The session's database, built by `alembic upgrade head` (never `create_all`)."""
    url = create_database()
    migrator.upgrade(url)
    return url


@pytest.fixture
async def clean_database(database_url: str) -> str:
    """The session's database with every table emptied; returns its URL."""
    engine = create_engine(database_url, null_pool=True)
    try:
        async with engine.begin() as connection:
            await connection.execute(text(TRUNCATE_ALL))
    finally:
        await engine.dispose()
    return database_url


@pytest.fixture
async def pg_engine(clean_database: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(clean_database, null_pool=True)
    yield engine
    await engine.dispose()


@pytest.fixture
def embedded_postgres_tmp() -> Iterator[Path]:
    """An empty folder for embedded PostgreSQL data dirs, removed after the test."""
    with _folder_for_embedded_postgres() as folder:
        yield folder


@contextmanager
def _folder_for_embedded_postgres() -> Iterator[Path]:
    """Not under pytest's tmp_path tree: every pytest session starting on the machine resets
    that tree to mode 0700, which locks out the `pgserver` user the server runs as under root."""
    folder = Path(tempfile.mkdtemp(prefix="tessera-postgres-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder)

