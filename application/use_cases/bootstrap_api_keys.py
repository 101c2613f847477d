from __future__ import annotations

from application.commands import CreateApiKey as CreateApiKeyCommand
from application.ports import UnitOfWorkFactory
from application.use_cases.create_api_key import CreateApiKey, IssuedApiKey
from domain.api_keys import ApiKeyScope


class BootstrapApiKeys:
    """Gives a brand-new installation one admin and one storefront key, so its first user can
    call the API at once.

    Rules: only when no key exists at all (revoked ones count: an operator who revoked every
    key meant it); both keys commit together with their audit entries, or neither does.
    """

    def __init__(self, uow: UnitOfWorkFactory, create_api_key: CreateApiKey) -> None:
        self._uow = uow
        self._create = create_api_key

    async def __call__(self, actor: str) -> list[IssuedApiKey]:
        async with self._uow() as uow:
            if await uow.api_keys.list():
                return []
            issued = [
                await self._create.issue(uow, CreateApiKeyCommand(name=f"initial {scope}", scope=scope, actor=actor))
                for scope in (ApiKeyScope.ADMIN, ApiKeyScope.STOREFRONT)
            ]
            await uow.commit()
        return issued
