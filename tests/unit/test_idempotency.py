from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from domain.idempotency import (
    Claim,
    IdempotencyInProgress,
    IdempotencyKeyReused,
    IdempotencyRecord,
    StoredResponse,
    fingerprint,
)

NOW = datetime(2026, 5, 15, 9, 30, tzinfo=UTC)
TTL, LOCK = timedelta(hours=24), timedelta(minutes=1)
FP = fingerprint("POST", "/v1/orders", b'{"a": 1, "b": [2]}')
OK = StoredResponse(201, "application/json", b'{"id": 1}')


def record() -> IdempotencyRecord:
    return IdempotencyRecord.start(UUID(int=1), "k", FP, NOW)


def claim(r: IdempotencyRecord, fp: bytes = FP, *, after: timedelta = timedelta(seconds=1)) -> Claim:
    return r.claim(fp, NOW + after, ttl=TTL, lock_timeout=LOCK)


def test_the_fingerprint_reads_json_canonically_and_covers_method_and_path() -> None:
    assert fingerprint("post", "/v1/orders", b'{ "b":[2],"a":1 }') == FP
    assert fingerprint("POST", "/v1/products", b'{"a": 1, "b": [2]}') != FP
    assert fingerprint("PUT", "/v1/orders", b'{"a": 1, "b": [2]}') != FP
    assert fingerprint("POST", "/v1/orders", b'{"a": 2, "b": [2]}') != FP
    assert fingerprint("POST", "/v1/orders", b"not json") == fingerprint("POST", "/v1/orders", b"not json")


def test_a_running_request_is_in_progress_until_its_lock_times_out() -> None:
    r = record()
    with pytest.raises(IdempotencyInProgress):
        claim(r)
    assert claim(r, after=LOCK) is Claim.STARTED and r.locked_at == NOW + LOCK


def test_a_succeeded_request_replays_and_a_different_one_is_refused() -> None:
    r = record()
    r.succeed(OK)
    assert r.locked_at is None
    assert claim(r) is Claim.REPLAY
    with pytest.raises(IdempotencyKeyReused):
        claim(r, fingerprint("POST", "/v1/orders", b"{}"))


def test_an_expired_key_starts_over_with_any_request() -> None:
    r = record()
    r.succeed(OK)
    other = fingerprint("POST", "/v1/orders", b"{}")
    assert claim(r, other, after=TTL) is Claim.STARTED
    assert (r.fingerprint, r.response, r.created_at) == (other, None, NOW + TTL)
