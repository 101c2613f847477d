"""Real time and real ids for production runs."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from threading import Lock
from uuid import UUID

from application.ports import Clock, IdGenerator


class SystemClock(Clock):
    def now(self) -> datetime:
        return datetime.now(UTC)


class UuidV7Generator(IdGenerator):
    """RFC 9562 UUIDv7: 48-bit millisecond timestamp, then randomness.

    Time-ordered ids keep B-tree inserts at the right edge of the index. Within one
    millisecond a counter in the random bits keeps ids from this process monotonic.
    """

    def __init__(self) -> None:
        self._lock = Lock()
        self._last_ms = 0
        self._counter = 0

    def new_id(self) -> UUID:
        with self._lock:
            ms = time.time_ns() // 1_000_000
            if ms <= self._last_ms:
                ms = self._last_ms
                self._counter += 1
                if self._counter > 0xFFF:  # counter exhausted: borrow the next millisecond
                    ms += 1
                    self._counter = 0
            else:
                self._counter = int.from_bytes(os.urandom(2), "big") & 0x3FF
            self._last_ms = ms
            counter = self._counter
        rand_b = int.from_bytes(os.urandom(8), "big") & ((1 << 62) - 1)
        value = (ms & ((1 << 48) - 1)) << 80
        value |= 0x7 << 76
        value |= counter << 64
        value |= 0b10 << 62
        value |= rand_b
        return UUID(int=value)
