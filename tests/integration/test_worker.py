"""The worker loop: a recorded event wakes it long before its poll interval; stop ends it."""

from __future__ import annotations

import asyncio
import base64

import pytest

from application.commands import RecordWebhook as RecordWebhookCommand
from domain.webhooks import WebhookStatus
from entrypoints.config import Settings
from entrypoints.container import build_container, close_container
from entrypoints.worker import Worker
from tests.support import sandbox_delivery

SECRET = "whsec_" + base64.b64encode(b"worker-test-secret-32-bytes-long").decode()


@pytest.fixture(params=["memory", pytest.param("postgres", marks=pytest.mark.postgres)])
def storage_url(request: pytest.FixtureRequest) -> tuple[str, str | None]:
    if request.param == "memory":
        return "memory", None
    return "postgres", request.getfixturevalue("clean_database")


async def test_a_recorded_event_wakes_the_worker_and_stop_ends_it(storage_url: tuple[str, str | None]) -> None:
    storage, url = storage_url
    container = build_container(Settings(sandbox_webhook_secret=SECRET), storage, url)  # type: ignore[arg-type]
    # A poll interval far longer than the test: only the notification can explain a fast pick-up.
    worker = Worker(
        container.process_webhooks(), container.work_signal(), [], poll_interval=3600
    )
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run(stop))
    try:
        body, headers = sandbox_delivery(SECRET, "evt_wake", "sandbox.ping")  # a type nobody acts on
        receipt = await container.record_webhook()(RecordWebhookCommand("sandbox", body, headers))
        async with asyncio.timeout(10):
            while (await container.get_webhook_event()(receipt.event.id)).status is WebhookStatus.RECEIVED:
                await asyncio.sleep(0.02)
        assert (await container.get_webhook_event()(receipt.event.id)).status is WebhookStatus.IGNORED
        stop.set()
        async with asyncio.timeout(5):
            await running
    finally:
        running.cancel()
        await close_container(container)
