from __future__ import annotations

from datetime import timedelta
from uuid import UUID

import pytest

from adapters.memory import InMemoryStore, InMemoryUnitOfWorkFactory
from application.use_cases.begin_idempotent_request import BeginIdempotentRequest, IdempotencyPolicy
from application.use_cases.finish_idempotent_request import FinishIdempotentRequest
from application.use_cases.purge_idempotency_keys import PurgeIdempotencyKeys
from domain.idempotency import IdempotencyInProgress, StoredResponse, fingerprint
from tests.support import FrozenClock

SHOP, OTHER_SHOP = UUID(int=1), UUID(int=2)
FP = fingerprint("POST", "/v1/orders", b"{}")
CREATED = StoredResponse(201, "application/json", b'{"id":"o1"}')
REFUSED = StoredResponse(409, "application/problem+json", b'{"code":"sold_out"}')


class Idempotency:
    def __init__(self) -> None:
        self.store, self.clock = InMemoryStore(), FrozenClock()
        uow = InMemoryUnitOfWorkFactory(self.store)
        policy = IdempotencyPolicy(ttl=timedelta(hours=24), lock_timeout=timedelta(seconds=60))
        self.begin = BeginIdempotentRequest(uow, self.clock, policy)
        self.finish = FinishIdempotentRequest(uow, self.clock)
        self.purge = PurgeIdempotencyKeys(uow, self.clock, policy)


@pytest.fixture
def idem() -> Idempotency:
    return Idempotency()


async def test_a_success_is_replayed_and_keys_are_scoped_per_api_key(idem: Idempotency) -> None:
    assert await idem.begin(SHOP, "k", FP) is None
    await idem.finish(SHOP, "k", FP, CREATED)
    assert await idem.begin(SHOP, "k", FP) == CREATED
    assert await idem.begin(OTHER_SHOP, "k", FP) is None


async def test_a_failure_releases_the_key(idem: Idempotency) -> None:
    assert await idem.begin(SHOP, "k", FP) is None
    await idem.finish(SHOP, "k", FP, REFUSED)
    assert idem.store.idempotency == {}
    assert await idem.begin(SHOP, "k", FP) is None


async def test_a_key_held_by_a_dead_request_is_reusable_after_the_lock_timeout(idem: Idempotency) -> None:
    assert await idem.begin(SHOP, "k", FP) is None
    idem.clock.advance(seconds=59)
    with pytest.raises(IdempotencyInProgress):
        await idem.begin(SHOP, "k", FP)
    idem.clock.advance(seconds=1)
    assert await idem.begin(SHOP, "k", FP) is None
    with pytest.raises(IdempotencyInProgress):
        await idem.begin(SHOP, "k", FP)


async def test_keys_expire_after_the_ttl_and_the_purge_removes_them(idem: Idempotency) -> None:
    await idem.begin(SHOP, "old", FP)
    await idem.finish(SHOP, "old", FP, CREATED)
    idem.clock.advance(hours=23)
    await idem.begin(SHOP, "new", FP)
    idem.clock.advance(hours=1)
    assert await idem.begin(SHOP, "old", fingerprint("POST", "/v1/orders", b"[]")) is None  # expired: new life
    idem.clock.advance(hours=24, seconds=1)
    assert await idem.purge() == 2
    assert await idem.purge() == 0
