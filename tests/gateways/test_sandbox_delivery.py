"""The sandbox's webhooks over real HTTP to a receiver on 127.0.0.1 that checks them as Tessera
would: signed, retried with back-off until a 2xx, then never sent again."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import uvicorn
from litestar import Litestar, Request, Response, post
from litestar.params import FromPath
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from adapters.gateways.sandbox.delivery import MAX_ATTEMPTS, SandboxWebhookSender, retry_delay
from adapters.gateways.sandbox.provider import SandboxProvider
from adapters.gateways.sandbox.store import SandboxStore
from domain.money import Money
from domain.payments import CaptureMethod
from tests.gateways.test_sandbox_provider import provider, store  # noqa: F401  (fixtures)
from tests.support import FrozenClock, free_port

SECRET = "whsec_" + base64.b64encode(b"sandbox-secret-sandbox-secret-32").decode()
NEXT_SECRET = "whsec_" + base64.b64encode(b"next-secret-next-secret-next-sec").decode()


@dataclass(frozen=True)
class Delivery:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    verified: bool


class Receiver:
    """Tessera's webhook route, played by a small app: checks each delivery's signature with
    the sandbox secret and answers the scripted statuses, then 200."""

    def __init__(self, statuses: tuple[int, ...]) -> None:
        self.deliveries: list[Delivery] = []
        self._statuses = list(statuses)
        self._arrived = threading.Condition()

        @post("/{path:path}", status_code=200)
        async def receive(request: Request[Any, Any, Any], path: FromPath[str]) -> Response[str]:
            body = await request.body()
            headers = dict(request.headers)
            try:
                Webhook(SECRET).verify(body, headers)
                verified = True
            except WebhookVerificationError:
                verified = False
            with self._arrived:
                self.deliveries.append(Delivery(path, headers, json.loads(body), verified))
                self._arrived.notify_all()
            return Response("", status_code=self._statuses.pop(0) if self._statuses else 200)

        self.app = Litestar(route_handlers=[receive])

    async def wait_for(self, count: int) -> None:
        def arrived() -> None:
            with self._arrived:
                assert self._arrived.wait_for(lambda: len(self.deliveries) >= count, timeout=10), self.deliveries

        await asyncio.to_thread(arrived)

    def summary(self) -> list[tuple[str, int]]:
        return sorted((d.body["type"], d.body["data"]["amount"]) for d in self.deliveries)



@pytest.fixture
def statuses() -> tuple[int, ...]:
    """What the receiver answers its first deliveries; 200 afterwards."""
    return ()


@pytest.fixture
def receiver(statuses: tuple[int, ...]) -> Iterator[tuple[Receiver, str]]:
    """Served by uvicorn in a thread, so the test's event loop stays the sender's alone."""
    receiver = Receiver(statuses)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(receiver.app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started and thread.is_alive():
        threading.Event().wait(0.01)
    yield receiver, f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join()


@pytest.fixture
def clock() -> FrozenClock:
    """Real time, frozen: the receiver checks each signature's timestamp against its clock."""
    return FrozenClock(datetime.now(UTC))


def sender_to(url: str, store: SandboxStore, provider: SandboxProvider, clock: FrozenClock) -> SandboxWebhookSender:
    return SandboxWebhookSender(store, provider, public_url=url + "/", secrets=[SECRET, NEXT_SECRET], clock=clock)


@pytest.fixture
async def sender(
    receiver: tuple[Receiver, str], store: SandboxStore, provider: SandboxProvider, clock: FrozenClock  # noqa: F811
) -> AsyncIterator[SandboxWebhookSender]:
    sender = sender_to(receiver[1], store, provider, clock)
    yield sender
    await sender.aclose()


async def declined(provider: SandboxProvider, clock: FrozenClock, key: str = "create-1") -> str:  # noqa: F811
    """A payment the buyer declined: one payment.failed event queued."""
    created = await provider.create_payment(
        amount=Money(5000, "USD"), capture_method=CaptureMethod.AUTOMATIC, expires_at=clock.now() + timedelta(minutes=30),
        description="Order 1", idempotency_key=key,
    )
    await provider.decline(created.id)
    return created.id


