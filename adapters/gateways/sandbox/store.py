"""The sandbox provider's own database, behind one small interface: in memory or in PostgreSQL.

Every call of the provider is one short transaction. Calls on one payment serialise on its
row lock, calls with one idempotency key on the key, so a concurrent or repeated call never
moves money twice.
"""

from __future__ import annotations

import asyncio
import copy
from abc import abstractmethod
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, TypeVar

from adapters.gateways.sandbox.model import (
    Fault,
    Operation,
    OutboxEvent,
    SandboxPayment,
    SandboxRefund,
    StoredAnswer,
)
from adapters.memory.store import Journal
from domain.payments import PaymentStatus

T = TypeVar("T")


class SandboxTransaction(Protocol):
    @abstractmethod
    async def payment(self, payment_id: str, *, lock: bool = False) -> SandboxPayment | None:
        """With `lock`, concurrent transactions wanting the same payment wait until this one ends."""

    @abstractmethod
    async def save_payment(self, payment: SandboxPayment) -> None:
        """Inserts a new payment or persists an existing one's changes."""

    @abstractmethod
    async def expiring(self, now: datetime, limit: int) -> list[SandboxPayment]:
        """Pending payments whose `expires_at` is at or before `now`, locked, skipping those
        another transaction holds."""

    @abstractmethod
    async def refunds(self, payment_id: str) -> list[SandboxRefund]:
        """Oldest first."""

    @abstractmethod
    async def add_refund(self, refund: SandboxRefund) -> None: ...

    @abstractmethod
    async def answer(self, key: str) -> StoredAnswer | None:
        """The answer kept for `key`. Holds the key until the transaction ends: a concurrent
        call with the same key waits, then finds this call's answer."""

    @abstractmethod
    async def remember(self, answer: StoredAnswer) -> None: ...

    @abstractmethod
    async def add_fault(self, fault: Fault) -> None: ...

    @abstractmethod
    async def take_fault(self, operation: Operation, payment_id: str | None) -> Fault | None:
        """Removes and returns the oldest fault for this operation, one aimed at this payment
        before one aimed at any."""

    @abstractmethod
    async def claim_events(self, now: datetime, lease_until: datetime, limit: int) -> list[OutboxEvent]:
        """Due events (next attempt at or before `now`), oldest due first, each counted as one
        more attempt and not due again before `lease_until`: a concurrent sender skips them."""

    @abstractmethod
    async def save_event(self, event: OutboxEvent) -> None:
        """Queues a new event or persists an existing one's delivery state."""


class SandboxStore(Protocol):
    @abstractmethod
    def transaction(self) -> AbstractAsyncContextManager[SandboxTransaction]:
        """Commits when the block ends normally, rolls back when it raises."""


@dataclass
class _Tables:
    payments: dict[str, SandboxPayment] = field(default_factory=dict)
    refunds: dict[str, SandboxRefund] = field(default_factory=dict)
    answers: dict[str, StoredAnswer] = field(default_factory=dict)
    faults: dict[str, Fault] = field(default_factory=dict)
    events: dict[str, OutboxEvent] = field(default_factory=dict)


class InMemorySandboxStore(SandboxStore):
    """One lock held for a whole transaction gives the row and key locks' guarantees; a journal
    undoes a transaction that raises. Structs are copied in and out, as rows would be."""

    def __init__(self) -> None:
        self._tables = _Tables()
        self._lock = asyncio.Lock()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[SandboxTransaction]:
        async with self._lock:
            journal = Journal()
            try:
                yield _InMemoryTransaction(self._tables, journal)
            except BaseException:
                journal.rollback()
                raise


def _copy(row: T) -> T:
    return copy.copy(row)


class _InMemoryTransaction(SandboxTransaction):
    def __init__(self, tables: _Tables, journal: Journal) -> None:
        self._tables = tables
        self._journal = journal

    async def payment(self, payment_id: str, *, lock: bool = False) -> SandboxPayment | None:
        found = self._tables.payments.get(payment_id)
        return _copy(found) if found else None

    async def save_payment(self, payment: SandboxPayment) -> None:
        self._journal.put(self._tables.payments, payment.id, _copy(payment))

    async def expiring(self, now: datetime, limit: int) -> list[SandboxPayment]:
        due = [p for p in self._tables.payments.values() if p.status is PaymentStatus.PENDING and p.expires_at <= now]
        return [_copy(p) for p in sorted(due, key=lambda p: (p.expires_at, p.id))[:limit]]

    async def refunds(self, payment_id: str) -> list[SandboxRefund]:
        return [_copy(r) for r in self._tables.refunds.values() if r.payment_id == payment_id]

    async def add_refund(self, refund: SandboxRefund) -> None:
        self._journal.put(self._tables.refunds, refund.id, _copy(refund))

    async def answer(self, key: str) -> StoredAnswer | None:
        return self._tables.answers.get(key)

    async def remember(self, answer: StoredAnswer) -> None:
        self._journal.put(self._tables.answers, answer.key, answer)

    async def add_fault(self, fault: Fault) -> None:
        self._journal.put(self._tables.faults, fault.id, fault)

    async def take_fault(self, operation: Operation, payment_id: str | None) -> Fault | None:
        matching = [f for f in self._tables.faults.values() if f.operation is operation]
        aimed = [f for f in matching if payment_id is not None and f.payment_id == payment_id]
        fault = next(iter(aimed + [f for f in matching if f.payment_id is None]), None)
        if fault is not None:
            self._journal.remove(self._tables.faults, fault.id)
        return fault

    async def claim_events(self, now: datetime, lease_until: datetime, limit: int) -> list[OutboxEvent]:
        due = [e for e in self._tables.events.values() if e.next_attempt_at is not None and e.next_attempt_at <= now]
        claimed = []
        for event in sorted(due, key=lambda e: (e.next_attempt_at, e.id))[:limit]:
            event = _copy(event)
            event.attempts += 1
            event.next_attempt_at = lease_until
            await self.save_event(event)
            claimed.append(event)
        return claimed

    async def save_event(self, event: OutboxEvent) -> None:
        self._journal.put(self._tables.events, event.id, _copy(event))
