"""PostgreSQL repositories: SQLAlchemy Core statements on the unit of work's connection.

Statements are built once (module level, or memoised per combination of filters) so that
SQLAlchemy computes each cache key once and compiles each statement once per dialect; every
method is a known, small number of round trips and none loops over rows with queries.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from functools import cache
from typing import Any
from uuid import UUID

from sqlalchemy import DateTime, Select, String, true, any_, bindparam, func, insert, literal_column, select, tuple_, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import UUID as PgUUID
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.expression import Tuple
from sqlalchemy.types import TypeEngine

from adapters.postgres.mappers import (
    LINE_COLUMNS,
    audit_entry_from_row,
    audit_entry_values,
    customer_from_row,
    customer_values,
    line_from_row,
    line_values,
    order_changes,
    order_from_row,
    order_values,
    product_changes,
    product_from_row,
    product_values,
    webhook_event_changes,
    webhook_event_from_row,
    webhook_event_values,
)
from adapters.postgres.tables import (
    audit_log,
    customers,
    order_lines,
    order_number_counters,
    orders,
    products,
    webhook_events,
)
from application.errors import AlreadyExists
from application.ports import (
    AuditLog,
    AuditQuery,
    CustomerRepository,
    OrderNumberSequence,
    OrderQuery,
    OrderRepository,
    ProductQuery,
    ProductRepository,
    WebhookInbox,
    WebhookQuery,
)
from domain.audit import AuditEntry
from domain.catalog import Product
from domain.customers import Customer
from domain.orders import Order, OrderLine
from domain.webhooks import WebhookEvent, WebhookStatus

_UUIDS = ARRAY(PgUUID(as_uuid=True))
_TIMESTAMP = DateTime(timezone=True)



def _keyset_cursor(prefix: str) -> Tuple[Any]:
    """The (`{prefix}_at`, `{prefix}_id`) parameters a page's (time, id) row is compared with:
    a row comparison walks a (time, id) index without an offset."""
    return tuple_(bindparam(f"{prefix}_at", type_=_TIMESTAMP), bindparam(f"{prefix}_id", type_=PgUUID(as_uuid=True)))

# --- products -------------------------------------------------------------------------------

# ON CONFLICT (sku) DO NOTHING instead of catching the unique violation: no row back means the
# sku is taken (a concurrent insert of the same sku waits for the other transaction and then
# conflicts), and the transaction stays usable, as with the in-memory adapter.
_INSERT_PRODUCT = (
    pg_insert(products).on_conflict_do_nothing(index_elements=[products.c.sku]).returning(products.c.id)
)
_PRODUCT_BY_SKU = select(products).where(products.c.sku == bindparam("sku"))
# Row locks are taken as rows leave the sort, so every transaction locks in sku order and two
# orders sharing products cannot deadlock.
_LOCK_PRODUCTS = (
    select(products)
    .where(products.c.sku == any_(bindparam("skus", type_=ARRAY(products.c.sku.type))))
    .order_by(products.c.sku)
    .with_for_update()
)
# The SET clause comes from the keys of the parameter sets (see `product_changes`).
_UPDATE_PRODUCT = update(products).where(products.c.id == bindparam("key_id"))


@cache
def _product_list(given: frozenset[str]) -> Select[Any]:
    statement = select(products).order_by(products.c.sku).limit(bindparam("limit"))
    if "after_sku" in given:
        statement = statement.where(products.c.sku > bindparam("after_sku"))
    if "active" in given:
        statement = statement.where(products.c.active == bindparam("active"))
    return statement


class PgProductRepository(ProductRepository):
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def add(self, product: Product) -> None:
        inserted = await self._connection.scalar(_INSERT_PRODUCT, product_values(product))
        if inserted is None:
            raise AlreadyExists(f"a product with sku '{product.sku}' already exists")

    async def get_by_sku(self, sku: str) -> Product | None:
        row = (await self._connection.execute(_PRODUCT_BY_SKU, {"sku": sku})).first()
        return product_from_row(row) if row else None

    async def lock_by_skus(self, skus: Sequence[str]) -> dict[str, Product]:
        if not skus:
            return {}
        result = await self._connection.execute(_LOCK_PRODUCTS, {"skus": list(skus)})
        return {row.sku: product_from_row(row) for row in result}

    async def save(self, products: Sequence[Product]) -> None:
        """One executemany: asyncpg pipelines the parameter sets in a single round trip."""
        if products:
            await self._connection.execute(_UPDATE_PRODUCT, [product_changes(p) for p in products])

    async def list(self, query: ProductQuery) -> list[Product]:
        params = _given(limit=query.limit, after_sku=query.after_sku, active=query.active)
        result = await self._connection.execute(_product_list(frozenset(params)), params)
        return [product_from_row(row) for row in result]


# --- customers ------------------------------------------------------------------------------

_NEW_CUSTOMER = pg_insert(customers)
# Given names and phone replace stored ones; absent (NULL) ones keep what is stored. RETURNING
# gives the stored row either way, so finding or creating a customer is one round trip.
_UPSERT_CUSTOMER = _NEW_CUSTOMER.on_conflict_do_update(
    index_elements=[customers.c.email],
    set_={
        "first_name": func.coalesce(_NEW_CUSTOMER.excluded.first_name, customers.c.first_name),
        "last_name": func.coalesce(_NEW_CUSTOMER.excluded.last_name, customers.c.last_name),
        "phone": func.coalesce(_NEW_CUSTOMER.excluded.phone, customers.c.phone),
        "updated_at": _NEW_CUSTOMER.excluded.updated_at,
    },
).returning(*customers.c)
_CUSTOMERS_BY_IDS = select(customers).where(customers.c.id == any_(bindparam("ids", type_=_UUIDS)))


class PgCustomerRepository(CustomerRepository):
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def upsert_by_email(self, customer: Customer) -> Customer:
        row = (await self._connection.execute(_UPSERT_CUSTOMER, customer_values(customer))).one()
        return customer_from_row(row)

    async def get_many(self, ids: Sequence[UUID]) -> dict[UUID, Customer]:
        if not ids:
            return {}
        result = await self._connection.execute(_CUSTOMERS_BY_IDS, {"ids": list(ids)})
        return {row.id: customer_from_row(row) for row in result}


# --- orders ---------------------------------------------------------------------------------

def _array_of(element: TypeEngine[Any]) -> ARRAY[Any]:
    """An array parameter of the column's type, minus any collation (casts cannot carry one)."""
    return ARRAY(String(element.length) if isinstance(element, String) else element)