async def test_an_event_is_signed_and_posted_to_the_sandbox_webhook_route_once(
    sender: SandboxWebhookSender, receiver: tuple[Receiver, str], provider: SandboxProvider, clock: FrozenClock  # noqa: F811
) -> None:
    payment_id = await declined(provider, clock)

    assert await sender.deliver_due() == 1

    [delivery] = receiver[0].deliveries
    assert delivery.verified and delivery.path == "/v1/webhooks/sandbox"
    assert delivery.headers["content-type"] == "application/json"
    assert delivery.headers["webhook-id"] == delivery.body["id"]
    assert delivery.body["type"] == "payment.failed"
    assert delivery.body["data"] == {"payment_id": payment_id, "amount": 5000, "currency": "USD"}
    clock.advance(minutes=5)
    assert await sender.deliver_due() == 0
    assert len(receiver[0].deliveries) == 1


@pytest.mark.parametrize("statuses", [(500,)])
async def test_a_refused_delivery_is_retried_after_a_second_and_then_delivered_once(
    sender: SandboxWebhookSender, receiver: tuple[Receiver, str], provider: SandboxProvider, clock: FrozenClock  # noqa: F811
) -> None:
    await declined(provider, clock)

    assert await sender.deliver_due() == 1
    assert await sender.deliver_due() == 0
    clock.advance(seconds=1)
    assert await sender.deliver_due() == 1
    clock.advance(minutes=5)
    assert await sender.deliver_due() == 0

    first, second = receiver[0].deliveries
    assert first.verified and second.verified
    assert first.body == second.body and first.headers["webhook-id"] == second.headers["webhook-id"]


async def test_an_unreachable_tessera_gets_doubling_retries_then_is_given_up(
    store: SandboxStore, provider: SandboxProvider, clock: FrozenClock, caplog: pytest.LogCaptureFixture  # noqa: F811
) -> None:
    sender = sender_to(f"http://127.0.0.1:{free_port()}", store, provider, clock)
    await declined(provider, clock)

    delays = []
    for attempt in range(1, MAX_ATTEMPTS + 1):
        assert await sender.deliver_due() == 1
        delay = retry_delay(attempt)
        clock.advance(seconds=delay.total_seconds() - 0.5)
        assert await sender.deliver_due() == 0
        clock.advance(seconds=0.5)
        delays.append(int(delay.total_seconds()))
    clock.advance(hours=1)
    assert await sender.deliver_due() == 0
    await sender.aclose()

    assert delays == [1, 2, 4, 8, 16, 32, 60, 60, 60, 60, 60, 60]
    assert any("given up after 12 attempts" in record.getMessage() for record in caplog.records if record.levelno == logging.ERROR)


async def test_two_senders_deliver_each_event_once(
    receiver: tuple[Receiver, str], store: SandboxStore, provider: SandboxProvider, clock: FrozenClock  # noqa: F811
) -> None:
    for n in range(20):
        await declined(provider, clock, key=f"create-{n}")
    senders = [sender_to(receiver[1], store, provider, clock) for _ in range(2)]

    attempted = await asyncio.gather(*(sender.deliver_due(limit=7) for sender in senders for _ in range(3)))

    assert sum(attempted) == 20
    ids = [d.headers["webhook-id"] for d in receiver[0].deliveries]
    assert len(ids) == len(set(ids)) == 20
    for sender in senders:
        await sender.aclose()


async def test_the_running_sender_is_woken_by_new_events_and_expires_overdue_checkouts(
    sender: SandboxWebhookSender, receiver: tuple[Receiver, str], provider: SandboxProvider, clock: FrozenClock  # noqa: F811
) -> None:
    stop = asyncio.Event()
    running = asyncio.create_task(sender.run(stop))

    created = await provider.create_payment(
        amount=Money(5000, "USD"), capture_method=CaptureMethod.AUTOMATIC, expires_at=clock.now() + timedelta(minutes=30),
        description="Order 1", idempotency_key="create-1",
    )
    await provider.approve(created.id)
    await receiver[0].wait_for(2)
    await provider.create_payment(
        amount=Money(700, "USD"), capture_method=CaptureMethod.AUTOMATIC, expires_at=clock.now() + timedelta(seconds=1),
        description="Order 2", idempotency_key="create-2",
    )
    clock.advance(seconds=1)
    await receiver[0].wait_for(3)
    stop.set()
    await asyncio.wait_for(running, timeout=5)

    assert receiver[0].summary() == [("payment.authorized", 5000), ("payment.captured", 5000), ("payment.expired", 700)]
    assert all(d.verified for d in receiver[0].deliveries)
