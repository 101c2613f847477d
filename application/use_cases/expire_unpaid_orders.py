from __future__ import annotations

from application.auditing import AuditRecorder
from application.ports import Clock, UnitOfWorkFactory
from application.settlement import release_places

EXPIRY_ACTOR = "system:expiry"


class ExpireUnpaidOrders:
    """Cancels orders nobody paid in time and gives their places back.

    Rules: only a pending order past its expiry expires (one with a payment authorized or
    captured is processing or paid, not pending); orders are claimed locked, skipping those a
    checkout or another expirer holds; the release, the new status and the audit entry commit
    together. A checkout still open at the provider expires there on its own (it never outlives
    its order); should the buyer pay it anyway, the money is given back.
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, audit: AuditRecorder) -> None:
        self._uow = uow
        self._clock = clock
        self._audit = audit

    async def __call__(self, batch_size: int) -> int:
        """Returns how many orders it expired; fewer than `batch_size` means none are left."""
        now = self._clock.now()
        async with self._uow() as uow:
            orders = await uow.orders.claim_expired(now, batch_size)
            for order in orders:
                previous = order.cancel(now)
                released = await release_places(uow, order, now)
                await uow.orders.save(order)
                await uow.audit.append(
                    self._audit.entry(
                        entity_type="order",
                        entity_id=order.id,
                        action="order.expired",
                        actor=EXPIRY_ACTOR,
                        from_status=previous,
                        to_status=order.status,
                        amount=order.total.amount,
                        currency=order.currency,
                        details={"released": released, "expires_at": order.expires_at.isoformat()},
                    )
                )
            await uow.commit()
        return len(orders)
