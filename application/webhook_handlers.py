"""Which handler applies which provider event: the payment features register theirs here."""

from __future__ import annotations

from application.ports import WebhookHandler
from domain.webhooks import WebhookEvent


class WebhookHandlers:
    """Dispatch by (provider, type); an event with no handler is ignored, not failed."""

    def __init__(self) -> None:
        self._handlers: dict[tuple[str, str], WebhookHandler] = {}

    def register(self, provider: str, type: str, handler: WebhookHandler) -> None:
        if (provider, type) in self._handlers:
            raise ValueError(f"a handler for {provider} {type} is already registered")
        self._handlers[(provider, type)] = handler

    def for_event(self, event: WebhookEvent) -> WebhookHandler | None:
        return self._handlers.get((event.provider, event.type))
