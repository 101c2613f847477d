"""Builds audit entries so every use case records changes the same way."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from application.ports import Clock, IdGenerator
from domain.audit import AuditEntry


class AuditRecorder:
    """Stamps entries with a fresh id and the clock's time."""

    def __init__(self, clock: Clock, ids: IdGenerator) -> None:
        self._clock = clock
        self._ids = ids

    def entry(
        self,
        *,
        entity_type: str,
        entity_id: UUID,
        action: str,
        actor: str,
        from_status: str | None = None,
        to_status: str | None = None,
        amount: int | None = None,
        currency: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> AuditEntry:
        return AuditEntry(
            id=self._ids.new_id(),
            entity_type=entity_type,
            entity_id=entity_id,
            action=action,
            actor=actor,
            occurred_at=self._clock.now(),
            from_status=from_status,
            to_status=to_status,
            amount=amount,
            currency=currency,
            details=details or {},
        )
