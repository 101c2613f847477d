from __future__ import annotations

from application.ports import Clock, UnitOfWorkFactory
from application.use_cases.begin_idempotent_request import IdempotencyPolicy


class PurgeIdempotencyKeys:
    """Deletes idempotency keys older than the policy's time to live; returns how many.

    Rules: an expired key is already treated as new by `BeginIdempotentRequest`, so purging
    only reclaims space and may run at any time, any number of times.
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, policy: IdempotencyPolicy) -> None:
        self._uow = uow
        self._clock = clock
        self._policy = policy

    async def __call__(self) -> int:
        async with self._uow() as uow:
            purged = await uow.idempotency.purge(self._clock.now() - self._policy.ttl)
            await uow.commit()
        return purged
