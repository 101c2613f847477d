"""Provider webhooks in, and the inbox for operators."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from msgspec import Struct

from application.commands import ListWebhookEvents as ListWebhookEventsQuery
from application.commands import RecordWebhook as RecordWebhookCommand
from application.commands import ReplayWebhook as ReplayWebhookCommand
from application.use_cases.list_webhook_events import ListWebhookEvents
from application.use_cases.record_webhook import RecordWebhook
from application.use_cases.replay_webhook import ReplayWebhook
from application.views import Page
from domain.webhooks import WebhookEvent, WebhookStatus
from entrypoints.http.auth import NO_KEY, OPEN
from entrypoints.http.problems import problem_responses
from entrypoints.http.schemas import Cursor, Limit, Timestamp, timestamp


class WebhookReceiptOut(Struct):
    received: bool
    duplicate: bool


class WebhookEventOut(Struct):
    id: UUID
    provider: str
    provider_event_id: str
    type: str
    status: str
    attempts: int
    last_error: str | None
    received_at: Timestamp
    processed_at: Timestamp | None
    next_attempt_at: Timestamp | None

    @classmethod
    def of(cls, event: WebhookEvent) -> "WebhookEventOut":
        return cls(
            id=event.id,
            provider=event.provider,
            provider_event_id=event.provider_event_id,
            type=event.type,
            status=event.status.value,
            attempts=event.attempts,
            last_error=event.last_error,
            received_at=timestamp(event.received_at),
            processed_at=timestamp(event.processed_at) if event.processed_at else None,
            next_attempt_at=timestamp(event.next_attempt_at) if event.next_attempt_at else None,
        )


class WebhookEventListOut(Struct):
    data: list[WebhookEventOut]
    next_cursor: str | None

    @classmethod
    def of(cls, page: Page[WebhookEvent]) -> "WebhookEventListOut":
        return cls(data=[WebhookEventOut.of(e) for e in page.items], next_cursor=page.next_cursor)


class WebhookController(Controller):
    path = "/v1/webhooks"
    tags = ["webhooks"]
    # Authenticated by the provider's signature, not an API key.
    opt = OPEN
    security = NO_KEY

    @post("/{provider:str}", status_code=200, responses=problem_responses("invalid_signature", "not_found", api_key=False))
    async def receive(
        self, provider: FromPath[str], request: Request[Any, Any, Any], record_webhook: NamedDependency[RecordWebhook]
    ) -> WebhookReceiptOut:
        """Authenticated by the provider's signature over the raw body, which is read as bytes and
        never decoded before it is verified. Answered only once the event is committed."""
        body = await request.body()
        receipt = await record_webhook(RecordWebhookCommand(provider=provider, body=body, headers=dict(request.headers)))
        return WebhookReceiptOut(received=True, duplicate=receipt.duplicate)


class WebhookEventController(Controller):
    path = "/v1/webhook-events"
    tags = ["webhooks"]

    @get(responses=problem_responses())
    async def list(
        self,
        list_webhook_events: NamedDependency[ListWebhookEvents],
        provider: FromQuery[str | None] = None,
        status: FromQuery[WebhookStatus | None] = None,
        type: FromQuery[str | None] = None,
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> WebhookEventListOut:
        """Newest first."""
        query = ListWebhookEventsQuery(limit=limit, cursor=cursor, provider=provider, status=status, type=type)
        return WebhookEventListOut.of(await list_webhook_events(query))

    @post("/{event_id:str}/replay", status_code=202, responses=problem_responses("not_found"))
    async def replay(
        self, event_id: FromPath[UUID], replay_webhook: NamedDependency[ReplayWebhook], actor: NamedDependency[str]
    ) -> WebhookEventOut:
        """The event becomes due now and the worker processes it again."""
        return WebhookEventOut.of(await replay_webhook(ReplayWebhookCommand(event_id=event_id, actor=actor)))