# An order and all its lines in ONE statement: the lines come from arrays (one per column,
# unnested side by side), so the statement is the same whatever the number of lines. Placing
# an order holds the day's order-number row until commit; every round trip saved here is
# taken off that critical section. A taken number inserts no order, hence no lines.
_LINE_FIELDS = [c.name for c in order_lines.c if c.name != "order_id"]
_NEW_ORDER = (
    pg_insert(orders)
    .values({column.name: bindparam(column.name, type_=column.type) for column in orders.c})
    .on_conflict_do_nothing(index_elements=[orders.c.number])
    .returning(orders.c.id)
    .cte("new_order")
)
_NEW_LINES = (
    func.unnest(*(bindparam(f"lines_{name}", type_=_array_of(order_lines.c[name].type)) for name in _LINE_FIELDS))
    .table_valued(*_LINE_FIELDS, name="new_line")
    .render_derived()
)
_INSERT_ORDER_WITH_LINES = (
    insert(order_lines)
    .from_select(
        ["order_id", *_LINE_FIELDS],
        select(_NEW_ORDER.c.id, *(_NEW_LINES.c[name] for name in _LINE_FIELDS)).select_from(
            _NEW_ORDER.join(_NEW_LINES, true())
        ),
    )
    .add_cte(_NEW_ORDER)
    .returning(order_lines.c.order_id)
)
_UPDATE_ORDER = update(orders).where(orders.c.id == bindparam("key_id"))
# One round trip for an order and its lines: the order's columns repeat on each line row.
_ORDER_WITH_LINES = (
    select(orders, *LINE_COLUMNS)
    .outerjoin(order_lines, order_lines.c.order_id == orders.c.id)
    .where(orders.c.id == bindparam("order_id"))
    .order_by(order_lines.c.position)
)
# Locks the order row only; its lines never change after placement.
_LOCKED_ORDER_WITH_LINES = _ORDER_WITH_LINES.with_for_update(of=orders)
_ORDER_BY_REQUEST_KEY = select(orders.c.id).where(orders.c.request_key == bindparam("request_key"))
# SKIP LOCKED: an order being paid or expired elsewhere is passed over, not waited for.
_CLAIM_EXPIRED_ORDERS = (
    select(orders)
    .where(orders.c.status == literal_column("'pending'"), orders.c.expires_at <= bindparam("now"))
    .order_by(orders.c.expires_at, orders.c.id)
    .limit(bindparam("limit"))
    .with_for_update(skip_locked=True)
)
_LINES_OF_ORDERS = (
    select(*LINE_COLUMNS)
    .where(order_lines.c.order_id == any_(bindparam("order_ids", type_=_UUIDS)))
    .order_by(order_lines.c.order_id, order_lines.c.position)
)


