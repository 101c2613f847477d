from __future__ import annotations

from application.errors import Unauthenticated
from application.ports import UnitOfWorkFactory
from domain.api_keys import ApiKey, hash_secret


class AuthenticateApiKey:
    """Finds the active key a presented secret belongs to.

    Rules: an unknown, revoked or missing secret is the same `unauthenticated` error, so a
    caller learns nothing about which keys exist; the stored hash is compared in constant time.
    """

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, secret: str | None) -> ApiKey:
        if secret:
            async with self._uow() as uow:
                key = await uow.api_keys.find_by_secret_hash(hash_secret(secret))
            if key is not None and key.active and key.matches(secret):
                return key
        raise Unauthenticated("a valid API key is required: send `Authorization: Bearer <secret>`")
