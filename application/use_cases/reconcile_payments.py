from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from application.gateways import PaymentGateways
from application.ports import UnitOfWorkFactory
from application.provider_calls import ProviderCalls
from domain.payments import Payment

RECONCILE_ACTOR = "system:reconcile"


@dataclass(frozen=True)
class Reconciliation:
    checked: int
    changed: int


class ReconcilePayments:
    """Asks a provider where each of its open payments stands and records what it missed.

    Rules: only payments still pending or authorized in Tessera are asked about (a webhook lost
    for good leaves them there); the provider's state is applied like an event would be, so
    nothing moves backwards and what is already known changes nothing; each change commits with
    its audit entry and the order's new status; the provider is called outside any transaction.
    """

    def __init__(self, uow: UnitOfWorkFactory, gateways: PaymentGateways, calls: ProviderCalls) -> None:
        self._uow = uow
        self._gateways = gateways
        self._calls = calls

    async def __call__(self, provider: str, batch_size: int = 100) -> Reconciliation:
        gateway = self._gateways.get(provider)
        checked = changed = 0
        after: tuple[datetime, UUID] | None = None
        while page := await self._open_payments(provider, batch_size, after):
            for payment in page:
                reported = await gateway.fetch(payment.provider_payment_id or "")
                recorded = await self._calls.record(
                    payment,
                    RECONCILE_ACTOR,
                    lambda p, now, r=reported: p.apply_reported(
                        r.status, r.amount_authorized, r.amount_captured, r.failure_reason, now
                    ),
                )
                checked += 1
                changed += recorded.status is not payment.status
            after = (page[-1].created_at, page[-1].id)
        return Reconciliation(checked, changed)

    async def _open_payments(
        self, provider: str, limit: int, after: tuple[datetime, UUID] | None
    ) -> list[Payment]:
        async with self._uow() as uow:
            return await uow.payments.list_open(provider, limit, after)