@cache
def _order_search(given: frozenset[str]) -> Select[Any]:
    """Newest first; the keyset `(created_at, id) < (:before_at, :before_id)` is a row
    comparison, which walks the (created_at DESC, id DESC) index without an offset."""
    statement = (
        select(orders).order_by(orders.c.created_at.desc(), orders.c.id.desc()).limit(bindparam("limit"))
    )
    if "email" in given:
        statement = statement.join(customers, customers.c.id == orders.c.customer_id).where(
            customers.c.email == bindparam("email")
        )
    if "status" in given:
        statement = statement.where(orders.c.status == bindparam("status"))
    if "created_from" in given:
        statement = statement.where(orders.c.created_at >= bindparam("created_from", type_=_TIMESTAMP))
    if "created_to" in given:
        statement = statement.where(orders.c.created_at < bindparam("created_to", type_=_TIMESTAMP))
    if "event_id" in given:
        statement = statement.where(orders.c.event_id == bindparam("event_id"))
    if "before_at" in given:
        statement = statement.where(
            tuple_(orders.c.created_at, orders.c.id) < _keyset_cursor("before")
        )
    return statement


class PgOrderRepository(OrderRepository):
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def add(self, order: Order) -> None:
        """One round trip: the order row and every line (see `_INSERT_ORDER_WITH_LINES`)."""
        lines = [line_values(order.id, position, line) for position, line in enumerate(order.lines)]
        columns = {f"lines_{name}": [line[name] for line in lines] for name in _LINE_FIELDS}
        inserted = (await self._connection.execute(_INSERT_ORDER_WITH_LINES, order_values(order) | columns)).first()
        if inserted is None:
            raise AlreadyExists(f"order number {order.number} is taken")

    async def get(self, order_id: UUID, *, lock: bool = False) -> Order | None:
        statement = _LOCKED_ORDER_WITH_LINES if lock else _ORDER_WITH_LINES
        rows = (await self._connection.execute(statement, {"order_id": order_id})).all()
        if not rows:
            return None
        currency = rows[0].currency
        lines = [line_from_row(row, currency) for row in rows if row.line_position is not None]
        return order_from_row(rows[0], lines)

    async def save(self, order: Order) -> None:
        await self._connection.execute(_UPDATE_ORDER, order_changes(order))

    async def search(self, query: OrderQuery) -> list[Order]:
        """Two round trips: the page of orders, then the lines of all of them."""
        before_at, before_id = query.before or (None, None)
        params = _given(
            limit=query.limit,
            email=query.email,
            status=query.status.value if query.status else None,
            created_from=query.created_from,
            created_to=query.created_to,
            event_id=query.event_id,
            before_at=before_at,
            before_id=before_id,
        )
        rows = (await self._connection.execute(_order_search(frozenset(params)), params)).all()
        if not rows:
            return []
        lines = await self._lines_of({row.id: row.currency for row in rows})
        return [order_from_row(row, lines[row.id]) for row in rows]

    async def find_by_request_key(self, request_key: str) -> Order | None:
        order_id = (await self._connection.execute(_ORDER_BY_REQUEST_KEY, {"request_key": request_key})).scalar()
        return await self.get(order_id) if order_id is not None else None

    async def claim_expired(self, now: datetime, limit: int) -> list[Order]:
        rows = (await self._connection.execute(_CLAIM_EXPIRED_ORDERS, {"now": now, "limit": limit})).all()
        if not rows:
            return []
        lines = await self._lines_of({row.id: row.currency for row in rows})
        return [order_from_row(row, lines[row.id]) for row in rows]

    async def _lines_of(self, currencies: dict[UUID, str]) -> dict[UUID, list[OrderLine]]:
        lines: dict[UUID, list[OrderLine]] = {order_id: [] for order_id in currencies}
        result = await self._connection.execute(_LINES_OF_ORDERS, {"order_ids": list(currencies)})
        for row in result:
            lines[row.line_order_id].append(line_from_row(row, currencies[row.line_order_id]))
        return lines


