"""Tessera served by uvicorn on a real 127.0.0.1 port, as `tessera serve` runs it: the webhook
worker and the sandbox provider's webhook sender alongside, so sandbox events travel over HTTP
exactly as a remote provider's would."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
import uvicorn

from entrypoints.serving import serving_app
from entrypoints.config import Settings
from entrypoints.container import Container, build_container
from tests.support import free_port, issue_key

SANDBOX_SECRET = "whsec_" + "ZTJlLXNhbmRib3gtc2VjcmV0LWZvci10ZXNzZXJh"



@asynccontextmanager
async def live_tessera(database_url: str | None, *, expected_5xx: frozenset[int] = frozenset({503})) -> AsyncIterator[httpx.AsyncClient]:
    """An admin client of a served Tessera (PostgreSQL at `database_url`, or memory when None).

    Only a 503 (a provider call that broke off, safe to retry) is an expected server error."""
    port = free_port()
    settings = Settings(sandbox_webhook_secret=SANDBOX_SECRET).serving("127.0.0.1", port, keep=False)
    container: Container = build_container(settings, "memory" if database_url is None else "postgres", database_url)
    key = await issue_key(container, "admin")
    server = uvicorn.Server(uvicorn.Config(serving_app(container, worker=True), host="127.0.0.1", port=port,
                                           log_config=None, access_log=False, lifespan="on"))
    serving = asyncio.create_task(server.serve())
    while not server.started:
        if serving.done():
            serving.result()
        await asyncio.sleep(0.02)

    async def no_server_errors(response: httpx.Response) -> None:
        if response.status_code >= 500 and response.status_code not in expected_5xx:
            await response.aread()
            pytest.fail(f"{response.request.method} {response.request.url.path} -> {response.status_code}: {response.text}")

    try:
        async with httpx.AsyncClient(
            base_url=settings.public_url or "", headers={"Authorization": f"Bearer {key}"}, timeout=30,
            event_hooks={"response": [no_server_errors]},
        ) as client:
            yield client
    finally:
        server.should_exit = True
        await serving


async def eventually(read: Callable[[], Awaitable[dict[str, Any]]], done: Callable[[dict[str, Any]], bool],
                     timeout: float = 20) -> dict[str, Any]:
    """Polls `read` until `done` holds: webhooks travel and are processed asynchronously."""
    async with asyncio.timeout(timeout):
        while True:
            value = await read()
            if done(value):
                return value
            await asyncio.sleep(0.05)
