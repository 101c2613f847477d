from __future__ import annotations

from dataclasses import dataclass

from application.auditing import AuditRecorder
from application.commands import CreateApiKey as CreateApiKeyCommand
from application.ports import Clock, IdGenerator, UnitOfWork, UnitOfWorkFactory
from domain.api_keys import ApiKey


@dataclass(frozen=True)
class IssuedApiKey:
    """The only place a key's secret ever appears: show it once, then drop it."""

    key: ApiKey
    secret: str


class CreateApiKey:
    """Issues an API key.

    Rules: the name is 1..100 characters; the scope is `storefront` or `admin`; the secret
    (`tsk_` + 256 random bits) is returned once and only its SHA-256 is stored; the creation
    is audited, without the secret.
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, ids: IdGenerator, audit: AuditRecorder) -> None:
        self._uow = uow
        self._clock = clock
        self._ids = ids
        self._audit = audit

    async def __call__(self, cmd: CreateApiKeyCommand) -> IssuedApiKey:
        async with self._uow() as uow:
            issued = await self.issue(uow, cmd)
            await uow.commit()
        return issued

    async def issue(self, uow: UnitOfWork, cmd: CreateApiKeyCommand) -> IssuedApiKey:
        """Adds and audits a key inside the caller's unit of work (which commits)."""
        key, secret = ApiKey.issue(id=self._ids.new_id(), name=cmd.name, scope=cmd.scope, now=self._clock.now())
        await uow.api_keys.add(key)
        await uow.audit.append(
            self._audit.entry(
                entity_type="api_key",
                entity_id=key.id,
                action="api_key.created",
                actor=cmd.actor,
                details={"name": key.name, "scope": key.scope.value, "prefix": key.prefix},
            )
        )
        return IssuedApiKey(key=key, secret=secret)
