"""Opaque keyset cursors: base64url of a small JSON document."""

from __future__ import annotations

import base64
import binascii
import json
import enum
from datetime import datetime
from typing import TypeVar
from uuid import UUID

from application.errors import InvalidRequest

MAX_LIMIT = 100
E = TypeVar("E", bound=enum.StrEnum)


def check_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidRequest(f"limit must be between 1 and {MAX_LIMIT}")
    return limit


def encode_cursor(**fields: str) -> str:
    raw = json.dumps(fields, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, *keys: str) -> dict[str, str]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        fields = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(fields, dict) or any(not isinstance(fields.get(k), str) for k in keys):
            raise ValueError("missing cursor fields")
        return fields
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidRequest("cursor is not valid") from exc


def encode_time_cursor(at: datetime, ident: UUID) -> str:
    return encode_cursor(t=at.isoformat(), id=str(ident))


def decode_time_cursor(cursor: str) -> tuple[datetime, UUID]:
    fields = decode_cursor(cursor, "t", "id")
    try:
        return datetime.fromisoformat(fields["t"]), UUID(fields["id"])
    except ValueError as exc:
        raise InvalidRequest("cursor is not valid") from exc


def parse_status(kind: type[E], raw: str | None, what: str) -> E | None:
    """A status filter: an unknown value is an invalid request, not an empty page."""
    if raw is None:
        return None
    try:
        return kind(raw)
    except ValueError as exc:
        raise InvalidRequest(f"unknown {what} status '{raw}'") from exc
