from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromQuery
from msgspec import Struct

from application.commands import ListAuditEntries as ListAuditEntriesQuery
from application.use_cases.list_audit_entries import ListAuditEntries
from application.views import Page
from domain.audit import AuditEntry
from entrypoints.http.problems import problem_responses
from entrypoints.http.schemas import Cursor, Limit, Timestamp, timestamp


class AuditEntryOut(Struct):
    id: UUID
    entity_type: str
    entity_id: UUID
    action: str
    actor: str
    occurred_at: Timestamp
    from_status: str | None
    to_status: str | None
    amount: int | None
    currency: str | None
    details: dict[str, Any]

    @classmethod
    def of(cls, entry: AuditEntry) -> "AuditEntryOut":
        return cls(
            id=entry.id,
            entity_type=entry.entity_type,
            entity_id=entry.entity_id,
            action=entry.action,
            actor=entry.actor,
            occurred_at=timestamp(entry.occurred_at),
            from_status=entry.from_status,
            to_status=entry.to_status,
            amount=entry.amount,
            currency=entry.currency,
            details=entry.details,
        )


class AuditEntryListOut(Struct):
    data: list[AuditEntryOut]
    next_cursor: str | None

    @classmethod
    def of(cls, page: Page[AuditEntry]) -> "AuditEntryListOut":
        return cls(data=[AuditEntryOut.of(entry) for entry in page.items], next_cursor=page.next_cursor)


class AuditController(Controller):
    path = "/v1/audit"
    tags = ["audit"]

    @get(responses=problem_responses())
    async def list_entries(
        self,
        list_audit_entries: NamedDependency[ListAuditEntries],
        entity_id: FromQuery[UUID | None] = None,
        entity_type: FromQuery[str | None] = None,
        action: FromQuery[str | None] = None,
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> AuditEntryListOut:
        """Oldest first."""
        query = ListAuditEntriesQuery(limit, cursor, entity_id, entity_type, action)
        return AuditEntryListOut.of(await list_audit_entries(query))
