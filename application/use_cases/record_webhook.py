from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from application.auditing import AuditRecorder
from application.commands import RecordWebhook as RecordWebhookCommand
from application.errors import NotFound
from application.ports import Clock, IdGenerator, UnitOfWorkFactory, WebhookVerifier
from domain.webhooks import WebhookEvent


@dataclass(frozen=True)
class WebhookReceipt:
    event: WebhookEvent
    duplicate: bool


class RecordWebhook:
    """Records a provider's delivery in the inbox; processing happens later, in the worker.

    Rules: an unknown provider is not found; the signature is checked over the raw body before
    anything is written, and an unverifiable delivery is refused (InvalidSignature) and not
    stored; an event is stored once per (provider, provider_event_id), a redelivery is
    acknowledged as a duplicate; the receipt exists only after the row and its audit entry
    committed, so the provider is never told "received" for an event that was not stored.
    """

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        ids: IdGenerator,
        audit: AuditRecorder,
        verifiers: Mapping[str, WebhookVerifier],
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._ids = ids
        self._audit = audit
        self._verifiers = verifiers

    async def __call__(self, cmd: RecordWebhookCommand) -> WebhookReceipt:
        verifier = self._verifiers.get(cmd.provider)
        if verifier is None:
            raise NotFound(f"no webhook provider '{cmd.provider}' is configured")
        verified = verifier.verify(cmd.body, cmd.headers)
        event = WebhookEvent.receive(
            id=self._ids.new_id(),
            provider=cmd.provider,
            provider_event_id=verified.provider_event_id,
            type=verified.type,
            payload=cmd.body,
            headers=verified.headers,
            now=self._clock.now(),
        )
        async with self._uow() as uow:
            stored, duplicate = await uow.webhooks.record(event)
            if not duplicate:
                await uow.audit.append(
                    self._audit.entry(
                        entity_type="webhook_event",
                        entity_id=stored.id,
                        action="webhook.received",
                        actor=f"webhook:{cmd.provider}",
                        to_status=stored.status,
                        details={"provider_event_id": stored.provider_event_id, "type": stored.type},
                    )
                )
            await uow.commit()
        return WebhookReceipt(event=stored, duplicate=duplicate)
