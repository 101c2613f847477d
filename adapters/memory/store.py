"""In-memory state shared by the in-memory repositories, with an undo journal.

One asyncio lock serialises units of work, which gives the same guarantees as the
PostgreSQL adapter's row locks (nothing is oversold, nothing double-applied) so the
same contract tests pass on both. Entities are copied in and out: a caller mutating an
entity it loaded changes nothing until it saves and commits.
"""

from __future__ import annotations

import asyncio
import copy
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar
from uuid import UUID

from domain.api_keys import ApiKey
from domain.audit import AuditEntry
from domain.catalog import Product
from domain.customers import Customer
from domain.idempotency import IdempotencyRecord
from domain.orders import Order
from domain.payments import Payment, Refund
from domain.webhooks import WebhookEvent

T = TypeVar("T")
_MISSING = object()


def detached(entity: T) -> T:
    return copy.deepcopy(entity)


@dataclass
class InMemoryStore:
    products: dict[str, Product] = field(default_factory=dict)
    customers: dict[UUID, Customer] = field(default_factory=dict)
    customer_ids_by_email: dict[str, UUID] = field(default_factory=dict)
    orders: dict[UUID, Order] = field(default_factory=dict)
    payments: dict[UUID, Payment] = field(default_factory=dict)
    refunds: dict[UUID, Refund] = field(default_factory=dict)
    order_counters: dict[date, int] = field(default_factory=dict)
    audit: list[AuditEntry] = field(default_factory=list)
    webhook_events: dict[UUID, WebhookEvent] = field(default_factory=dict)
    webhook_ids_by_key: dict[tuple[str, str], UUID] = field(default_factory=dict)
    webhooks_due: asyncio.Event = field(default_factory=asyncio.Event)
    """Set when an event may have become due; a rolled-back record only wakes a worker for nothing."""
    api_keys: dict[UUID, ApiKey] = field(default_factory=dict)
    idempotency: dict[tuple[UUID, str], IdempotencyRecord] = field(default_factory=dict)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class Journal:
    """Remembers each write's previous value so a rollback can restore it."""

    def __init__(self) -> None:
        self._undo: list[tuple[Any, Any, Any]] = []

    def put(self, table: dict[Any, Any], key: Any, value: Any) -> None:
        self._undo.append((table, key, table.get(key, _MISSING)))
        table[key] = value

    def remove(self, table: dict[Any, Any], key: Any) -> None:
        if key in table:
            self._undo.append((table, key, table.pop(key)))

    def append(self, log: list[Any], value: Any) -> None:
        self._undo.append((log, len(log), _MISSING))
        log.append(value)

    def mark(self) -> int:
        """A point `rollback` can return to (a savepoint)."""
        return len(self._undo)

    def rollback(self, to: int = 0) -> None:
        for target, key, previous in reversed(self._undo[to:]):
            if isinstance(target, list):
                del target[key:]
            elif previous is _MISSING:
                target.pop(key, None)
            else:
                target[key] = previous
        del self._undo[to:]

    def forget(self) -> None:
        self._undo.clear()
