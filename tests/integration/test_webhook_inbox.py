"""Acceptance on PostgreSQL: concurrent deliveries over HTTP, refused deliveries, worker processes."""

from __future__ import annotations

import asyncio
import base64
import multiprocessing
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from dependency_injector import providers
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.postgres.engine import create_engine
from adapters.postgres.uow import PgUnitOfWorkFactory
from adapters.system import SystemClock, UuidV7Generator
from application.auditing import AuditRecorder
from application.use_cases.process_webhooks import ProcessDueWebhooks
from application.webhook_handlers import WebhookHandlers
from domain.webhooks import RetryPolicy
from entrypoints.config import Settings
from entrypoints.container import Container, build_container, close_container
from entrypoints.http import create_app
from tests.contract.builders import a_webhook_event
from tests.support import FailsThen, issue_key, sandbox_delivery

OLD = "whsec_" + base64.b64encode(b"integration-old-secret-32-bytes!").decode()
NEW = "whsec_" + base64.b64encode(b"integration-new-secret-32-bytes!").decode()

EFFECTS = text("SELECT entity_id, count(*) FROM audit_log WHERE action = 'test.effect' GROUP BY entity_id")
EVENTS = text("SELECT provider_event_id, status, signature_verified FROM webhook_events ORDER BY provider_event_id")


@pytest.fixture
async def container(clean_database: str) -> AsyncIterator[Container]:
    container = build_container(Settings(sandbox_webhook_secret=f"{OLD}, {NEW}"), "postgres", clean_database)
    handlers = WebhookHandlers()  # in place of the payment handlers: a test handler counts effects
    handlers.register("sandbox", "payment.captured", FailsThen())
    container.webhook_handlers.override(providers.Object(handlers))
    yield container
    await close_container(container)


@pytest.fixture
async def client(container: Container) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(container))
    headers = {"Authorization": f"Bearer {await issue_key(container)}"}
    async with httpx.AsyncClient(transport=transport, base_url="http://tessera", headers=headers) as client:
        yield client


async def rows(engine: AsyncEngine, query: text) -> list[tuple]:
    async with engine.connect() as connection:
        return [tuple(row) for row in await connection.execute(query)]


async def test_concurrent_deliveries_store_each_event_once_and_apply_it_once(
    container: Container, client: httpx.AsyncClient, pg_engine: AsyncEngine
) -> None:
    first, second = sandbox_delivery(NEW, "evt_first"), sandbox_delivery(OLD, "evt_second")
    deliveries = [first] * 100 + [second] * 20
    responses = await asyncio.gather(
        *(client.post("/v1/webhooks/sandbox", content=body, headers=headers) for body, headers in deliveries)
    )
    assert {r.status_code for r in responses} == {200}
    duplicates = [r.json()["duplicate"] for r in responses]
    assert (duplicates[:100].count(False), duplicates[100:].count(False)) == (1, 1)

    # Several workers at once, and more steps than there is work: still one application each.
    await asyncio.gather(*(container.process_webhooks()(10) for _ in range(4)))
    await container.process_webhooks()(10)
    assert await rows(pg_engine, EVENTS) == [("evt_first", "processed", True), ("evt_second", "processed", True)]
    assert sorted(count for _, count in await rows(pg_engine, EFFECTS)) == [1, 1]


def _tampered() -> tuple[bytes, dict[str, str]]:
    body, headers = sandbox_delivery(NEW, "evt_bad")
    return body.replace(b"5000", b"1"), headers


def _without_signature() -> tuple[bytes, dict[str, str]]:
    body, headers = sandbox_delivery(NEW, "evt_bad")
    return body, {k: v for k, v in headers.items() if k != "webhook-signature"}


WRONG = "whsec_" + base64.b64encode(b"not-a-configured-secret-32-bytes").decode()


