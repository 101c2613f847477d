from __future__ import annotations

from application.ports import UnitOfWorkFactory
from domain.api_keys import ApiKey


class ListApiKeys:
    """Every API key, revoked ones included, oldest first. Secrets are not stored, so not shown."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self) -> list[ApiKey]:
        async with self._uow() as uow:
            return await uow.api_keys.list()
