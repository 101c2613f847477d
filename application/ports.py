"""Ports: what the application needs from the outside world. Adapters subclass these."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import date, datetime
from types import TracebackType
from typing import Protocol, Self
from uuid import UUID

from domain.api_keys import ApiKey
from domain.audit import AuditEntry
from domain.catalog import Product
from domain.customers import Customer
from domain.idempotency import IdempotencyRecord
from domain.money import Money
from domain.orders import Order, OrderStatus
from domain.payments import CaptureMethod, Payment, PaymentStatus, Refund, RefundStatus
from domain.webhooks import WebhookEvent, WebhookStatus


class Clock(Protocol):
    @abstractmethod
    def now(self) -> datetime:
        """Current time, UTC, timezone-aware."""


class IdGenerator(Protocol):
    @abstractmethod
    def new_id(self) -> UUID:
        """A new unique id; time-ordered where the store benefits."""


@dataclass(frozen=True)
class ProductQuery:
    limit: int
    after_sku: str | None = None
    active: bool | None = None


class ProductRepository(Protocol):
    @abstractmethod
    async def add(self, product: Product) -> None:
        """Raises AlreadyExists when the sku is taken (also under a concurrent insert)."""

    @abstractmethod
    async def get_by_sku(self, sku: str) -> Product | None: ...

    @abstractmethod
    async def lock_by_skus(self, skus: Sequence[str]) -> dict[str, Product]:
        """Loads and locks the products until the unit of work ends; unknown skus are absent.

        Locks are taken in sku order so concurrent orders cannot deadlock.
        """

    @abstractmethod
    async def save(self, products: Sequence[Product]) -> None:
        """Persists changes to existing products (name, price, capacity, active, sold)."""

    @abstractmethod
    async def list(self, query: ProductQuery) -> list[Product]:
        """Products ordered by sku, after `after_sku`, at most `limit`."""


class CustomerRepository(Protocol):
    @abstractmethod
    async def upsert_by_email(self, customer: Customer) -> Customer:
        """Returns the stored customer with this e-mail, created from `customer` if new.

        Names and phone given now replace the stored ones; absent ones are kept.
        """

    @abstractmethod
    async def get_many(self, ids: Sequence[UUID]) -> dict[UUID, Customer]: ...


@dataclass(frozen=True)
class OrderQuery:
    limit: int
    email: str | None = None
    status: OrderStatus | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    event_id: str | None = None
    before: tuple[datetime, UUID] | None = None
    """Keyset cursor: only orders strictly older than (created_at, id)."""


class OrderRepository(Protocol):
    @abstractmethod
    async def add(self, order: Order) -> None:
        """Raises AlreadyExists when the order number is taken."""

    @abstractmethod
    async def get(self, order_id: UUID, *, lock: bool = False) -> Order | None:
        """With `lock`, the order row stays locked until the unit of work ends."""

    @abstractmethod
    async def save(self, order: Order) -> None:
        """Persists status and amounts of an existing order; lines never change after placement."""

    @abstractmethod
    async def search(self, query: OrderQuery) -> list[Order]:
        """Newest first by (created_at, id); `created_to` is exclusive."""

    @abstractmethod
    async def find_by_request_key(self, request_key: str) -> Order | None:
        """The order placed by the request with this idempotency key, if any."""

    @abstractmethod
    async def claim_expired(self, now: datetime, limit: int) -> list[Order]:
        """Pending orders whose expiry is at or before `now`, soonest first, locked until the
        unit of work ends, skipping those another unit of work holds."""


class PaymentRepository(Protocol):
    @abstractmethod
    async def add(self, payment: Payment) -> None: ...

    @abstractmethod
    async def get(self, payment_id: UUID, *, lock: bool = False) -> Payment | None:
        """With `lock`, the payment row stays locked until the unit of work ends."""

    @abstractmethod
    async def get_by_provider_id(self, provider: str, provider_payment_id: str, *, lock: bool = False) -> Payment | None: ...

    @abstractmethod
    async def list_for_order(self, order_id: UUID) -> list[Payment]:
        """Oldest first by (created_at, id)."""

    @abstractmethod
    async def save(self, payment: Payment) -> None:
        """Persists everything but the ids, order, provider, currency and creation time."""

    @abstractmethod
    async def list_open(self, provider: str, limit: int, after: tuple[datetime, UUID] | None = None) -> list[Payment]:
        """The provider's payments created there and still pending or authorized, oldest first
        by (created_at, id), strictly after `after`: what reconciliation asks the provider about."""

    @abstractmethod
    async def claim_abandoned(self, now: datetime, limit: int) -> list[Payment]:
        """Payments whose action's lease ended at or before `now`, oldest lease first, locked
        until the unit of work ends, skipping those another unit of work holds."""


class RefundRepository(Protocol):
    @abstractmethod
    async def add(self, refund: Refund) -> None: ...

    @abstractmethod
    async def get(self, refund_id: UUID, *, lock: bool = False) -> Refund | None: ...

    @abstractmethod
    async def get_by_provider_id(self, provider: str, provider_refund_id: str, *, lock: bool = False) -> Refund | None: ...

    @abstractmethod
    async def find_by_request_key(self, payment_id: UUID, request_key: str) -> Refund | None:
        """The payment's refund asked for with this idempotency key, if any."""

    @abstractmethod
    async def list_for_order(self, order_id: UUID) -> list[Refund]:
        """Oldest first by (created_at, id)."""

    @abstractmethod
    async def save(self, refund: Refund) -> None:
        """Persists status, provider refund id, failure reason, lease and update time."""

    @abstractmethod
    async def claim_abandoned(self, now: datetime, limit: int) -> list[Refund]:
        """Pending refunds whose lease ended at or before `now`, oldest lease first, locked
        until the unit of work ends, skipping those another unit of work holds."""


