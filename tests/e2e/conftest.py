"""The real Litestar app, driven over HTTP in the test's event loop, on PostgreSQL or in memory.

Every client here fails the test on any 5xx answer, except a 503 the test asked for.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import httpx
import pytest
from litestar import Litestar

from entrypoints.config import Settings
from entrypoints.container import Container, build_container
from entrypoints.http import create_app
from tests.support import issue_key

UNREACHABLE_DATABASE = "postgresql://postgres@127.0.0.1:1/unreachable"


@asynccontextmanager
async def serve(
    container: Container, *, expected_5xx: frozenset[int] = frozenset(), scope: str | None = "admin"
) -> AsyncIterator[httpx.AsyncClient]:
    """A client of a fresh app on `container`, running the app's startup and shutdown hooks,
    sending a new API key of `scope` with every request (none when `scope` is None)."""
    app = create_app(container)
    headers = {"Authorization": f"Bearer {await issue_key(container, scope)}"} if scope else {}

    async def no_server_errors(response: httpx.Response) -> None:
        if response.status_code >= 500 and response.status_code not in expected_5xx:
            await response.aread()
            pytest.fail(f"{response.request.method} {response.request.url.path} -> {response.status_code}: {response.text}")

    async with _lifespan(app), httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://tessera.test",
        headers=headers,
        event_hooks={"response": [no_server_errors]},
    ) as client:
        yield client


@asynccontextmanager
async def _lifespan(app: Litestar) -> AsyncIterator[None]:
    """Startup and shutdown run in a task of their own: pytest-asyncio sets a fixture up and
    tears it down in different tasks, and the app's lifespan must begin and end in one."""
    started, stopping = asyncio.Event(), asyncio.Event()

    async def lifespan() -> None:
        async with app.lifespan():
            started.set()
            await stopping.wait()

    task = asyncio.create_task(lifespan())
    await started.wait()
    try:
        yield
    finally:
        stopping.set()
        await task


@pytest.fixture
async def api(clean_database: str) -> AsyncIterator[httpx.AsyncClient]:
    """The API on the session's PostgreSQL database, emptied for this test."""
    async with serve(build_container(Settings(), "postgres", clean_database)) as client:
        yield client


@pytest.fixture
async def memory_api() -> AsyncIterator[httpx.AsyncClient]:
    async with serve(build_container(Settings(), "memory")) as client:
        yield client


@pytest.fixture(params=[pytest.param("postgres", marks=pytest.mark.postgres), "memory"])
def any_api(request: pytest.FixtureRequest) -> httpx.AsyncClient:
    """The same test once per storage (the mark: `api` is only requested by name here)."""
    return request.getfixturevalue("api" if request.param == "postgres" else "memory_api")


@pytest.fixture
async def unreachable_api() -> AsyncIterator[httpx.AsyncClient]:
    """The API configured with a database nobody listens for."""
    container = build_container(Settings(), "postgres", UNREACHABLE_DATABASE)
    async with serve(container, expected_5xx=frozenset({503}), scope=None) as client:
        # No key can be issued without a database; any bearer secret makes the guard ask it.
        client.headers["Authorization"] = "Bearer tsk_unverifiable"
        yield client


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """The CLI and logging tests install Tessera's logging setup; put pytest's back after."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
