from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from application.ports import AuditQuery, UnitOfWorkFactory, WebhookQuery
from domain.webhooks import RetryPolicy, WebhookStatus
from tests.contract.builders import T0, a_webhook_event, an_audit_entry, new_id


async def test_an_event_is_recorded_once_per_provider_and_provider_event_id(uow_factory: UnitOfWorkFactory) -> None:
    first = a_webhook_event("evt_1")
    async with uow_factory() as uow:
        assert await uow.webhooks.record(first) == (first, False)
        await uow.commit()
    again = a_webhook_event("evt_1", type="payment.failed")
    other_provider = a_webhook_event("evt_1", provider="stripe")
    async with uow_factory() as uow:
        assert await uow.webhooks.record(again) == (first, True)
        assert await uow.webhooks.record(other_provider) == (other_provider, False)
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.webhooks.get(first.id) == first
        assert await uow.webhooks.get(again.id) is None


async def test_an_uncommitted_record_leaves_nothing(uow_factory: UnitOfWorkFactory) -> None:
    event = a_webhook_event()
    async with uow_factory() as uow:
        await uow.webhooks.record(event)
    async with uow_factory() as uow:
        assert await uow.webhooks.get(event.id) is None
        assert (await uow.webhooks.record(event))[1] is False


async def test_concurrent_deliveries_of_one_event_store_one_row(uow_factory: UnitOfWorkFactory) -> None:
    async def deliver() -> bool:
        async with uow_factory() as uow:
            _, duplicate = await uow.webhooks.record(a_webhook_event("evt_race"))
            await uow.commit()
        return duplicate

    duplicates = await asyncio.gather(*(deliver() for _ in range(10)))
    assert sorted(duplicates) == [False] + [True] * 9
    async with uow_factory() as uow:
        assert len(await uow.webhooks.list(WebhookQuery(limit=100))) == 1


async def test_claim_returns_due_events_oldest_due_first_and_saves_their_state(uow_factory: UnitOfWorkFactory) -> None:
    late = a_webhook_event(at=T0 + timedelta(seconds=2))
    early = a_webhook_event(at=T0)
    future = a_webhook_event(at=T0 + timedelta(hours=1))
    async with uow_factory() as uow:
        for event in (late, early, future):
            await uow.webhooks.record(event)
        await uow.commit()
    async with uow_factory() as uow:
        claimed = await uow.webhooks.claim_due(T0 + timedelta(minutes=1), 10)
        assert claimed == [early, late]
        claimed[0].mark_processed(T0 + timedelta(minutes=1))
        claimed[1].mark_failed("boom", T0 + timedelta(minutes=1), RetryPolicy(), jitter=0.0)
        await uow.webhooks.save(claimed)
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.webhooks.get(early.id) == claimed[0]
        assert await uow.webhooks.get(late.id) == claimed[1]
        assert await uow.webhooks.claim_due(T0 + timedelta(minutes=1), 10) == []
        assert await uow.webhooks.claim_due(T0 + timedelta(hours=1), 1) == [claimed[1]]


async def test_list_filters_newest_first_and_pages_before_a_cursor(uow_factory: UnitOfWorkFactory) -> None:
    low, high = sorted([new_id(), new_id()])
    old = a_webhook_event(provider="stripe", type="charge.succeeded", at=T0)
    tie_low = a_webhook_event(at=T0 + timedelta(seconds=1))
    tie_high = a_webhook_event(at=T0 + timedelta(seconds=1))
    tie_low.id, tie_high.id = low, high
    async with uow_factory() as uow:
        for event in (old, tie_low, tie_high):
            await uow.webhooks.record(event)
        tie_high.mark_ignored(T0)
        await uow.webhooks.save([tie_high])
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.webhooks.list(WebhookQuery(limit=10)) == [tie_high, tie_low, old]
        assert await uow.webhooks.list(WebhookQuery(limit=10, provider="stripe")) == [old]
        assert await uow.webhooks.list(WebhookQuery(limit=10, type="payment.captured")) == [tie_high, tie_low]
        assert await uow.webhooks.list(WebhookQuery(limit=10, status=WebhookStatus.IGNORED)) == [tie_high]
        assert await uow.webhooks.list(WebhookQuery(limit=1, before=(tie_high.received_at, tie_high.id))) == [tie_low]


async def test_a_savepoint_undoes_its_own_writes_only(uow_factory: UnitOfWorkFactory) -> None:
    kept, undone = an_audit_entry(), an_audit_entry()
    async with uow_factory() as uow:
        await uow.audit.append(kept)
        with pytest.raises(RuntimeError):
            async with uow.savepoint():
                await uow.audit.append(undone)
                raise RuntimeError("handler failed")
        async with uow.savepoint():
            pass
        await uow.commit()
    async with uow_factory() as uow:
        assert [e.id for e in await uow.audit.list(AuditQuery(limit=10))] == [kept.id]
