from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import timedelta

import pytest

from adapters.gateways.sandbox_webhooks import SandboxWebhookVerifier
from adapters.memory import InMemoryStore, InMemoryUnitOfWorkFactory
from application.auditing import AuditRecorder
from application.commands import ListWebhookEvents as ListWebhookEventsQuery
from application.commands import RecordWebhook as RecordWebhookCommand
from application.commands import ReplayWebhook as ReplayWebhookCommand
from application.errors import InvalidRequest, InvalidSignature, NotFound
from application.ports import AuditQuery
from application.use_cases.get_webhook_event import GetWebhookEvent
from application.use_cases.list_webhook_events import ListWebhookEvents
from application.use_cases.process_webhooks import ProcessDueWebhooks
from application.use_cases.record_webhook import RecordWebhook
from application.use_cases.replay_webhook import ReplayWebhook
from application.webhook_handlers import WebhookHandlers
from domain.webhooks import RetryPolicy, WebhookStatus
from tests.support import FailsThen, FrozenClock, SequentialIds, sandbox_delivery

SECRET = "whsec_" + base64.b64encode(b"service-test-secret-32-bytes-abc").decode()


@dataclass
class Inbox:
    store: InMemoryStore
    clock: FrozenClock
    handlers: WebhookHandlers
    record: RecordWebhook
    process: ProcessDueWebhooks
    replay: ReplayWebhook
    get: GetWebhookEvent
    list: ListWebhookEvents

    async def effects(self, event_id) -> int:
        async with InMemoryUnitOfWorkFactory(self.store)() as uow:
            entries = await uow.audit.list(AuditQuery(limit=100, entity_id=event_id, action="test.effect"))
        return len(entries)

    async def deliver(self, event_id: str = "evt_1", type: str = "payment.captured"):
        body, headers = sandbox_delivery(SECRET, event_id, type)
        return await self.record(RecordWebhookCommand(provider="sandbox", body=body, headers=headers))


@pytest.fixture
def inbox() -> Inbox:
    store, clock, ids = InMemoryStore(), FrozenClock(), SequentialIds()
    uow, audit, handlers = InMemoryUnitOfWorkFactory(store), AuditRecorder(clock, ids), WebhookHandlers()
    policy = RetryPolicy(max_attempts=4, base_delay=timedelta(minutes=1))
    return Inbox(
        store=store,
        clock=clock,
        handlers=handlers,
        record=RecordWebhook(uow, clock, ids, audit, {"sandbox": SandboxWebhookVerifier([SECRET])}),
        process=ProcessDueWebhooks(uow, clock, audit, handlers, policy, jitter=lambda: 1.0),
        replay=ReplayWebhook(uow, clock, audit),
        get=GetWebhookEvent(uow),
        list=ListWebhookEvents(uow),
    )


async def test_a_delivery_is_recorded_once_and_a_redelivery_is_a_duplicate(inbox: Inbox) -> None:
    first = await inbox.deliver()
    again = await inbox.deliver()
    assert (first.duplicate, again.duplicate, again.event.id) == (False, True, first.event.id)
    stored = await inbox.get(first.event.id)
    assert (stored.status, stored.type, stored.signature_verified) == (WebhookStatus.RECEIVED, "payment.captured", True)
    assert [e.action for e in inbox.store.audit] == ["webhook.received"]
    assert inbox.store.audit[0].actor == "webhook:sandbox"


async def test_unknown_providers_and_bad_signatures_record_nothing(inbox: Inbox) -> None:
    body, headers = sandbox_delivery(SECRET, "evt_1")
    with pytest.raises(NotFound):
        await inbox.record(RecordWebhookCommand(provider="acme", body=body, headers=headers))
    with pytest.raises(InvalidSignature):
        await inbox.record(RecordWebhookCommand(provider="sandbox", body=body + b" ", headers=headers))
    assert inbox.store.webhook_events == {} and inbox.store.audit == []


