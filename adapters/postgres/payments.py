"""The PostgreSQL payment and refund repositories (statements built once, as in repositories.py).

Payments and refunds are found the same ways (by id, by the provider's id, by order) and
claimed the same way once the lease of their unfinished provider call has ended, so one
`_ProviderRecords` holds those statements and queries; each repository adds its table, its
row mapping and what its unfinished call is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar
from uuid import UUID

from sqlalchemy import (
    Column,
    ColumnElement,
    Insert,
    Select,
    Table,
    Update,
    bindparam,
    insert,
    literal_column,
    select,
    tuple_,
    update,
)
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.postgres.tables import payments, refunds
from application.ports import PaymentRepository, RefundRepository
from domain.payments import (
    ActionKind,
    CaptureMethod,
    Payment,
    PaymentStatus,
    PendingAction,
    Refund,
    RefundStatus,
)

E = TypeVar("E", Payment, Refund)


@dataclass(frozen=True)
class _Statements:
    insert: Insert
    by_id: Select[Any]
    locked_by_id: Select[Any]
    by_provider_id: Select[Any]
    locked_by_provider_id: Select[Any]
    for_order: Select[Any]
    update: Update
    claim_abandoned: Select[Any]


def _statements(table: Table, provider_id: Column[Any], lease: Column[Any], unfinished: ColumnElement[bool]) -> _Statements:
    """`lease` ends the `unfinished` provider call's lease; both match the table's partial
    lease index, written with literals so that even a generic plan can use it."""
    by_id = select(table).where(table.c.id == bindparam("key_id"))
    by_provider_id = select(table).where(
        table.c.provider == bindparam("provider"), provider_id == bindparam("provider_id")
    )
    return _Statements(
        insert=insert(table),
        by_id=by_id,
        locked_by_id=by_id.with_for_update(),
        by_provider_id=by_provider_id,
        locked_by_provider_id=by_provider_id.with_for_update(),
        for_order=select(table).where(table.c.order_id == bindparam("order_id")).order_by(table.c.created_at, table.c.id),
        # The SET clause comes from the keys of the parameters (see `payment_changes`).
        update=update(table).where(table.c.id == bindparam("key_id")),
        # SKIP LOCKED: an intent another recoverer holds is passed over instead of waited for.
        claim_abandoned=select(table)
        .where(unfinished, lease <= bindparam("now"))
        .order_by(lease, table.c.id)
        .limit(bindparam("limit"))
        .with_for_update(skip_locked=True),
    )


class _ProviderRecords(Generic[E]):
    """The queries payments and refunds share; `changes` includes `key_id`, the row to update."""

    def __init__(
        self,
        connection: AsyncConnection,
        statements: _Statements,
        from_row: Callable[[Row[Any]], E],
        values: Callable[[E], dict[str, Any]],
        changes: Callable[[E], dict[str, Any]],
    ) -> None:
        self._connection = connection
        self._statements = statements
        self._from_row = from_row
        self._values = values
        self._changes = changes

    async def add(self, entity: E) -> None:
        await self._connection.execute(self._statements.insert, self._values(entity))

    async def get(self, entity_id: UUID, lock: bool) -> E | None:
        statement = self._statements.locked_by_id if lock else self._statements.by_id
        return await self._one(statement, {"key_id": entity_id})

    async def get_by_provider_id(self, provider: str, provider_id: str, lock: bool) -> E | None:
        statement = self._statements.locked_by_provider_id if lock else self._statements.by_provider_id
        return await self._one(statement, {"provider": provider, "provider_id": provider_id})

    async def list_for_order(self, order_id: UUID) -> list[E]:
        return await self._all(self._statements.for_order, {"order_id": order_id})

    async def save(self, entity: E) -> None:
        await self._connection.execute(self._statements.update, self._changes(entity))

    async def claim_abandoned(self, now: datetime, limit: int) -> list[E]:
        return await self._all(self._statements.claim_abandoned, {"now": now, "limit": limit})

    async def _one(self, statement: Select[Any], params: dict[str, Any]) -> E | None:
        row = (await self._connection.execute(statement, params)).first()
        return self._from_row(row) if row else None

    async def _all(self, statement: Select[Any], params: dict[str, Any]) -> list[E]:
        return [self._from_row(row) for row in await self._connection.execute(statement, params)]


# --- payments -------------------------------------------------------------------------------

_PAYMENTS = _statements(
    payments, payments.c.provider_payment_id, payments.c.action_lease_until, payments.c.action_kind.is_not(None)
)


def payment_from_row(row: Row[Any]) -> Payment:
    action = (
        PendingAction(ActionKind(row.action_kind), row.action_amount, row.action_lease_until)
        if row.action_kind is not None
        else None
    )
    return Payment(
        id=row.id,
        order_id=row.order_id,
        provider=row.provider,
        status=PaymentStatus(row.status),
        amount=row.amount,
        currency=row.currency,
        capture_method=CaptureMethod(row.capture_method),
        attempts=row.attempts,
        expires_at=row.expires_at,
        created_at=row.created_at,
        updated_at=row.updated_at,
        provider_payment_id=row.provider_payment_id,
        client_secret=row.client_secret,
        approval_url=row.approval_url,
        amount_authorized=row.amount_authorized,
        amount_captured=row.amount_captured,
        amount_refunded=row.amount_refunded,
        amount_refund_pending=row.amount_refund_pending,
        action=action,
        failure_reason=row.failure_reason,
    )


def payment_values(payment: Payment) -> dict[str, Any]:
    return {
        "id": payment.id,
        "order_id": payment.order_id,
        "provider": payment.provider,
        "currency": payment.currency,
        "created_at": payment.created_at,
        **_payment_state(payment),
    }


def payment_changes(payment: Payment) -> dict[str, Any]:
    """What `PaymentRepository.save` may change; `key_id` selects the row."""
    return {"key_id": payment.id, **_payment_state(payment)}


def _payment_state(payment: Payment) -> dict[str, Any]:
    action = payment.action
    return {
        "status": payment.status.value,
        "amount": payment.amount,
        "capture_method": payment.capture_method.value,
        "attempts": payment.attempts,
        "expires_at": payment.expires_at,
        "updated_at": payment.updated_at,
        "provider_payment_id": payment.provider_payment_id,
        "client_secret": payment.client_secret,
        "approval_url": payment.approval_url,
        "amount_authorized": payment.amount_authorized,
        "amount_captured": payment.amount_captured,
        "amount_refunded": payment.amount_refunded,
        "amount_refund_pending": payment.amount_refund_pending,
        "action_kind": action.kind.value if action else None,
        "action_amount": action.amount if action else None,
        "action_lease_until": action.lease_until if action else None,
        "failure_reason": payment.failure_reason,
    }


_OPEN_STATUSES = literal_column(f"'{PaymentStatus.PENDING.value}'"), literal_column(f"'{PaymentStatus.AUTHORIZED.value}'")
_OPEN_PAYMENTS = (
    select(payments)
    .where(
        payments.c.provider == bindparam("provider"),
        payments.c.status.in_(_OPEN_STATUSES),
        payments.c.provider_payment_id.is_not(None),
        tuple_(payments.c.created_at, payments.c.id) > tuple_(bindparam("after_at"), bindparam("after_id")),
    )
    .order_by(payments.c.created_at, payments.c.id)
    .limit(bindparam("limit"))
)
_BEFORE_ANY = (datetime.min.replace(tzinfo=UTC), UUID(int=0))


class PgPaymentRepository(PaymentRepository):
    def __init__(self, connection: AsyncConnection) -> None:
        self._records = _ProviderRecords(connection, _PAYMENTS, payment_from_row, payment_values, payment_changes)
        self._connection = connection

    async def list_open(self, provider: str, limit: int, after: tuple[datetime, UUID] | None = None) -> list[Payment]:
        after_at, after_id = after or _BEFORE_ANY
        params = {"provider": provider, "limit": limit, "after_at": after_at, "after_id": after_id}
        return [payment_from_row(row) for row in await self._connection.execute(_OPEN_PAYMENTS, params)]

    async def add(self, payment: Payment) -> None:
        await self._records.add(payment)

    async def get(self, payment_id: UUID, *, lock: bool = False) -> Payment | None:
        return await self._records.get(payment_id, lock)

    async def get_by_provider_id(self, provider: str, provider_payment_id: str, *, lock: bool = False) -> Payment | None:
        return await self._records.get_by_provider_id(provider, provider_payment_id, lock)

    async def list_for_order(self, order_id: UUID) -> list[Payment]:
        return await self._records.list_for_order(order_id)

    async def save(self, payment: Payment) -> None:
        await self._records.save(payment)

    async def claim_abandoned(self, now: datetime, limit: int) -> list[Payment]:
        return await self._records.claim_abandoned(now, limit)


# --- refunds --------------------------------------------------------------------------------

_REFUNDS = _statements(
    refunds,
    refunds.c.provider_refund_id,
    refunds.c.lease_until,
    refunds.c.status == literal_column(f"'{RefundStatus.PENDING.value}'"),
)


def refund_from_row(row: Row[Any]) -> Refund:
    return Refund(
        id=row.id,
        payment_id=row.payment_id,
        order_id=row.order_id,
        provider=row.provider,
        amount=row.amount,
        currency=row.currency,
        reason=row.reason,
        status=RefundStatus(row.status),
        created_at=row.created_at,
        updated_at=row.updated_at,
        provider_refund_id=row.provider_refund_id,
        failure_reason=row.failure_reason,
        lease_until=row.lease_until,
        request_key=row.request_key,
    )


def refund_values(refund: Refund) -> dict[str, Any]:
    return {
        "id": refund.id,
        "payment_id": refund.payment_id,
        "order_id": refund.order_id,
        "provider": refund.provider,
        "amount": refund.amount,
        "currency": refund.currency,
        "reason": refund.reason,
        "request_key": refund.request_key,
        "created_at": refund.created_at,
        **_refund_state(refund),
    }


def refund_changes(refund: Refund) -> dict[str, Any]:
    """What `RefundRepository.save` may change; `key_id` selects the row."""
    return {"key_id": refund.id, **_refund_state(refund)}


def _refund_state(refund: Refund) -> dict[str, Any]:
    return {
        "status": refund.status.value,
        "provider_refund_id": refund.provider_refund_id,
        "failure_reason": refund.failure_reason,
        "lease_until": refund.lease_until,
        "updated_at": refund.updated_at,
    }


_REFUND_BY_REQUEST_KEY = select(refunds).where(
    refunds.c.payment_id == bindparam("payment_id"), refunds.c.request_key == bindparam("request_key")
)


class PgRefundRepository(RefundRepository):
    def __init__(self, connection: AsyncConnection) -> None:
        self._records = _ProviderRecords(connection, _REFUNDS, refund_from_row, refund_values, refund_changes)
        self._connection = connection

    async def find_by_request_key(self, payment_id: UUID, request_key: str) -> Refund | None:
        params = {"payment_id": payment_id, "request_key": request_key}
        row = (await self._connection.execute(_REFUND_BY_REQUEST_KEY, params)).first()
        return refund_from_row(row) if row else None

    async def add(self, refund: Refund) -> None:
        await self._records.add(refund)

    async def get(self, refund_id: UUID, *, lock: bool = False) -> Refund | None:
        return await self._records.get(refund_id, lock)

    async def get_by_provider_id(self, provider: str, provider_refund_id: str, *, lock: bool = False) -> Refund | None:
        return await self._records.get_by_provider_id(provider, provider_refund_id, lock)

    async def list_for_order(self, order_id: UUID) -> list[Refund]:
        return await self._records.list_for_order(order_id)

    async def save(self, refund: Refund) -> None:
        await self._records.save(refund)

    async def claim_abandoned(self, now: datetime, limit: int) -> list[Refund]:
        return await self._records.claim_abandoned(now, limit)
