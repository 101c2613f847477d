"""In-memory repositories over an InMemoryStore, writing through a Journal."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date, datetime
from typing import Generic, TypeVar
from uuid import UUID

from adapters.memory.store import InMemoryStore, Journal, detached
from application.errors import AlreadyExists
from application.ports import (
    ApiKeyRepository,
    AuditLog,
    AuditQuery,
    CustomerRepository,
    IdempotencyRepository,
    OrderNumberSequence,
    OrderQuery,
    OrderRepository,
    PaymentRepository,
    ProductQuery,
    ProductRepository,
    RefundRepository,
    WebhookInbox,
    WebhookQuery,
)
from domain.api_keys import ApiKey
from domain.audit import AuditEntry
from domain.catalog import Product
from domain.customers import Customer
from domain.idempotency import IdempotencyRecord
from domain.orders import Order, OrderStatus
from domain.payments import Payment, PaymentStatus, Refund, RefundStatus
from domain.webhooks import WebhookEvent, WebhookStatus


class InMemoryProductRepository(ProductRepository):
    def __init__(self, store: InMemoryStore, journal: Journal) -> None:
        self._store = store
        self._journal = journal

    async def add(self, product: Product) -> None:
        if product.sku in self._store.products:
            raise AlreadyExists(f"a product with sku '{product.sku}' already exists")
        self._journal.put(self._store.products, product.sku, detached(product))

    async def get_by_sku(self, sku: str) -> Product | None:
        product = self._store.products.get(sku)
        return detached(product) if product else None

    async def lock_by_skus(self, skus: Sequence[str]) -> dict[str, Product]:
        return {sku: detached(self._store.products[sku]) for sku in sorted(set(skus)) if sku in self._store.products}

    async def save(self, products: Sequence[Product]) -> None:
        for product in products:
            self._journal.put(self._store.products, product.sku, detached(product))

    async def list(self, query: ProductQuery) -> list[Product]:
        rows = sorted(self._store.products.values(), key=lambda p: p.sku)
        rows = [
            p
            for p in rows
            if (query.after_sku is None or p.sku > query.after_sku)
            and (query.active is None or p.active == query.active)
        ]
        return [detached(p) for p in rows[: query.limit]]


class InMemoryCustomerRepository(CustomerRepository):
    def __init__(self, store: InMemoryStore, journal: Journal) -> None:
        self._store = store
        self._journal = journal

    async def upsert_by_email(self, customer: Customer) -> Customer:
        existing_id = self._store.customer_ids_by_email.get(customer.email)
        if existing_id is None:
            self._journal.put(self._store.customers, customer.id, detached(customer))
            self._journal.put(self._store.customer_ids_by_email, customer.email, customer.id)
            return detached(customer)
        existing = self._store.customers[existing_id]
        merged = replace(
            existing,
            first_name=customer.first_name or existing.first_name,
            last_name=customer.last_name or existing.last_name,
            phone=customer.phone or existing.phone,
            updated_at=customer.updated_at,
        )
        self._journal.put(self._store.customers, existing_id, merged)
        return detached(merged)

    async def get_many(self, ids: Sequence[UUID]) -> dict[UUID, Customer]:
        return {i: detached(self._store.customers[i]) for i in ids if i in self._store.customers}


class InMemoryOrderRepository(OrderRepository):
    def __init__(self, store: InMemoryStore, journal: Journal) -> None:
        self._store = store
        self._journal = journal

    async def add(self, order: Order) -> None:
        if any(o.number == order.number for o in self._store.orders.values()):
            raise AlreadyExists(f"order number {order.number} is taken")
        self._journal.put(self._store.orders, order.id, detached(order))

    async def get(self, order_id: UUID, *, lock: bool = False) -> Order | None:
        order = self._store.orders.get(order_id)
        return detached(order) if order else None

    async def save(self, order: Order) -> None:
        self._journal.put(self._store.orders, order.id, detached(order))

    async def search(self, query: OrderQuery) -> list[Order]:
        customer_id = self._store.customer_ids_by_email.get(query.email) if query.email else None
        if query.email and customer_id is None:
            return []
        matches = [
            o
            for o in self._store.orders.values()
            if (customer_id is None or o.customer_id == customer_id)
            and (query.status is None or o.status == query.status)
            and (query.created_from is None or o.created_at >= query.created_from)
            and (query.created_to is None or o.created_at < query.created_to)
            and (query.event_id is None or (o.event is not None and o.event.id == query.event_id))
            and (query.before is None or (o.created_at, o.id) < query.before)
        ]
        matches.sort(key=lambda o: (o.created_at, o.id), reverse=True)
        return [detached(o) for o in matches[: query.limit]]

    async def find_by_request_key(self, request_key: str) -> Order | None:
        found = next((o for o in self._store.orders.values() if o.request_key == request_key), None)
        return detached(found) if found else None

    async def claim_expired(self, now: datetime, limit: int) -> list[Order]:
        expired = sorted(
            (o for o in self._store.orders.values() if o.status is OrderStatus.PENDING and o.expires_at <= now),
            key=lambda o: (o.expires_at, o.id),
        )
        return [detached(o) for o in expired[:limit]]


E = TypeVar("E", Payment, Refund)


class _ProviderRecords(Generic[E]):
    """What payments and refunds share: found by id, by the provider's id and by order, and
    claimed once the lease of their unfinished provider call has ended. The unit of work's
    lock stands in for row locks, so `lock` needs nothing here and no claim meets a held one."""

    def __init__(
        self,
        table: dict[UUID, E],
        journal: Journal,
        provider_id: Callable[[E], str | None],
        unfinished_lease: Callable[[E], datetime | None],
    ) -> None:
        self._table = table
        self._journal = journal
        self._provider_id = provider_id
        self._unfinished_lease = unfinished_lease

    def put(self, entity: E) -> None:
        self._journal.put(self._table, entity.id, detached(entity))

    def get(self, entity_id: UUID) -> E | None:
        entity = self._table.get(entity_id)
        return detached(entity) if entity else None

    def get_by_provider_id(self, provider: str, provider_id: str) -> E | None:
        found = next(
            (e for e in self._table.values() if e.provider == provider and self._provider_id(e) == provider_id), None
        )
        return detached(found) if found else None

    def list_for_order(self, order_id: UUID) -> list[E]:
        matches = sorted((e for e in self._table.values() if e.order_id == order_id), key=lambda e: (e.created_at, e.id))
        return [detached(e) for e in matches]

    def claim_abandoned(self, now: datetime, limit: int) -> list[E]:
        abandoned = sorted(
            (lease, e.id)
            for e in self._table.values()
            if (lease := self._unfinished_lease(e)) is not None and lease <= now
        )
        return [detached(self._table[entity_id]) for _, entity_id in abandoned[:limit]]


def _action_lease(payment: Payment) -> datetime | None:
    return payment.action.lease_until if payment.action else None


def _pending_lease(refund: Refund) -> datetime | None:
    """A refund that ended keeps no call in flight, whatever its lease says."""
    return refund.lease_until if refund.status is RefundStatus.PENDING else None


_OPEN_STATUSES = (PaymentStatus.PENDING, PaymentStatus.AUTHORIZED)


class InMemoryPaymentRepository(PaymentRepository):
    def __init__(self, store: InMemoryStore, journal: Journal) -> None:
        self._store = store
        self._records = _ProviderRecords(store.payments, journal, lambda p: p.provider_payment_id, _action_lease)

    async def add(self, payment: Payment) -> None:
        self._records.put(payment)

    async def get(self, payment_id: UUID, *, lock: bool = False) -> Payment | None:
        return self._records.get(payment_id)

    async def get_by_provider_id(self, provider: str, provider_payment_id: str, *, lock: bool = False) -> Payment | None:
        return self._records.get_by_provider_id(provider, provider_payment_id)

    async def list_for_order(self, order_id: UUID) -> list[Payment]:
        return self._records.list_for_order(order_id)

    async def save(self, payment: Payment) -> None:
        self._records.put(payment)

    async def list_open(self, provider: str, limit: int, after: tuple[datetime, UUID] | None = None) -> list[Payment]:
        open_payments = sorted(
            (
                p for p in self._store.payments.values()
                if p.provider == provider and p.status in _OPEN_STATUSES and p.provider_payment_id is not None
                and (after is None or (p.created_at, p.id) > after)
            ),
            key=lambda p: (p.created_at, p.id),
        )
        return [detached(p) for p in open_payments[:limit]]

    async def claim_abandoned(self, now: datetime, limit: int) -> list[Payment]:
        return self._records.claim_abandoned(now, limit)


class InMemoryRefundRepository(RefundRepository):
    def __init__(self, store: InMemoryStore, journal: Journal) -> None:
        self._store = store
        self._records = _ProviderRecords(store.refunds, journal, lambda r: r.provider_refund_id, _pending_lease)

    async def find_by_request_key(self, payment_id: UUID, request_key: str) -> Refund | None:
        found = next(
            (r for r in self._store.refunds.values() if r.payment_id == payment_id and r.request_key == request_key),
            None,
        )
        return detached(found) if found else None

    async def add(self, refund: Refund) -> None:
        self._records.put(refund)

    async def get(self, refund_id: UUID, *, lock: bool = False) -> Refund | None:
        return self._records.get(refund_id)

    async def get_by_provider_id(self, provider: str, provider_refund_id: str, *, lock: bool = False) -> Refund | None:
        return self._records.get_by_provider_id(provider, provider_refund_id)

    async def list_for_order(self, order_id: UUID) -> list[Refund]:
        return self._records.list_for_order(order_id)

    async def save(self, refund: Refund) -> None:
        self._records.put(refund)

    async def claim_abandoned(self, now: datetime, limit: int) -> list[Refund]:
        return self._records.claim_abandoned(now, limit)


class InMemoryOrderNumberSequence(OrderNumberSequence):
    def __init__(self, store: InMemoryStore, journal: Journal) -> None:
        self._store = store
        self._journal = journal

    async def next_for_day(self, day: date) -> int:
        value = self._store.order_counters.get(day, 0) + 1
        self._journal.put(self._store.order_counters, day, value)
        return value


class InMemoryAuditLog(AuditLog):
    def __init__(self, store: InMemoryStore, journal: Journal) -> None:
        self._store = store
        self._journal = journal

    async def append(self, entry: AuditEntry) -> None:
        self._journal.append(self._store.audit, entry)

    async def list(self, query: AuditQuery) -> list[AuditEntry]:
        matches = [
            e
            for e in self._store.audit
            if (query.entity_id is None or e.entity_id == query.entity_id)
            and (query.entity_type is None or e.entity_type == query.entity_type)
            and (query.action is None or e.action == query.action)
            and (query.after is None or (e.occurred_at, e.id) > query.after)
        ]
        matches.sort(key=lambda e: (e.occurred_at, e.id))
        return matches[: query.limit]


class InMemoryWebhookInbox(WebhookInbox):
    """The unit of work's lock stands in for row locks: no other unit of work can claim meanwhile."""

    def __init__(self, store: InMemoryStore, journal: Journal) -> None:
        self._store = store
        self._journal = journal

    async def record(self, event: WebhookEvent) -> tuple[WebhookEvent, bool]:
        key = (event.provider, event.provider_event_id)
        if (existing := self._store.webhook_ids_by_key.get(key)) is not None:
            return detached(self._store.webhook_events[existing]), True
        self._journal.put(self._store.webhook_events, event.id, detached(event))
        self._journal.put(self._store.webhook_ids_by_key, key, event.id)
        self._store.webhooks_due.set()
        return detached(event), False

    async def claim_due(self, now: datetime, limit: int) -> list[WebhookEvent]:
        due = [e for e in self._store.webhook_events.values() if e.is_due(now)]
        due.sort(key=lambda e: (e.next_attempt_at, e.id))
        return [detached(e) for e in due[:limit]]

    async def get(self, event_id: UUID, *, lock: bool = False) -> WebhookEvent | None:
        event = self._store.webhook_events.get(event_id)
        return detached(event) if event else None

    async def save(self, events: Sequence[WebhookEvent]) -> None:
        for event in events:
            self._journal.put(self._store.webhook_events, event.id, detached(event))
            if event.status is WebhookStatus.RECEIVED:
                self._store.webhooks_due.set()

    async def list(self, query: WebhookQuery) -> list[WebhookEvent]:
        matches = [
            e
            for e in self._store.webhook_events.values()
            if (query.provider is None or e.provider == query.provider)
            and (query.status is None or e.status == query.status)
            and (query.type is None or e.type == query.type)
            and (query.before is None or (e.received_at, e.id) < query.before)
        ]
        matches.sort(key=lambda e: (e.received_at, e.id), reverse=True)
        return [detached(e) for e in matches[: query.limit]]