# --- order numbers --------------------------------------------------------------------------

# The day's counter row is created by the first order of the day and incremented (and locked
# until commit) by every later one, so numbers are gap-free among committed orders.
_NEXT_ORDER_NUMBER = (
    pg_insert(order_number_counters)
    .values(last_value=literal_column("1"))
    .on_conflict_do_update(
        index_elements=[order_number_counters.c.day],
        set_={"last_value": order_number_counters.c.last_value + literal_column("1")},
    )
    .returning(order_number_counters.c.last_value)
)


class PgOrderNumberSequence(OrderNumberSequence):
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def next_for_day(self, day: date) -> int:
        return (await self._connection.execute(_NEXT_ORDER_NUMBER, {"day": day})).scalar_one()


# --- audit ----------------------------------------------------------------------------------

_INSERT_AUDIT_ENTRY = insert(audit_log)


@cache
def _audit_list(given: frozenset[str]) -> Select[Any]:
    statement = (
        select(audit_log).order_by(audit_log.c.occurred_at, audit_log.c.id).limit(bindparam("limit"))
    )
    if "entity_id" in given:
        statement = statement.where(audit_log.c.entity_id == bindparam("entity_id"))
    if "entity_type" in given:
        statement = statement.where(audit_log.c.entity_type == bindparam("entity_type"))
    if "action" in given:
        statement = statement.where(audit_log.c.action == bindparam("action"))
    if "after_at" in given:
        statement = statement.where(
            tuple_(audit_log.c.occurred_at, audit_log.c.id) > _keyset_cursor("after")
        )
    return statement


class PgAuditLog(AuditLog):
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def append(self, entry: AuditEntry) -> None:
        await self._connection.execute(_INSERT_AUDIT_ENTRY, audit_entry_values(entry))

    async def list(self, query: AuditQuery) -> list[AuditEntry]:
        after_at, after_id = query.after or (None, None)
        params = _given(
            limit=query.limit,
            entity_id=query.entity_id,
            entity_type=query.entity_type,
            action=query.action,
            after_at=after_at,
            after_id=after_id,
        )
        result = await self._connection.execute(_audit_list(frozenset(params)), params)
        return [audit_entry_from_row(row) for row in result]


# --- webhook inbox --------------------------------------------------------------------------

WEBHOOK_CHANNEL = "tessera_webhooks"
"""LISTEN/NOTIFY channel: a notification means "events are due", carrying nothing."""