async def test_a_handler_failing_twice_then_succeeding_ends_processed_after_three_attempts(inbox: Inbox) -> None:
    handler = FailsThen(failures=2)
    inbox.handlers.register("sandbox", "payment.captured", handler)
    event_id = (await inbox.deliver()).event.id
    assert await inbox.process(10) == 1
    failed = await inbox.get(event_id)
    assert (failed.status, failed.attempts, failed.last_error) == (WebhookStatus.FAILED, 1, "RuntimeError: failure 1")
    assert await inbox.process(10) == 0, "not due before its back-off"
    inbox.clock.advance(minutes=1)
    assert await inbox.process(10) == 1
    inbox.clock.advance(minutes=2)
    assert await inbox.process(10) == 1
    done = await inbox.get(event_id)
    assert (done.status, done.attempts, done.processed_at) == (WebhookStatus.PROCESSED, 3, inbox.clock.now())
    assert await inbox.effects(event_id) == 1, "the failed attempts' writes were undone"
    actions = [e.action for e in inbox.store.audit if e.entity_id == event_id]
    assert actions == ["webhook.received", "webhook.failed", "webhook.failed", "test.effect", "webhook.processed"]
    assert {e.actor for e in inbox.store.audit if e.action.startswith("webhook.") and e.action != "webhook.received"} == {"system:worker"}


async def test_an_always_failing_handler_ends_dead_and_a_replay_once_fixed_processes_it(inbox: Inbox) -> None:
    handler = FailsThen(failures=10**6)
    inbox.handlers.register("sandbox", "payment.captured", handler)
    event_id = (await inbox.deliver()).event.id
    for _ in range(4):
        await inbox.process(10)
        inbox.clock.advance(hours=1)
    dead = await inbox.get(event_id)
    assert (dead.status, dead.attempts, dead.next_attempt_at) == (WebhookStatus.DEAD, 4, None)
    assert await inbox.process(10) == 0

    handler.failures = 0
    await inbox.replay(ReplayWebhookCommand(event_id=event_id, actor="cli"))
    assert await inbox.process(10) == 1
    done = await inbox.get(event_id)
    assert (done.status, done.attempts) == (WebhookStatus.PROCESSED, 1)
    assert await inbox.effects(event_id) == 1
    replayed = [e for e in inbox.store.audit if e.action == "webhook.replayed"]
    assert [(e.actor, e.from_status, e.to_status) for e in replayed] == [("cli", "dead", "received")]


async def test_an_event_without_a_handler_is_ignored(inbox: Inbox) -> None:
    event_id = (await inbox.deliver(type="payment.authorized")).event.id
    await inbox.process(10)
    assert (await inbox.get(event_id)).status is WebhookStatus.IGNORED


async def test_replaying_an_unknown_event_is_not_found(inbox: Inbox) -> None:
    with pytest.raises(NotFound):
        await inbox.replay(ReplayWebhookCommand(event_id=SequentialIds().new_id(), actor="cli"))


async def test_listing_filters_and_pages(inbox: Inbox) -> None:
    inbox.handlers.register("sandbox", "payment.captured", FailsThen(failures=0))
    for n in range(3):
        await inbox.deliver(f"evt_{n}")
        inbox.clock.advance(seconds=1)
    await inbox.deliver("evt_ignored", type="refund.failed")
    await inbox.process(1)
    first = await inbox.list(ListWebhookEventsQuery(limit=2, type="payment.captured"))
    second = await inbox.list(ListWebhookEventsQuery(limit=2, type="payment.captured", cursor=first.next_cursor))
    assert [e.provider_event_id for e in first.items + second.items] == ["evt_2", "evt_1", "evt_0"]
    assert second.next_cursor is None
    processed = await inbox.list(ListWebhookEventsQuery(status="processed"))
    assert [e.provider_event_id for e in processed.items] == ["evt_0"]
    with pytest.raises(InvalidRequest):
        await inbox.list(ListWebhookEventsQuery(status="lost"))
