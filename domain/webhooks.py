"""The webhook inbox: every provider event, recorded once, processed after the provider is answered."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from uuid import UUID

from domain.errors import InvalidState

MAX_ERROR_LENGTH = 2000


class WebhookStatus(enum.StrEnum):
    RECEIVED = "received"
    PROCESSED = "processed"
    IGNORED = "ignored"
    FAILED = "failed"
    DEAD = "dead"


DUE_STATUSES = (WebhookStatus.RECEIVED, WebhookStatus.FAILED)
"""Statuses the worker picks up once `next_attempt_at` has passed."""


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential back-off with jitter, capped per step, up to `max_attempts` attempts.

    The defaults (30 s doubling to a 12 h cap, 17 attempts) spread retries over two and a half
    to three days, like Stripe's automatic webhook retries, so a day-long outage of a dependency
    does not kill events. Jitter keeps a burst of failures from retrying in lockstep.
    """

    max_attempts: int = 17
    base_delay: timedelta = timedelta(seconds=30)
    max_delay: timedelta = timedelta(hours=12)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")

    def delay(self, attempts: int, jitter: float) -> timedelta:
        """The wait after the `attempts`-th failed attempt; `jitter` in [0, 1) picks a point in
        the upper half of the step ("equal jitter"), so a retry never comes much earlier than planned."""
        step = min(self.max_delay, self.base_delay * 2 ** min(attempts - 1, 32))
        return step / 2 + step / 2 * jitter

    def span(self) -> timedelta:
        """The longest an event can keep being retried (every jitter at its maximum)."""
        return sum((self.delay(n, 1.0) for n in range(1, self.max_attempts)), timedelta())


@dataclass
class WebhookEvent:
    id: UUID
    provider: str
    provider_event_id: str
    type: str
    payload: bytes
    """The raw body exactly as the provider signed it."""
    signature_verified: bool
    received_at: datetime
    next_attempt_at: datetime | None
    headers: dict[str, str] = field(default_factory=dict)
    """Headers of interest (ids, timestamps, signatures), for investigations."""
    status: WebhookStatus = WebhookStatus.RECEIVED
    attempts: int = 0
    last_error: str | None = None
    processed_at: datetime | None = None

    @classmethod
    def receive(
        cls,
        *,
        id: UUID,
        provider: str,
        provider_event_id: str,
        type: str,
        payload: bytes,
        headers: dict[str, str],
        now: datetime,
    ) -> "WebhookEvent":
        """Only verified events are recorded: an unverifiable one is refused, never stored."""
        return cls(
            id=id,
            provider=provider,
            provider_event_id=provider_event_id,
            type=type,
            payload=payload,
            headers=dict(headers),
            signature_verified=True,
            received_at=now,
            next_attempt_at=now,
        )

    def is_due(self, now: datetime) -> bool:
        return self.status in DUE_STATUSES and self.next_attempt_at is not None and self.next_attempt_at <= now

    def mark_processed(self, now: datetime) -> WebhookStatus:
        """A handler applied it. Returns the previous status, as every transition does."""
        return self._finish(WebhookStatus.PROCESSED, now)

    def mark_ignored(self, now: datetime) -> WebhookStatus:
        """No handler for its type: nothing to do, and nothing to retry."""
        return self._finish(WebhookStatus.IGNORED, now)

    def mark_failed(self, error: str, now: datetime, policy: RetryPolicy, jitter: float) -> WebhookStatus:
        """The handler raised: retry later, or give up (`dead`) once the attempts are spent."""
        previous = self._start_attempt()
        self.last_error = error[:MAX_ERROR_LENGTH]
        if self.attempts >= policy.max_attempts:
            self.status = WebhookStatus.DEAD
            self.next_attempt_at = None
        else:
            self.status = WebhookStatus.FAILED
            self.next_attempt_at = now + policy.delay(self.attempts, jitter)
        return previous

    def replay(self, now: datetime) -> WebhookStatus:
        """An operator asks for it to be processed again, whatever happened before, with a
        fresh retry budget. Handlers are idempotent, so replaying a processed event is safe."""
        previous = self.status
        self.status = WebhookStatus.RECEIVED
        self.attempts = 0
        self.next_attempt_at = now
        return previous

    def _finish(self, status: WebhookStatus, now: datetime) -> WebhookStatus:
        previous = self._start_attempt()
        self.status = status
        self.processed_at = now
        self.next_attempt_at = None
        return previous

    def _start_attempt(self) -> WebhookStatus:
        if self.status not in DUE_STATUSES:
            raise InvalidState(f"webhook event {self.id} is {self.status}; only a due event can be processed")
        self.attempts += 1
        return self.status
