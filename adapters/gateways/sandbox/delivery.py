"""The sandbox provider's webhook sender: signed POSTs to Tessera over real HTTP, with retries.

It goes through the network on purpose, even to its own process: Tessera then receives sandbox
events exactly as it receives a remote provider's, signature check and all.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Sequence
from datetime import datetime, timedelta

import httpx
from standardwebhooks import Webhook

from adapters.gateways.sandbox.model import OutboxEvent
from adapters.gateways.sandbox.provider import SandboxProvider
from adapters.gateways.sandbox.store import SandboxStore
from application.ports import Clock

logger = logging.getLogger("tessera.sandbox")

WEBHOOK_PATH = "/v1/webhooks/sandbox"
SEND_TIMEOUT = 10.0
CLAIM_LEASE = timedelta(seconds=60)
"""Longer than a send can take: while it runs, no other sender takes the event; if this one
dies, the event is due again once the lease ends (delivered at least once)."""
FIRST_RETRY = timedelta(seconds=1)
LONGEST_RETRY = timedelta(seconds=60)
MAX_ATTEMPTS = 12
IDLE_WAIT = 0.2
EXPIRY_INTERVAL = timedelta(seconds=1)


def retry_delay(attempts: int) -> timedelta:
    """1 s after the first failed attempt, doubling, at most a minute."""
    return min(FIRST_RETRY * 2 ** (attempts - 1), LONGEST_RETRY)


class SandboxWebhookSender:
    """Sends the provider's queued events to `{public_url}/v1/webhooks/sandbox`, signed with the
    first of `secrets` (Standard Webhooks). A 2xx answer delivers an event; anything else is
    retried with back-off, up to MAX_ATTEMPTS. Any number of senders may share one store."""

    def __init__(
        self,
        store: SandboxStore,
        provider: SandboxProvider,
        *,
        public_url: str,
        secrets: Sequence[str],
        clock: Clock,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        if not secrets:
            raise ValueError("the sandbox webhook sender needs a secret to sign with")
        self._store = store
        self._provider = provider
        self._url = public_url.rstrip("/") + WEBHOOK_PATH
        self._webhook = Webhook(secrets[0])
        self._clock = clock
        self._client = client or httpx.AsyncClient(timeout=SEND_TIMEOUT)
        self._failing = False

    async def aclose(self) -> None:
        await self._client.aclose()

    async def deliver_due(self, limit: int = 50) -> int:
        """Sends the due events concurrently; returns how many it tried (delivered or not)."""
        now = self._clock.now()
        async with self._store.transaction() as tx:
            events = await tx.claim_events(now, now + CLAIM_LEASE, limit)
        if not events:
            return 0
        failures = await asyncio.gather(*(self._send(event) for event in events))
        async with self._store.transaction() as tx:
            for event, failure in zip(events, failures):
                self._settle(event, failure, self._clock.now())
                await tx.save_event(event)
        return len(events)

    async def run(self, stop: asyncio.Event, limit: int = 50) -> None:
        """Until `stop` is set: sends due events, expires overdue checkouts every second, and
        between rounds waits for the provider to queue an event, at most IDLE_WAIT. Closes the
        HTTP client when it returns: the loop is the sender's whole life under `serve`."""
        next_expiry = self._clock.now()
        try:
            while not stop.is_set():
                self._provider.events_queued.clear()
                if self._clock.now() >= next_expiry:
                    next_expiry = self._clock.now() + EXPIRY_INTERVAL
                    await self._round(self._provider.expire_due(self._clock.now()))
                if await self._round(self.deliver_due(limit)) < limit:
                    await self._idle(stop)
        finally:
            await self.aclose()

    async def _round(self, work: Awaitable[int]) -> int:
        """One round's work; a failure (the database is down) is logged once per streak and
        counts as nothing done, so the loop outlives it."""
        try:
            done = await work
        except Exception:  # noqa: BLE001
            if not self._failing:
                logger.exception("sandbox webhook rounds are failing; retrying")
            self._failing = True
            return 0
        if self._failing:
            logger.info("sandbox webhook rounds succeed again")
            self._failing = False
        return done

    async def _idle(self, stop: asyncio.Event) -> None:
        waits = [asyncio.ensure_future(self._provider.events_queued.wait()), asyncio.ensure_future(stop.wait())]
        try:
            await asyncio.wait(waits, timeout=IDLE_WAIT, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiting in waits:
                waiting.cancel()
            await asyncio.gather(*waits, return_exceptions=True)

    async def _send(self, event: OutboxEvent) -> str | None:
        """None once Tessera accepted the event, else why it did not."""
        signed_at = self._clock.now()
        headers = {
            "content-type": "application/json",
            "webhook-id": event.id,
            "webhook-timestamp": str(int(signed_at.timestamp())),
            "webhook-signature": self._webhook.sign(event.id, signed_at, event.body.decode()),
        }
        try:
            response = await self._client.post(self._url, content=event.body, headers=headers)
        except httpx.HTTPError as exc:
            return f"{type(exc).__name__}: {exc}"
        return None if response.is_success else f"HTTP {response.status_code}: {response.text[:200]}"

    def _settle(self, event: OutboxEvent, failure: str | None, now: datetime) -> None:
        event.last_error = failure
        if failure is None:
            event.delivered_at, event.next_attempt_at = now, None
        elif event.attempts >= MAX_ATTEMPTS:
            event.next_attempt_at = None
            logger.error("sandbox webhook %s (%s) given up after %d attempts: %s", event.id, event.type, event.attempts, failure)
        else:
            event.next_attempt_at = now + retry_delay(event.attempts)
            logger.warning("sandbox webhook %s (%s) attempt %d failed: %s", event.id, event.type, event.attempts, failure)
