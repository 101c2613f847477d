from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from domain.errors import InvalidState
from domain.webhooks import RetryPolicy, WebhookEvent, WebhookStatus

NOW = datetime(2026, 5, 15, 9, 30, tzinfo=UTC)


def an_event() -> WebhookEvent:
    return WebhookEvent.receive(
        id=uuid4(), provider="sandbox", provider_event_id="evt_1", type="payment.captured",
        payload=b"{}", headers={}, now=NOW,
    )


def test_back_off_doubles_from_the_base_up_to_the_cap_with_jitter_in_the_upper_half() -> None:
    policy = RetryPolicy(base_delay=timedelta(seconds=30), max_delay=timedelta(hours=12))
    assert [policy.delay(n, 1.0) for n in (1, 2, 3)] == [timedelta(seconds=s) for s in (30, 60, 120)]
    assert policy.delay(1, 0.0) == timedelta(seconds=15)
    assert policy.delay(40, 1.0) == timedelta(hours=12)
    assert policy.delay(1000, 0.5) == timedelta(hours=9)


def test_the_default_policy_keeps_retrying_for_about_three_days() -> None:
    assert timedelta(days=2, hours=12) < RetryPolicy().span() < timedelta(days=3, hours=6)


def test_a_received_event_is_due_at_once_and_processing_finishes_it() -> None:
    event = an_event()
    assert event.signature_verified and event.is_due(NOW)
    assert event.mark_processed(NOW + timedelta(seconds=1)) is WebhookStatus.RECEIVED
    assert (event.status, event.attempts, event.next_attempt_at) == (WebhookStatus.PROCESSED, 1, None)
    assert event.processed_at == NOW + timedelta(seconds=1)
    assert not event.is_due(NOW + timedelta(days=9))
    with pytest.raises(InvalidState):
        event.mark_processed(NOW)


def test_failures_retry_later_then_the_event_dies_after_the_last_attempt() -> None:
    event, policy = an_event(), RetryPolicy(max_attempts=3, base_delay=timedelta(minutes=1))
    event.mark_failed("boom", NOW, policy, jitter=1.0)
    assert (event.status, event.attempts, event.last_error) == (WebhookStatus.FAILED, 1, "boom")
    assert event.next_attempt_at == NOW + timedelta(minutes=1)
    assert not event.is_due(NOW) and event.is_due(NOW + timedelta(minutes=1))
    event.mark_failed("boom again", NOW, policy, jitter=1.0)
    assert event.next_attempt_at == NOW + timedelta(minutes=2)
    assert event.mark_failed("x" * 5000, NOW, policy, jitter=0.0) is WebhookStatus.FAILED
    assert (event.status, event.attempts, event.next_attempt_at) == (WebhookStatus.DEAD, 3, None)
    assert len(event.last_error or "") == 2000


def test_a_replay_makes_any_event_due_now_with_a_fresh_budget() -> None:
    event = an_event()
    event.mark_failed("boom", NOW, RetryPolicy(max_attempts=1), jitter=0.5)
    assert event.replay(NOW + timedelta(hours=1)) is WebhookStatus.DEAD
    assert (event.status, event.attempts, event.next_attempt_at) == (
        WebhookStatus.RECEIVED, 0, NOW + timedelta(hours=1)
    )
    event.mark_ignored(NOW)
    assert event.status is WebhookStatus.IGNORED
    event.replay(NOW)
    assert event.is_due(NOW)
