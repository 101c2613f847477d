"""Deterministic time and ids for tests."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from uuid import UUID

from standardwebhooks import Webhook

from application.ports import Clock, IdGenerator


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
    secret: str, event_id: str, type: str = "payment.captured", *, at: datetime | None = None
) -> tuple[bytes, dict[str, str]]:
    """A sandbox event body and its Standard Webhooks headers, signed with `secret` at `at` (now)."""
    body = json.dumps(
        {"id": event_id, "type": type, "created_at": "2026-05-15T09:30:00Z",
         "data": {"payment_id": "pay_1", "amount": 5000, "currency": "USD"}}
    ).encode()
    signed_at = at or datetime.now(UTC)
    headers = {
        "webhook-id": event_id,
        "webhook-timestamp": str(int(signed_at.timestamp())),
        "webhook-signature": Webhook(secret).sign(event_id, signed_at, body.decode()),
    }
    return body, headers
