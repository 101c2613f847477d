"""Deterministic time and ids, webhook deliveries and API keys for tests."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import json
import socket
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

from sqlalchemy import text
from sqlalchemy.engine import make_url
from standardwebhooks import Webhook

from adapters.postgres.engine import create_engine

from application.commands import CreateApiKey
from application.ports import Clock, IdGenerator, UnitOfWork, WebhookHandler
from domain.audit import AuditEntry
from domain.webhooks import WebhookEvent
from entrypoints.container import Container


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now, for a server a test starts."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class FrozenClock(Clock):
    """Stands still until told to move."""

    def __init__(self, at: datetime | None = None) -> None:
        self._now = at or datetime(2026, 5, 15, 9, 30, tzinfo=UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, **delta: float) -> None:
        self._now += timedelta(**delta)


class SequentialIds(IdGenerator):
    """Ids 00000000-0000-7000-8000-000000000001, ...002, ... in order."""

    def __init__(self) -> None:
        self._next = 1

    def new_id(self) -> UUID:
        value = self._next
        self._next += 1
        return UUID(f"00000000-0000-7000-8000-{value:012x}")


def sandbox_delivery(
    secret: str,
    event_id: str,
    type: str = "payment.captured",
    *,
    at: datetime | None = None,
    data: dict[str, object] | None = None,
) -> tuple[bytes, dict[str, str]]:
    """A sandbox event body and its Standard Webhooks headers, signed with `secret` at `at` (now)."""
    body = json.dumps(
        {"id": event_id, "type": type, "created_at": "2026-05-15T09:30:00Z",
         "data": data or {"payment_id": "pay_1", "amount": 5000, "currency": "USD"}}
    ).encode()
    signed_at = at or datetime.now(UTC)
    headers = {
        "webhook-id": event_id,
        "webhook-timestamp": str(int(signed_at.timestamp())),
        "webhook-signature": Webhook(secret).sign(event_id, signed_at, body.decode()),
    }
    return body, headers


class FailsThen(WebhookHandler):
    """A test handler: writes its effect (an audit entry, action `test.effect`), then fails for
    its first `failures` calls, so a test sees whether a failed attempt's writes were undone.
    Random entry ids: worker processes each start their own sequences."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.calls = 0

    async def __call__(self, event: WebhookEvent, uow: UnitOfWork) -> None:
        self.calls += 1
        await uow.audit.append(
            AuditEntry(id=uuid4(), entity_type="webhook_event", entity_id=event.id, action="test.effect",
                       actor="test", occurred_at=datetime.now(UTC))
        )
        if self.calls <= self.failures:
            raise RuntimeError(f"failure {self.calls}")


async def issue_key(container: Container, scope: str = "admin") -> str:
    """A new API key's secret, for a test client's `Authorization` header."""
    issued = await container.create_api_key()(CreateApiKey(name=f"test {scope}", scope=scope, actor="test"))
    return issued.secret


def run_admin(server_url: str, statement: str) -> None:
    """Runs outside any transaction (CREATE/DROP DATABASE), in a thread with its own event
    loop, so callers with or without a running loop can use it."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, _execute_autocommit(server_url, statement)).result()


async def _execute_autocommit(server_url: str, statement: str) -> None:
    engine = create_engine(server_url, null_pool=True)
    try:
        async with engine.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


def database_on(server_url: str, name: str) -> str:
    """The URL of database `name` on the server `server_url` points at."""
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)