class OrderNumberSequence(Protocol):
    @abstractmethod
    async def next_for_day(self, day: date) -> int:
        """1, 2, 3... per day, gap-free among committed orders."""


@dataclass(frozen=True)
class AuditQuery:
    limit: int
    entity_id: UUID | None = None
    entity_type: str | None = None
    action: str | None = None
    after: tuple[datetime, UUID] | None = None


class AuditLog(Protocol):
    @abstractmethod
    async def append(self, entry: AuditEntry) -> None:
        """Entries are never updated or deleted."""

    @abstractmethod
    async def list(self, query: AuditQuery) -> list[AuditEntry]:
        """Oldest first by (occurred_at, id)."""


@dataclass(frozen=True)
class WebhookQuery:
    limit: int
    provider: str | None = None
    status: WebhookStatus | None = None
    type: str | None = None
    before: tuple[datetime, UUID] | None = None
    """Keyset cursor: only events received strictly before (received_at, id)."""


class WebhookInbox(Protocol):
    """Provider events, unique per (provider, provider_event_id).

    A newly recorded event, or one saved as `received` again (a replay), wakes waiting
    workers once the unit of work commits.
    """

    @abstractmethod
    async def record(self, event: WebhookEvent) -> tuple[WebhookEvent, bool]:
        """Stores the event unless its (provider, provider_event_id) is known; returns the stored
        event and whether it was a duplicate. A concurrent delivery of the same event waits for
        the first and then counts as a duplicate; neither fails."""

    @abstractmethod
    async def claim_due(self, now: datetime, limit: int) -> list[WebhookEvent]:
        """Due events (received or failed, next attempt at or before `now`), oldest due first,
        locked until the unit of work ends. Events another unit of work holds are skipped, so
        concurrent workers never claim the same event."""

    @abstractmethod
    async def get(self, event_id: UUID, *, lock: bool = False) -> WebhookEvent | None: ...

    @abstractmethod
    async def save(self, events: Sequence[WebhookEvent]) -> None:
        """Persists the processing state (status, attempts, last error, next attempt, processed at)."""

    @abstractmethod
    async def list(self, query: WebhookQuery) -> list[WebhookEvent]:
        """Newest first by (received_at, id)."""


class ApiKeyRepository(Protocol):
    @abstractmethod
    async def add(self, key: ApiKey) -> None: ...

    @abstractmethod
    async def get(self, key_id: UUID, *, lock: bool = False) -> ApiKey | None:
        """With `lock`, the key's row stays locked until the unit of work ends."""

    @abstractmethod
    async def find_by_secret_hash(self, secret_hash: bytes) -> ApiKey | None:
        """The key whose secret hashes to `secret_hash`, revoked or not (hashes are unique)."""

    @abstractmethod
    async def save(self, key: ApiKey) -> None:
        """Persists the revocation; name, scope and secret never change."""

    @abstractmethod
    async def list(self) -> list[ApiKey]:
        """Every key, revoked ones too, oldest first by (created_at, id). Keys are few."""


class IdempotencyRepository(Protocol):
    """Idempotency records, unique per (api_key_id, key)."""

    @abstractmethod
    async def claim(self, record: IdempotencyRecord) -> tuple[IdempotencyRecord, bool]:
        """Stores `record` unless its (api_key_id, key) is known; returns the stored record,
        locked until the unit of work ends, and whether it was stored now. A concurrent claim
        of the same key waits for the first unit of work and then finds its record."""

    @abstractmethod
    async def save(self, record: IdempotencyRecord) -> None:
        """Persists fingerprint, times and response of a claimed record."""

    @abstractmethod
    async def delete(self, api_key_id: UUID, key: str) -> None: ...

    @abstractmethod
    async def purge(self, created_before: datetime) -> int:
        """Deletes records created before the moment; returns how many."""


