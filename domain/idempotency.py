"""Idempotency keys (Stripe's semantics): a retried request gets the first one's response.

A record is claimed, locked, when a request starts and holds the response once it succeeded.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from uuid import UUID

from domain.errors import DomainError

KEY_MAX = 255


class IdempotencyKeyReused(DomainError):
    """The key was first used for a different request."""

    code = "idempotency_key_reused"


class IdempotencyInProgress(DomainError):
    """The key's first request is still running; retry once it has answered."""

    code = "idempotency_in_progress"


def fingerprint(method: str, path: str, body: bytes) -> bytes:
    """Method, path and body, the body canonical when it is JSON, so that key order and
    whitespace do not make a retry look like a different request."""
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        canonical = body
    digest = hashlib.sha256(f"{method.upper()} {path}\n".encode())
    digest.update(canonical)
    return digest.digest()


@dataclass(frozen=True)
class StoredResponse:
    status: int
    content_type: str
    body: bytes


class Claim(Enum):
    STARTED = "started"
    """The caller runs the request and then finishes the record."""
    REPLAY = "replay"
    """The caller answers with the stored response."""


@dataclass
class IdempotencyRecord:
    api_key_id: UUID
    key: str
    fingerprint: bytes
    created_at: datetime
    locked_at: datetime | None
    response: StoredResponse | None = None

    @classmethod
    def start(cls, api_key_id: UUID, key: str, request_fingerprint: bytes, now: datetime) -> IdempotencyRecord:
        return cls(api_key_id=api_key_id, key=key, fingerprint=request_fingerprint, created_at=now, locked_at=now)

    def claim(self, request_fingerprint: bytes, now: datetime, *, ttl: timedelta, lock_timeout: timedelta) -> Claim:
        """What a new request carrying this record's key does; locks the record when it starts."""
        if self.created_at + ttl <= now:
            # Expired and not yet purged: the key starts a new life.
            self.fingerprint, self.created_at, self.response = request_fingerprint, now, None
            self.locked_at = now
            return Claim.STARTED
        if request_fingerprint != self.fingerprint:
            raise IdempotencyKeyReused("this Idempotency-Key was used for a different request")
        if self.response is not None:
            return Claim.REPLAY
        if self.locked_at is not None and self.locked_at + lock_timeout > now:
            raise IdempotencyInProgress("a request with this Idempotency-Key is still in progress")
        # The first request died without answering (its lock timed out): this one takes over.
        self.locked_at = now
        return Claim.STARTED

    def succeed(self, response: StoredResponse) -> None:
        self.response, self.locked_at = response, None