@pytest.mark.parametrize(
    "delivery",
    [
        pytest.param(_tampered, id="tampered body"),
        pytest.param(lambda: sandbox_delivery(WRONG, "evt_bad"), id="wrong secret"),
        pytest.param(_without_signature, id="missing headers"),
        pytest.param(
            lambda: sandbox_delivery(NEW, "evt_bad", at=datetime.now(UTC) - timedelta(minutes=6)), id="stale"
        ),
    ],
)
async def test_unverifiable_deliveries_are_400_and_store_nothing(
    client: httpx.AsyncClient, pg_engine: AsyncEngine, delivery: Callable[[], tuple[bytes, dict[str, str]]]
) -> None:
    body, headers = delivery()
    response = await client.post("/v1/webhooks/sandbox", content=body, headers=headers)
    assert (response.status_code, response.json()["code"]) == (400, "invalid_signature")
    assert await rows(pg_engine, EVENTS) == []
    # The client's own API key is the only thing audited.
    assert await rows(pg_engine, text("SELECT count(*) FROM audit_log WHERE entity_type <> 'api_key'")) == [(0,)]


async def test_unknown_provider_is_404(client: httpx.AsyncClient) -> None:
    body, headers = sandbox_delivery(NEW, "evt_1")
    response = await client.post("/v1/webhooks/acme", content=body, headers=headers)
    assert (response.status_code, response.json()["code"]) == (404, "not_found")


async def test_operators_list_and_replay_over_http(client: httpx.AsyncClient, container: Container) -> None:
    body, headers = sandbox_delivery(NEW, "evt_1")
    await client.post("/v1/webhooks/sandbox", content=body, headers=headers)
    await container.process_webhooks()(10)
    listed = (await client.get("/v1/webhook-events", params={"status": "processed", "provider": "sandbox"})).json()
    assert [(e["provider_event_id"], e["attempts"]) for e in listed["data"]] == [("evt_1", 1)]
    replay = await client.post(f"/v1/webhook-events/{listed['data'][0]['id']}/replay")
    assert (replay.status_code, replay.json()["status"]) == (202, "received")
    assert (await client.get("/v1/webhook-events", params={"status": "processed"})).json()["data"] == []


# -- three worker processes ------------------------------------------------------------------

EVENTS_TO_DRAIN = 2000


def _drain(database_url: str, start: multiprocessing.synchronize.Barrier, handled: multiprocessing.Queue) -> None:
    handled.put(asyncio.run(_drain_async(database_url, start)))


async def _drain_async(database_url: str, start: multiprocessing.synchronize.Barrier) -> int:
    engine = create_engine(database_url, pool_size=2)
    handlers = WebhookHandlers()
    handlers.register("sandbox", "payment.captured", FailsThen())
    clock = SystemClock()
    process = ProcessDueWebhooks(
        PgUnitOfWorkFactory(engine), clock, AuditRecorder(clock, UuidV7Generator()), handlers, RetryPolicy()
    )
    start.wait()
    total = 0
    try:
        while handled := await process(25):
            total += handled
    finally:
        await engine.dispose()
    return total


async def test_three_worker_processes_drain_a_backlog_each_event_exactly_once(
    pg_engine: AsyncEngine, clean_database: str
) -> None:
    async with PgUnitOfWorkFactory(pg_engine)() as uow:
        for _ in range(EVENTS_TO_DRAIN):
            await uow.webhooks.record(a_webhook_event(at=datetime.now(UTC) - timedelta(minutes=1)))
        await uow.commit()

    spawn = multiprocessing.get_context("spawn")
    start, handled = spawn.Barrier(3), spawn.Queue()
    workers = [spawn.Process(target=_drain, args=(clean_database, start, handled)) for _ in range(3)]
    for worker in workers:
        worker.start()
    counts = [handled.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)
        assert worker.exitcode == 0

    assert sum(counts) == EVENTS_TO_DRAIN and all(counts), counts
    assert await rows(pg_engine, text("SELECT status, count(*) FROM webhook_events GROUP BY status")) == [
        ("processed", EVENTS_TO_DRAIN)
    ]
    effects = await rows(pg_engine, EFFECTS)
    assert len(effects) == EVENTS_TO_DRAIN and {count for _, count in effects} == {1}
