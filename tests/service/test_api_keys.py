from __future__ import annotations


import pytest

from adapters.memory import InMemoryStore, InMemoryUnitOfWorkFactory
from application.auditing import AuditRecorder
from application.commands import CreateApiKey as CreateApiKeyCommand
from application.commands import RevokeApiKey as RevokeApiKeyCommand
from application.errors import Unauthenticated
from application.use_cases.authenticate_api_key import AuthenticateApiKey
from application.use_cases.bootstrap_api_keys import BootstrapApiKeys
from application.use_cases.create_api_key import CreateApiKey
from application.use_cases.list_api_keys import ListApiKeys
from application.use_cases.revoke_api_key import RevokeApiKey
from domain.errors import InvalidState, ValidationFailed
from tests.support import FrozenClock, SequentialIds


class Keys:
    def __init__(self) -> None:
        self.store = InMemoryStore()
        self.clock = FrozenClock()
        uow, ids = InMemoryUnitOfWorkFactory(self.store), SequentialIds()
        audit = AuditRecorder(self.clock, ids)
        self.create = CreateApiKey(uow, self.clock, ids, audit)
        self.bootstrap = BootstrapApiKeys(uow, self.create)
        self.list = ListApiKeys(uow)
        self.revoke = RevokeApiKey(uow, self.clock, audit)
        self.authenticate = AuthenticateApiKey(uow)


@pytest.fixture
def keys() -> Keys:
    return Keys()


async def test_a_created_key_authenticates_until_revoked_and_both_are_audited(keys: Keys) -> None:
    issued = await keys.create(CreateApiKeyCommand(name="shop", scope="storefront", actor="cli"))
    assert await keys.authenticate(issued.secret) == issued.key

    keys.clock.advance(minutes=1)
    revoked = await keys.revoke(RevokeApiKeyCommand(key_id=issued.key.id, actor="api_key:other"))
    assert revoked.revoked_at == keys.clock.now()
    with pytest.raises(Unauthenticated):
        await keys.authenticate(issued.secret)
    with pytest.raises(InvalidState):
        await keys.revoke(RevokeApiKeyCommand(key_id=issued.key.id, actor="cli"))

    assert [(e.action, e.actor, e.entity_id) for e in keys.store.audit] == [
        ("api_key.created", "cli", issued.key.id),
        ("api_key.revoked", "api_key:other", issued.key.id),
    ]
    assert all(issued.secret not in repr(e) for e in keys.store.audit)


@pytest.mark.parametrize("secret", [None, "", "tsk_unknown", "Bearer"])
async def test_missing_and_unknown_secrets_are_unauthenticated(keys: Keys, secret: str | None) -> None:
    await keys.create(CreateApiKeyCommand(name="shop", scope="admin", actor="cli"))
    with pytest.raises(Unauthenticated):
        await keys.authenticate(secret)


async def test_an_invalid_key_is_not_created(keys: Keys) -> None:
    with pytest.raises(ValidationFailed):
        await keys.create(CreateApiKeyCommand(name="shop", scope="root", actor="cli"))
    assert keys.store.api_keys == {} and keys.store.audit == []


async def test_bootstrap_creates_an_admin_and_a_storefront_key_once(keys: Keys) -> None:
    issued = await keys.bootstrap("system:serve")
    assert [i.key.scope.value for i in issued] == ["admin", "storefront"]
    assert [await keys.authenticate(i.secret) for i in issued] == [i.key for i in issued]
    assert [e.actor for e in keys.store.audit] == ["system:serve", "system:serve"]

    keys.clock.advance(minutes=1)
    assert await keys.bootstrap("system:serve") == []
    assert len(await keys.list()) == 2


async def test_bootstrap_leaves_an_installation_whose_keys_are_all_revoked_alone(keys: Keys) -> None:
    issued = await keys.create(CreateApiKeyCommand(name="old", scope="admin", actor="cli"))
    await keys.revoke(RevokeApiKeyCommand(key_id=issued.key.id, actor="cli"))
    assert await keys.bootstrap("system:serve") == []
