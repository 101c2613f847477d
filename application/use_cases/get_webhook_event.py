from __future__ import annotations

from uuid import UUID

from application.errors import NotFound
from application.ports import UnitOfWorkFactory
from domain.webhooks import WebhookEvent


class GetWebhookEvent:
    """Reads one inbox event, raw body included."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, event_id: UUID) -> WebhookEvent:
        async with self._uow() as uow:
            event = await uow.webhooks.get(event_id)
        if event is None:
            raise NotFound(f"no webhook event {event_id}")
        return event
