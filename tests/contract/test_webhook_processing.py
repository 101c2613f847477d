"""The worker step over both adapters: a failed handler's writes are undone by the savepoint.

Audit ids come from UUIDv7 so they never collide with the builders' sequential ids."""

from __future__ import annotations

from datetime import timedelta

from adapters.system import UuidV7Generator
from application.auditing import AuditRecorder
from application.commands import ReplayWebhook as ReplayWebhookCommand
from application.ports import AuditQuery, UnitOfWorkFactory, WebhookHandler
from application.use_cases.process_webhooks import ProcessDueWebhooks
from application.use_cases.replay_webhook import ReplayWebhook
from application.webhook_handlers import WebhookHandlers
from domain.webhooks import RetryPolicy, WebhookEvent, WebhookStatus
from tests.contract.builders import T0, a_webhook_event
from tests.support import FailsThen, FrozenClock


async def _run(uow_factory: UnitOfWorkFactory, handler: WebhookHandler, steps: int) -> tuple[WebhookEvent, int]:
    """Records one event, then runs `steps` worker steps an hour apart; returns it and its effects."""
    clock = FrozenClock(T0)
    handlers = WebhookHandlers()
    handlers.register("sandbox", "payment.captured", handler)
    policy = RetryPolicy(max_attempts=3, base_delay=timedelta(minutes=1))
    process = ProcessDueWebhooks(uow_factory, clock, AuditRecorder(clock, UuidV7Generator()), handlers, policy)
    event = a_webhook_event(at=T0)
    async with uow_factory() as uow:
        await uow.webhooks.record(event)
        await uow.commit()
    for _ in range(steps):
        await process(10)
        clock.advance(hours=1)
    async with uow_factory() as uow:
        stored = await uow.webhooks.get(event.id)
        effects = await uow.audit.list(AuditQuery(limit=100, entity_id=event.id, action="test.effect"))
    assert stored is not None
    return stored, len(effects)


async def test_failing_twice_then_succeeding_ends_processed_with_three_attempts(uow_factory: UnitOfWorkFactory) -> None:
    event, effects = await _run(uow_factory, FailsThen(failures=2), steps=4)
    assert (event.status, event.attempts, event.last_error) == (WebhookStatus.PROCESSED, 3, "RuntimeError: failure 2")
    assert effects == 1


async def test_always_failing_ends_dead_and_once_fixed_a_replay_processes_it(uow_factory: UnitOfWorkFactory) -> None:
    handler = FailsThen(failures=10**6)
    event, effects = await _run(uow_factory, handler, steps=5)
    assert (event.status, event.attempts, effects, handler.calls) == (WebhookStatus.DEAD, 3, 0, 3)

    handler.failures = 0
    clock = FrozenClock(T0 + timedelta(days=1))
    await ReplayWebhook(uow_factory, clock, AuditRecorder(clock, UuidV7Generator()))(
        ReplayWebhookCommand(event_id=event.id, actor="cli")
    )
    handlers = WebhookHandlers()
    handlers.register("sandbox", "payment.captured", handler)
    await ProcessDueWebhooks(uow_factory, clock, AuditRecorder(clock, UuidV7Generator()), handlers, RetryPolicy())(10)
    async with uow_factory() as uow:
        replayed = await uow.webhooks.get(event.id)
        assert replayed is not None and replayed.status is WebhookStatus.PROCESSED
        assert len(await uow.audit.list(AuditQuery(limit=100, entity_id=event.id, action="test.effect"))) == 1
