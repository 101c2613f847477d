from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from uuid import UUID

from application.ports import UnitOfWorkFactory
from domain.api_keys import ApiKey
from domain.idempotency import IdempotencyRecord, StoredResponse
from tests.contract.builders import T0

RESPONSE = StoredResponse(201, "application/json", b'{"id":"x"}\n')


async def a_key(uow_factory: UnitOfWorkFactory) -> UUID:
    key, _ = ApiKey.issue(id=UUID(int=7), name="shop", scope="admin", now=T0)
    async with uow_factory() as uow:
        await uow.api_keys.add(key)
        await uow.commit()
    return key.id


async def test_a_claim_stores_a_new_key_and_finds_a_known_one(uow_factory: UnitOfWorkFactory) -> None:
    key_id = await a_key(uow_factory)
    first = IdempotencyRecord.start(key_id, "k", b"f" * 32, T0)
    async with uow_factory() as uow:
        assert await uow.idempotency.claim(first) == (first, True)
        await uow.commit()
    later = IdempotencyRecord.start(key_id, "k", b"g" * 32, T0 + timedelta(minutes=1))
    async with uow_factory() as uow:
        assert await uow.idempotency.claim(later) == (first, False)
        other = replace(later, key="K")  # keys are case-sensitive
        assert await uow.idempotency.claim(other) == (other, True)


async def test_a_saved_response_is_read_back_byte_for_byte(uow_factory: UnitOfWorkFactory) -> None:
    key_id = await a_key(uow_factory)
    record = IdempotencyRecord.start(key_id, "k", b"f" * 32, T0)
    async with uow_factory() as uow:
        await uow.idempotency.claim(record)
        record.succeed(RESPONSE)
        await uow.idempotency.save(record)
        await uow.commit()
    async with uow_factory() as uow:
        stored, created = await uow.idempotency.claim(IdempotencyRecord.start(key_id, "k", b"x" * 32, T0))
    assert not created and stored == record and stored.response == RESPONSE


async def test_delete_and_purge(uow_factory: UnitOfWorkFactory) -> None:
    key_id = await a_key(uow_factory)
    records = [IdempotencyRecord.start(key_id, f"k{n}", b"f" * 32, T0 + timedelta(hours=n)) for n in range(3)]
    async with uow_factory() as uow:
        for record in records:
            await uow.idempotency.claim(record)
        await uow.commit()
    async with uow_factory() as uow:
        await uow.idempotency.delete(key_id, "k2")
        assert await uow.idempotency.purge(T0 + timedelta(hours=1)) == 1
        await uow.commit()
    async with uow_factory() as uow:
        assert [(await uow.idempotency.claim(r))[1] for r in records] == [True, False, True]
