from __future__ import annotations

from uuid import UUID

from application.errors import NotFound
from application.ports import UnitOfWorkFactory
from domain.payments import Refund


class GetRefund:
    """Reads one refund."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, refund_id: UUID) -> Refund:
        async with self._uow() as uow:
            refund = await uow.refunds.get(refund_id)
        if refund is None:
            raise NotFound(f"no refund {refund_id}")
        return refund
