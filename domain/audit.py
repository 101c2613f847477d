"""The audit trail: append-only records of every state change."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID


@dataclass(frozen=True)
class Actor:
    """Who caused a change: `api_key:<id>`, `cli`, `webhook:<provider>`, `system:<job>`."""

    kind: str
    id: str | None = None

    def __str__(self) -> str:
        return self.kind if self.id is None else f"{self.kind}:{self.id}"

    @classmethod
    def parse(cls, value: str) -> "Actor":
        kind, _, ident = value.partition(":")
        return cls(kind, ident or None)


@dataclass(frozen=True)
class AuditEntry:
    id: UUID
    entity_type: str
    entity_id: UUID
    action: str
    actor: str
    occurred_at: datetime
    from_status: str | None = None
    to_status: str | None = None
    amount: int | None = None
    currency: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
