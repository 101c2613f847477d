from __future__ import annotations

from application.commands import ListWebhookEvents as ListWebhookEventsQuery
from application.pagination import check_limit, decode_time_cursor, encode_time_cursor, parse_status
from application.ports import UnitOfWorkFactory, WebhookQuery
from application.views import Page
from domain.webhooks import WebhookEvent, WebhookStatus


class ListWebhookEvents:
    """Lists inbox events by provider, status and type, newest first.

    Rules: pages are keyset-paginated on (received_at, id) so events arriving meanwhile never
    shift or repeat rows; an unknown status is an invalid request, not an empty page.
    """

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, query: ListWebhookEventsQuery) -> Page[WebhookEvent]:
        limit = check_limit(query.limit)
        criteria = WebhookQuery(
            limit=limit + 1,
            provider=query.provider,
            status=parse_status(WebhookStatus, query.status, "webhook"),
            type=query.type,
            before=decode_time_cursor(query.cursor) if query.cursor else None,
        )
        async with self._uow() as uow:
            events = await uow.webhooks.list(criteria)
        page = events[:limit]
        next_cursor = encode_time_cursor(page[-1].received_at, page[-1].id) if len(events) > limit else None
        return Page(items=page, next_cursor=next_cursor)

