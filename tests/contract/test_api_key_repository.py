from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from uuid import UUID

import pytest

from application.errors import AlreadyExists
from application.ports import UnitOfWorkFactory
from domain.api_keys import ApiKey, hash_secret
from tests.contract.builders import T0


def a_key(number: int, scope: str = "admin", *, at: timedelta = timedelta()) -> tuple[ApiKey, str]:
    return ApiKey.issue(id=UUID(int=number), name=f"key {number}", scope=scope, now=T0 + at)


async def test_a_key_is_found_by_id_and_by_its_secrets_hash_only(uow_factory: UnitOfWorkFactory) -> None:
    key, secret = a_key(1)
    async with uow_factory() as uow:
        await uow.api_keys.add(key)
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.api_keys.get(key.id) == key
        assert await uow.api_keys.find_by_secret_hash(hash_secret(secret)) == key
        assert await uow.api_keys.find_by_secret_hash(hash_secret(secret + "x")) is None
        assert await uow.api_keys.get(UUID(int=2)) is None


async def test_a_revocation_is_saved_and_a_rollback_forgets_it(uow_factory: UnitOfWorkFactory) -> None:
    key, _ = a_key(1)
    async with uow_factory() as uow:
        await uow.api_keys.add(key)
        await uow.commit()
    revoked = replace(key, revoked_at=T0 + timedelta(hours=1))
    async with uow_factory() as uow:
        await uow.api_keys.save(revoked)
    async with uow_factory() as uow:
        assert (await uow.api_keys.get(key.id, lock=True)) == key
        await uow.api_keys.save(revoked)
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.api_keys.get(key.id) == revoked


async def test_list_is_oldest_first_with_revoked_keys(uow_factory: UnitOfWorkFactory) -> None:
    newer, _ = a_key(1, "storefront", at=timedelta(minutes=5))
    older, _ = a_key(2)
    older.revoke(T0 + timedelta(minutes=10))
    async with uow_factory() as uow:
        await uow.api_keys.add(newer)
        await uow.api_keys.add(older)
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.api_keys.list() == [older, newer]


async def test_a_duplicate_id_is_refused_and_the_unit_of_work_stays_usable(uow_factory: UnitOfWorkFactory) -> None:
    key, _ = a_key(1)
    other, _ = a_key(1)
    async with uow_factory() as uow:
        await uow.api_keys.add(key)
        with pytest.raises(AlreadyExists):
            await uow.api_keys.add(other)
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.api_keys.list() == [key]
