from __future__ import annotations

import random
from collections.abc import Callable

from application.auditing import AuditRecorder
from application.ports import Clock, UnitOfWork, UnitOfWorkFactory
from application.webhook_handlers import WebhookHandlers
from domain.webhooks import RetryPolicy, WebhookEvent, WebhookStatus

WORKER_ACTOR = "system:worker"


class ProcessDueWebhooks:
    """One step of the worker: claims a batch of due events and applies each.

    Rules: events are claimed locked and skipping those another worker holds, so each is
    applied by one worker at a time; a handler's writes, the event's new status and its audit
    entry commit together, so an event is never marked processed without its effect nor its
    effect kept without the mark; a failing handler's writes are undone (savepoint) and the
    event is retried with back-off, then marked dead once the policy's attempts are spent; an
    event with no handler is ignored. A crash mid-batch commits nothing: the events stay due.
    """

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        audit: AuditRecorder,
        handlers: WebhookHandlers,
        policy: RetryPolicy,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._audit = audit
        self._handlers = handlers
        self._policy = policy
        self._jitter = jitter

    async def __call__(self, batch_size: int) -> int:
        """Returns how many events it handled; fewer than `batch_size` means none are left due."""
        async with self._uow() as uow:
            events = await uow.webhooks.claim_due(self._clock.now(), batch_size)
            for event in events:
                await self._apply(uow, event)
            await uow.webhooks.save(events)
            await uow.commit()
        return len(events)

    async def _apply(self, uow: UnitOfWork, event: WebhookEvent) -> None:
        handler = self._handlers.for_event(event)
        error: str | None = None
        if handler is None:
            previous = event.mark_ignored(self._clock.now())
        else:
            try:
                async with uow.savepoint():
                    await handler(event, uow)
            # Any exception a handler raises is this event's failure to record, not the
            # batch's: the savepoint has undone its writes and the other events go on.
            except Exception as exc:  # noqa: BLE001
                error = f"{type(exc).__name__}: {exc}"
                previous = event.mark_failed(error, self._clock.now(), self._policy, self._jitter())
            else:
                previous = event.mark_processed(self._clock.now())
        await uow.audit.append(
            self._audit.entry(
                entity_type="webhook_event",
                entity_id=event.id,
                action=_ACTIONS[event.status],
                actor=WORKER_ACTOR,
                from_status=previous,
                to_status=event.status,
                details={"attempts": event.attempts, **({"error": event.last_error} if error else {})},
            )
        )


_ACTIONS = {
    WebhookStatus.PROCESSED: "webhook.processed",
    WebhookStatus.IGNORED: "webhook.ignored",
    WebhookStatus.FAILED: "webhook.failed",
    WebhookStatus.DEAD: "webhook.dead",
}
