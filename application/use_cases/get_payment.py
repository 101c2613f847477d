from __future__ import annotations

from uuid import UUID

from application.errors import NotFound
from application.ports import UnitOfWorkFactory
from domain.payments import Payment


class GetPayment:
    """Reads one payment."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, payment_id: UUID) -> Payment:
        async with self._uow() as uow:
            payment = await uow.payments.get(payment_id)
        if payment is None:
            raise NotFound(f"no payment {payment_id}")
        return payment