class UnitOfWork(Protocol):
    """One transaction. Leaving the block without `commit()` rolls everything back."""

    products: ProductRepository
    customers: CustomerRepository
    orders: OrderRepository
    payments: PaymentRepository
    refunds: RefundRepository
    order_numbers: OrderNumberSequence
    audit: AuditLog
    webhooks: WebhookInbox
    api_keys: ApiKeyRepository
    idempotency: IdempotencyRepository

    @abstractmethod
    async def __aenter__(self) -> Self: ...

    @abstractmethod
    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    @abstractmethod
    async def commit(self) -> None: ...

    @abstractmethod
    def savepoint(self) -> AbstractAsyncContextManager[None]:
        """A nested block: an exception leaving it undoes its writes only, then propagates;
        the unit of work stays usable."""


class UnitOfWorkFactory(Protocol):
    @abstractmethod
    def __call__(self) -> UnitOfWork: ...


class WorkSignal(Protocol):
    """Wakes an idle worker as soon as work may be due. Only a hint: the worker polls anyway,
    so a lost signal delays work but never loses it. Open it with `async with`."""

    @abstractmethod
    async def __aenter__(self) -> Self: ...

    @abstractmethod
    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    @abstractmethod
    async def wait(self) -> None:
        """Returns once work may have become due since the last return (spurious returns are fine)."""


class HealthProbe(Protocol):
    @abstractmethod
    async def check(self) -> dict[str, str]:
        """Named checks, each 'ok' or a short reason it failed."""


@dataclass(frozen=True)
class VerifiedEvent:
    """What a provider's signed delivery says about itself."""

    provider_event_id: str
    type: str
    headers: dict[str, str]
    """The headers worth keeping with the event (ids, timestamps, signatures)."""


class WebhookVerifier(Protocol):
    """Authenticates one provider's deliveries."""

    @abstractmethod
    def verify(self, body: bytes, headers: Mapping[str, str]) -> VerifiedEvent:
        """Checks the signature over the raw body bytes and the timestamp's freshness.
        Raises InvalidSignature when either fails or a signing header is missing."""


class WebhookHandler(Protocol):
    """Applies one type of provider event. Must be idempotent and order-tolerant: it may see
    an event again (replay, retry after a crash) or after a later one."""

    @abstractmethod
    async def __call__(self, event: WebhookEvent, uow: UnitOfWork) -> None:
        """Writes through `uow` only; they commit together with the event's new status."""


@dataclass(frozen=True)
class PaymentRequest:
    """What a provider needs to create a payment for an order."""

    payment_id: UUID
    order_id: UUID
    order_number: str
    amount: Money
    capture_method: CaptureMethod
    expires_at: datetime
    idempotency_key: str
    return_url: str | None = None
    cancel_url: str | None = None


@dataclass(frozen=True)
class ProviderPayment:
    """A payment as the provider sees it."""

    provider_payment_id: str
    status: PaymentStatus
    amount_authorized: int = 0
    amount_captured: int = 0
    client_secret: str | None = None
    approval_url: str | None = None
    failure_reason: str | None = None


@dataclass(frozen=True)
class ProviderRefund:
    provider_refund_id: str
    status: RefundStatus
    """`pending` when the outcome follows by event."""
    failure_reason: str | None = None


class PaymentGateway(Protocol):
    """One payment provider. Every call that moves money carries an idempotency key derived
    from Tessera's ids: the provider applies a key once and replays its answer afterwards.

    Raises ProviderError when the provider refused for certain (nothing moved) and
    ProviderOutcomeUnknown when the call broke off (a timeout, a 5xx): then re-run it with the
    same key.
    """

    @abstractmethod
    async def create_payment(self, request: PaymentRequest) -> ProviderPayment:
        """Returns the provider's id and what the buyer needs (a client secret or an approval URL)."""

    @abstractmethod
    async def capture(self, provider_payment_id: str, amount: Money, idempotency_key: str) -> ProviderPayment: ...

    @abstractmethod
    async def cancel(self, provider_payment_id: str, idempotency_key: str) -> ProviderPayment: ...

    @abstractmethod
    async def refund(
        self, provider_payment_id: str, amount: Money, idempotency_key: str, reason: str | None
    ) -> ProviderRefund: ...

    @abstractmethod
    async def fetch(self, provider_payment_id: str) -> ProviderPayment:
        """The payment's current state at the provider (reconciliation)."""


@dataclass(frozen=True)
class PaymentEventFacts:
    """What a provider's payment or refund event says, whatever the provider's format."""

    provider_payment_id: str
    amount: int
    provider_refund_id: str | None = None
    reason: str | None = None


class PaymentEventReader(Protocol):
    """Reads one provider's event bodies."""

    @abstractmethod
    def read(self, payload: bytes) -> PaymentEventFacts:
        """Raises ValueError when the body is not a payment or refund event of this provider."""
