from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

from application.ports import Clock, UnitOfWorkFactory
from domain.idempotency import Claim, IdempotencyRecord, StoredResponse


@dataclass(frozen=True)
class IdempotencyPolicy:
    ttl: timedelta
    """How long a key is remembered (Stripe: 24 h)."""
    lock_timeout: timedelta
    """How long a request may run before its key is taken to belong to a dead request."""


class BeginIdempotentRequest:
    """Claims an Idempotency-Key before its request runs.

    Rules: keys are scoped per API key; a new key is stored, locked, and committed at once in
    a transaction of its own, so a concurrent duplicate sees it (409 while it runs); a key
    whose first request succeeded replays that response; a key used for another request
    (method, path or canonical body) is 422; an expired key, or one whose request died
    holding it past the lock timeout, starts over. Returns the response to replay, or None
    when the caller must run the request and then `FinishIdempotentRequest`.
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, policy: IdempotencyPolicy) -> None:
        self._uow = uow
        self._clock = clock
        self._policy = policy

    async def __call__(self, api_key_id: UUID, key: str, fingerprint: bytes) -> StoredResponse | None:
        now = self._clock.now()
        async with self._uow() as uow:
            record, created = await uow.idempotency.claim(IdempotencyRecord.start(api_key_id, key, fingerprint, now))
            if created:
                await uow.commit()
                return None
            claim = record.claim(fingerprint, now, ttl=self._policy.ttl, lock_timeout=self._policy.lock_timeout)
            if claim is Claim.REPLAY:
                return record.response
            await uow.idempotency.save(record)
            await uow.commit()
        return None
