"""API keys: who may call the HTTP API, and with which scope."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from domain.errors import InvalidState, ValidationFailed

SECRET_PREFIX = "tsk_"
PREFIX_LENGTH = len(SECRET_PREFIX) + 8
"""How much of a secret is kept in clear to tell keys apart in listings and logs (a 48-bit
hint of a 256-bit secret)."""
NAME_MAX = 100


class ApiKeyScope(StrEnum):
    STOREFRONT = "storefront"
    """Places orders, starts checkout, reads an order by id."""
    ADMIN = "admin"
    """Everything."""

    def allows(self, required: ApiKeyScope) -> bool:
        return self is ApiKeyScope.ADMIN or self is required


def hash_secret(secret: str) -> bytes:
    """SHA-256, unsalted and fast on purpose: the secrets are 256 random bits, which no
    dictionary or brute force reaches, so a slow KDF (made for low-entropy passwords) would
    only cost every request time. Being unsalted lets a key be found by its hash."""
    return hashlib.sha256(secret.encode()).digest()


@dataclass
class ApiKey:
    id: UUID
    name: str
    scope: ApiKeyScope
    prefix: str
    secret_hash: bytes
    created_at: datetime
    revoked_at: datetime | None = None

    @classmethod
    def issue(cls, *, id: UUID, name: str, scope: str, now: datetime) -> tuple[ApiKey, str]:
        """A new key and its secret; the secret exists only in the return value."""
        name = name.strip()
        if not 1 <= len(name) <= NAME_MAX:
            raise ValidationFailed.on("name", f"must be 1 to {NAME_MAX} characters")
        try:
            key_scope = ApiKeyScope(scope)
        except ValueError:
            raise ValidationFailed.on("scope", "must be 'storefront' or 'admin'") from None
        secret = SECRET_PREFIX + secrets.token_urlsafe(32)
        key = cls(
            id=id,
            name=name,
            scope=key_scope,
            prefix=secret[:PREFIX_LENGTH],
            secret_hash=hash_secret(secret),
            created_at=now,
        )
        return key, secret

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def matches(self, secret: str) -> bool:
        """Constant-time, so response timing says nothing about how close a guess was."""
        return hmac.compare_digest(self.secret_hash, hash_secret(secret))

    def revoke(self, now: datetime) -> None:
        if self.revoked_at is not None:
            raise InvalidState(f"API key {self.id} is already revoked")
        self.revoked_at = now