class InMemoryApiKeyRepository(ApiKeyRepository):
    def __init__(self, store: InMemoryStore, journal: Journal) -> None:
        self._store = store
        self._journal = journal

    async def add(self, key: ApiKey) -> None:
        if key.id in self._store.api_keys or await self.find_by_secret_hash(key.secret_hash):
            raise AlreadyExists(f"API key {key.id} already exists")
        self._journal.put(self._store.api_keys, key.id, detached(key))

    async def get(self, key_id: UUID, *, lock: bool = False) -> ApiKey | None:
        key = self._store.api_keys.get(key_id)
        return detached(key) if key else None

    async def find_by_secret_hash(self, secret_hash: bytes) -> ApiKey | None:
        key = next((k for k in self._store.api_keys.values() if k.secret_hash == secret_hash), None)
        return detached(key) if key else None

    async def save(self, key: ApiKey) -> None:
        self._journal.put(self._store.api_keys, key.id, detached(key))

    async def list(self) -> list[ApiKey]:
        return [detached(k) for k in sorted(self._store.api_keys.values(), key=lambda k: (k.created_at, k.id))]


class InMemoryIdempotencyRepository(IdempotencyRepository):
    def __init__(self, store: InMemoryStore, journal: Journal) -> None:
        self._store = store
        self._journal = journal

    async def claim(self, record: IdempotencyRecord) -> tuple[IdempotencyRecord, bool]:
        stored = self._store.idempotency.get((record.api_key_id, record.key))
        if stored is not None:
            return detached(stored), False
        await self.save(record)
        return detached(record), True

    async def save(self, record: IdempotencyRecord) -> None:
        self._journal.put(self._store.idempotency, (record.api_key_id, record.key), detached(record))

    async def delete(self, api_key_id: UUID, key: str) -> None:
        self._journal.remove(self._store.idempotency, (api_key_id, key))

    async def purge(self, created_before: datetime) -> int:
        expired = [k for k, r in self._store.idempotency.items() if r.created_at < created_before]
        for key in expired:
            await self.delete(*key)
        return len(expired)
