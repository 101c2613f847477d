from __future__ import annotations

from application.auditing import AuditRecorder
from application.commands import ReplayWebhook as ReplayWebhookCommand
from application.errors import NotFound
from application.ports import Clock, UnitOfWorkFactory
from domain.webhooks import WebhookEvent


class ReplayWebhook:
    """An operator asks for an event to be processed again (typically a dead one, once fixed).

    Rules: any event can be replayed, whatever its status, because handlers are idempotent; it
    becomes due now with a fresh retry budget; the event row is locked, so a replay racing the
    worker waits for its batch; the replay is audited under the operator's name.
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, audit: AuditRecorder) -> None:
        self._uow = uow
        self._clock = clock
        self._audit = audit

    async def __call__(self, cmd: ReplayWebhookCommand) -> WebhookEvent:
        async with self._uow() as uow:
            event = await uow.webhooks.get(cmd.event_id, lock=True)
            if event is None:
                raise NotFound(f"no webhook event {cmd.event_id}")
            previous = event.replay(self._clock.now())
            await uow.webhooks.save([event])
            await uow.audit.append(
                self._audit.entry(
                    entity_type="webhook_event",
                    entity_id=event.id,
                    action="webhook.replayed",
                    actor=cmd.actor,
                    from_status=previous,
                    to_status=event.status,
                )
            )
            await uow.commit()
        return event
