from __future__ import annotations

from application.commands import ListAuditEntries as ListAuditEntriesQuery
from application.pagination import check_limit, decode_time_cursor, encode_time_cursor
from application.ports import AuditQuery, UnitOfWorkFactory
from application.views import Page
from domain.audit import AuditEntry


class ListAuditEntries:
    """The audit trail by entity and action, oldest first: the story of what happened.

    Rules: pages are keyset-paginated on (occurred_at, id); entries are only ever appended, so
    a page once read never changes.
    """

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, query: ListAuditEntriesQuery) -> Page[AuditEntry]:
        limit = check_limit(query.limit)
        criteria = AuditQuery(
            limit=limit + 1,
            entity_id=query.entity_id,
            entity_type=query.entity_type,
            action=query.action,
            after=decode_time_cursor(query.cursor) if query.cursor else None,
        )
        async with self._uow() as uow:
            entries = await uow.audit.list(criteria)
        page = entries[:limit]
        next_cursor = encode_time_cursor(page[-1].occurred_at, page[-1].id) if len(entries) > limit else None
        return Page(items=page, next_cursor=next_cursor)
