from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

import pytest

from domain.api_keys import ApiKey, ApiKeyScope, hash_secret
from domain.errors import InvalidState, ValidationFailed

NOW = datetime(2026, 5, 15, 9, 30, tzinfo=UTC)


def test_a_secret_is_high_entropy_and_only_its_hash_and_prefix_are_kept() -> None:
    key, secret = ApiKey.issue(id=UUID(int=1), name=" shop ", scope="storefront", now=NOW)
    assert secret.startswith("tsk_") and len(secret) >= 4 + 43
    assert key.name == "shop" and key.scope is ApiKeyScope.STOREFRONT
    assert key.secret_hash == hash_secret(secret) and secret.encode() not in key.secret_hash
    assert secret.startswith(key.prefix) and len(key.prefix) < len(secret) // 3
    assert key.matches(secret) and not key.matches(secret[:-1])
    assert ApiKey.issue(id=UUID(int=2), name="shop", scope="storefront", now=NOW)[1] != secret


@pytest.mark.parametrize(("name", "scope", "field"), [("", "admin", "name"), ("x" * 101, "admin", "name"),
                                                     ("shop", "root", "scope")])
def test_names_and_scopes_are_checked(name: str, scope: str, field: str) -> None:
    with pytest.raises(ValidationFailed) as failed:
        ApiKey.issue(id=UUID(int=1), name=name, scope=scope, now=NOW)
    assert [e.field for e in failed.value.errors] == [field]


def test_admin_allows_everything_and_storefront_only_storefront() -> None:
    assert ApiKeyScope.ADMIN.allows(ApiKeyScope.STOREFRONT) and ApiKeyScope.ADMIN.allows(ApiKeyScope.ADMIN)
    assert ApiKeyScope.STOREFRONT.allows(ApiKeyScope.STOREFRONT)
    assert not ApiKeyScope.STOREFRONT.allows(ApiKeyScope.ADMIN)


def test_a_key_is_revoked_once() -> None:
    key, _ = ApiKey.issue(id=UUID(int=1), name="shop", scope="admin", now=NOW)
    key.revoke(NOW)
    assert not key.active and key.revoked_at == NOW
    with pytest.raises(InvalidState):
        key.revoke(NOW)
