"""Deterministic time and ids for tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

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
