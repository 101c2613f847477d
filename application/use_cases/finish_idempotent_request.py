from __future__ import annotations

from uuid import UUID

from application.ports import Clock, UnitOfWorkFactory
from domain.idempotency import IdempotencyRecord, StoredResponse


class FinishIdempotentRequest:
    """Records how a claimed request ended.

    Rules: a success (2xx) is stored for replay and unlocks the key; any other answer releases
    the key, storing nothing: the use cases write all or nothing, so a refused request wrote
    nothing and the client may fix it and retry under the same key.
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, api_key_id: UUID, key: str, fingerprint: bytes, response: StoredResponse) -> None:
        async with self._uow() as uow:
            if 200 <= response.status < 300:
                # Locks the claimed record (or stores it again, should a purge have taken it).
                started = IdempotencyRecord.start(api_key_id, key, fingerprint, self._clock.now())
                record, _ = await uow.idempotency.claim(started)
                record.succeed(response)
                await uow.idempotency.save(record)
            else:
                await uow.idempotency.delete(api_key_id, key)
            await uow.commit()
