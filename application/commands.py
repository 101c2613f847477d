"""Commands and queries: what callers ask of the use cases. Plain, frozen, transport-free."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from uuid import UUID


@dataclass(frozen=True)
class AddProduct:
    sku: str
    name: str
    kind: str
    unit_amount: int
    currency: str
    actor: str
    capacity: int | None = None
    active: bool = True
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class UpdateProduct:
    sku: str
    actor: str
    name: str | None = None
    unit_amount: int | None = None
    capacity: int | None = None
    clear_capacity: bool = False
    active: bool | None = None


@dataclass(frozen=True)
class ListProducts:
    limit: int = 20
    cursor: str | None = None
    active: bool | None = None


@dataclass(frozen=True)
class CustomerDetails:
    email: str
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class AttendeeDetails:
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class OrderItem:
    sku: str
    quantity: int
    attendee: AttendeeDetails | None = None


@dataclass(frozen=True)
class EventDetails:
    id: str
    name: str | None = None
    date: date | None = None


@dataclass(frozen=True)
class PlaceOrder:
    customer: CustomerDetails
    currency: str
    items: tuple[OrderItem, ...]
    actor: str
    event: EventDetails | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    request_key: str | None = None
    """The client's idempotency key, scoped to its API key."""


@dataclass(frozen=True)
class CancelOrder:
    order_id: UUID
    actor: str


@dataclass(frozen=True)
class SearchOrders:
    limit: int = 20
    cursor: str | None = None
    email: str | None = None
    status: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    event_id: str | None = None


@dataclass(frozen=True)
class RecordWebhook:
    provider: str
    body: bytes
    headers: dict[str, str]


@dataclass(frozen=True)
class ReplayWebhook:
    event_id: UUID
    actor: str


@dataclass(frozen=True)
class ListWebhookEvents:
    limit: int = 20
    cursor: str | None = None
    provider: str | None = None
    status: str | None = None
    type: str | None = None


@dataclass(frozen=True)
class CreateApiKey:
    name: str
    scope: str
    actor: str


@dataclass(frozen=True)
class RevokeApiKey:
    key_id: UUID
    actor: str


@dataclass(frozen=True)
class StartCheckout:
    order_id: UUID
    provider: str
    actor: str
    capture_method: str = "automatic"
    return_url: str | None = None
    cancel_url: str | None = None


@dataclass(frozen=True)
class CapturePayment:
    payment_id: UUID
    actor: str
    amount: int | None = None


@dataclass(frozen=True)
class CancelPayment:
    payment_id: UUID
    actor: str


@dataclass(frozen=True)
class RefundPayment:
    payment_id: UUID
    actor: str
    amount: int | None = None
    reason: str | None = None
    request_key: str | None = None
    """The client's idempotency key, scoped to its API key."""


@dataclass(frozen=True)
class ListAuditEntries:
    limit: int = 20
    cursor: str | None = None
    entity_id: UUID | None = None
    entity_type: str | None = None
    action: str | None = None