_NOTIFY_WORKERS = select(func.pg_notify(WEBHOOK_CHANNEL, ""))
# One round trip: the insert, and the notification only when a row was inserted. A concurrent
# delivery of the same event waits on the unique index for the first transaction, then
# conflicts and returns nothing; the notification is delivered at commit (never before the
# row is visible), and several in one transaction are folded into one.
_INSERTED_EVENT = (
    pg_insert(webhook_events)
    .values({column.name: bindparam(column.name, type_=column.type) for column in webhook_events.c})
    .on_conflict_do_nothing(index_elements=[webhook_events.c.provider, webhook_events.c.provider_event_id])
    .returning(webhook_events.c.id)
    .cte("inserted")
)
_RECORD_EVENT = select(_INSERTED_EVENT.c.id, func.pg_notify(WEBHOOK_CHANNEL, "")).select_from(_INSERTED_EVENT)
_EVENT_BY_KEY = select(webhook_events).where(
    webhook_events.c.provider == bindparam("provider"),
    webhook_events.c.provider_event_id == bindparam("provider_event_id"),
)
_EVENT_BY_ID = select(webhook_events).where(webhook_events.c.id == bindparam("event_id"))
_LOCKED_EVENT_BY_ID = _EVENT_BY_ID.with_for_update()
# Only due events have a next_attempt_at (a check constraint), so this walks the
# (next_attempt_at, id) index from the oldest due and stops at the first one not yet due.
# SKIP LOCKED: rows another worker claimed are passed over instead of waited for.
_CLAIM_DUE = (
    select(webhook_events)
    .where(webhook_events.c.next_attempt_at <= bindparam("now", type_=_TIMESTAMP))
    .order_by(webhook_events.c.next_attempt_at, webhook_events.c.id)
    .limit(bindparam("limit"))
    .with_for_update(skip_locked=True)
)
_UPDATE_EVENT = update(webhook_events).where(webhook_events.c.id == bindparam("key_id"))


@cache
def _webhook_list(given: frozenset[str]) -> Select[Any]:
    statement = (
        select(webhook_events)
        .order_by(webhook_events.c.received_at.desc(), webhook_events.c.id.desc())
        .limit(bindparam("limit"))
    )
    for name in ("provider", "status", "type"):
        if name in given:
            statement = statement.where(webhook_events.c[name] == bindparam(name))
    if "before_at" in given:
        statement = statement.where(
            tuple_(webhook_events.c.received_at, webhook_events.c.id) < _keyset_cursor("before")
        )
    return statement


class PgWebhookInbox(WebhookInbox):
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def record(self, event: WebhookEvent) -> tuple[WebhookEvent, bool]:
        inserted = (await self._connection.execute(_RECORD_EVENT, webhook_event_values(event))).first()
        if inserted is not None:
            return event, False
        params = {"provider": event.provider, "provider_event_id": event.provider_event_id}
        row = (await self._connection.execute(_EVENT_BY_KEY, params)).one()
        return webhook_event_from_row(row), True

    async def claim_due(self, now: datetime, limit: int) -> list[WebhookEvent]:
        result = await self._connection.execute(_CLAIM_DUE, {"now": now, "limit": limit})
        return [webhook_event_from_row(row) for row in result]

    async def get(self, event_id: UUID, *, lock: bool = False) -> WebhookEvent | None:
        statement = _LOCKED_EVENT_BY_ID if lock else _EVENT_BY_ID
        row = (await self._connection.execute(statement, {"event_id": event_id})).first()
        return webhook_event_from_row(row) if row else None

    async def save(self, events: Sequence[WebhookEvent]) -> None:
        """One executemany, plus a notification when an event became due again (a replay)."""
        if not events:
            return
        await self._connection.execute(
            _UPDATE_EVENT, [{"key_id": e.id, **webhook_event_changes(e)} for e in events]
        )
        if any(e.status is WebhookStatus.RECEIVED for e in events):
            await self._connection.execute(_NOTIFY_WORKERS)

    async def list(self, query: WebhookQuery) -> list[WebhookEvent]:
        before_at, before_id = query.before or (None, None)
        params = _given(
            limit=query.limit,
            provider=query.provider,
            status=query.status.value if query.status else None,
            type=query.type,
            before_at=before_at,
            before_id=before_id,
        )
        result = await self._connection.execute(_webhook_list(frozenset(params)), params)
        return [webhook_event_from_row(row) for row in result]


def _given(**params: Any) -> dict[str, Any]:
    """The parameters that were given; their names pick the memoised statement that binds them."""
    return {name: value for name, value in params.items() if value is not None}
