from __future__ import annotations

from application.auditing import AuditRecorder
from application.commands import RevokeApiKey as RevokeApiKeyCommand
from application.errors import NotFound
from application.ports import Clock, UnitOfWorkFactory
from domain.api_keys import ApiKey


class RevokeApiKey:
    """Revokes an API key for good: from the commit on, its secret authenticates nothing.

    Rules: a revoked key cannot be revoked again (409); the row is locked so two revocations
    race to one winner; the revocation is audited in the same transaction.
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, audit: AuditRecorder) -> None:
        self._uow = uow
        self._clock = clock
        self._audit = audit

    async def __call__(self, cmd: RevokeApiKeyCommand) -> ApiKey:
        async with self._uow() as uow:
            key = await uow.api_keys.get(cmd.key_id, lock=True)
            if key is None:
                raise NotFound(f"no API key {cmd.key_id}")
            key.revoke(self._clock.now())
            await uow.api_keys.save(key)
            await uow.audit.append(
                self._audit.entry(
                    entity_type="api_key",
                    entity_id=key.id,
                    action="api_key.revoked",
                    actor=cmd.actor,
                    details={"name": key.name, "scope": key.scope.value, "prefix": key.prefix},
                )
            )
            await uow.commit()
        return key
