"""Orders: what a customer buys, priced from the catalog, in one currency."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from uuid import UUID

from domain.catalog import Product
from domain.customers import clean_optional, normalise_email
from domain.errors import CurrencyMismatch, InvalidState, ValidationFailed
from domain.money import Money
from domain.payments import CAPTURED_STATUSES, ActionKind, Payment, PaymentStatus

MAX_LINES = 100
MAX_QUANTITY_PER_LINE = 1000
MAX_FAILED_PAYMENTS = 5
"""After this many failed payment attempts the order fails and gives its places back."""


class OrderStatus(enum.StrEnum):
    PENDING = "pending"
    PROCESSING = "processing"
    COMPLETED = "completed"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"
    CANCELLED = "cancelled"
    FAILED = "failed"


def format_order_number(prefix: str, day: date, sequence: int) -> str:
    """`{PREFIX}-{YYYYMMDD}-{NNNN}`: at least four digits, more once a day passes 9999."""
    return f"{prefix}-{day:%Y%m%d}-{sequence:04d}"


def validate_order_prefix(prefix: str) -> str:
    if not (prefix.isascii() and prefix.isalnum() and prefix.isupper() and 1 <= len(prefix) <= 10):
        raise ValidationFailed.on("order_prefix", "order prefix must be 1..10 upper-case letters or digits")
    return prefix


@dataclass(frozen=True)
class Attendee:
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None

    @classmethod
    def of(cls, first_name: str | None, last_name: str | None, email: str | None, field_name: str) -> "Attendee | None":
        """None when every field is blank: an attendee with no details is no attendee."""
        attendee = cls(
            first_name=clean_optional(first_name, f"{field_name}.first_name"),
            last_name=clean_optional(last_name, f"{field_name}.last_name"),
            email=normalise_email(email, f"{field_name}.email") if email and email.strip() else None,
        )
        return None if attendee == cls() else attendee


@dataclass(frozen=True)
class EventRef:
    id: str
    name: str | None = None
    date: date | None = None

    def __post_init__(self) -> None:
        if not self.id or len(self.id) > 100:
            raise ValidationFailed.on("event.id", "event id must be 1..100 characters")


@dataclass(frozen=True)
class LineRequest:
    """What the buyer asks for: a sku and a quantity. The price comes from the catalog."""

    sku: str
    quantity: int
    attendee: Attendee | None = None


@dataclass(frozen=True)
class OrderLine:
    product_id: UUID
    sku: str
    name: str
    kind: str
    quantity: int
    unit_price: Money
    attendee: Attendee | None = None

    @property
    def total(self) -> Money:
        return self.unit_price * self.quantity


@dataclass
class Order:
    id: UUID
    number: str
    customer_id: UUID
    currency: str
    lines: list[OrderLine]
    status: OrderStatus
    created_at: datetime
    updated_at: datetime
    expires_at: datetime
    event: EventRef | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    amount_paid: int = 0
    amount_refunded: int = 0
    request_key: str | None = None
    """The client's idempotency key for the request that placed it, if it gave one."""

    @classmethod
    def place(
        cls,
        *,
        id: UUID,
        number: str,
        customer_id: UUID,
        currency: str,
        requests: list[LineRequest],
        products: dict[str, Product],
        now: datetime,
        expires_at: datetime,
        event: EventRef | None = None,
        metadata: dict[str, str] | None = None,
        request_key: str | None = None,
    ) -> "Order":
        """Prices every line from the catalog and reserves capacity on each product.

        The caller passes the products it holds locks on; reservation mutates them.
        """
        lines = [
            _price_line(i, request, products.get(request.sku), currency, now)
            for i, request in enumerate(requests)
        ]
        return cls(
            id=id,
            number=number,
            customer_id=customer_id,
            currency=currency,
            lines=lines,
            status=OrderStatus.PENDING,
            created_at=now,
            updated_at=now,
            expires_at=expires_at,
            event=event,
            metadata=dict(metadata or {}),
            request_key=request_key,
        )

    @property
    def subtotal(self) -> Money:
        total = Money.zero(self.currency)
        for line in self.lines:
            total = total + line.total
        return total

    @property
    def total(self) -> Money:
        """No taxes or fees yet: the total is the subtotal."""
        return self.subtotal

    def quantities_by_sku(self) -> dict[str, int]:
        quantities: dict[str, int] = {}
        for line in self.lines:
            quantities[line.sku] = quantities.get(line.sku, 0) + line.quantity
        return quantities

    def cancel(self, now: datetime, payments: Sequence[Payment] = ()) -> OrderStatus:
        """Cancels an order nobody has paid yet; the caller releases its capacity and voids its
        authorizations. Returns the old status.

        An authorization does not stop it (it is voided), a capture does (refund it instead),
        and so does a capture whose outcome is not known yet.
        """
        if any(p.status in CAPTURED_STATUSES for p in payments):
            raise InvalidState(f"order {self.number} has a captured payment; refund it instead")
        if self.status not in (OrderStatus.PENDING, OrderStatus.PROCESSING):
            raise InvalidState(f"order {self.number} is {self.status}; only an unpaid order can be cancelled")
        if any(p.action is not None and p.action.kind is ActionKind.CAPTURE for p in payments):
            raise InvalidState(f"a payment of order {self.number} is being captured; try again shortly")
        previous = self.status
        self.status = OrderStatus.CANCELLED
        self.updated_at = now
        return previous

    def is_payable(self, now: datetime) -> bool:
        return self.status is OrderStatus.PENDING and self.expires_at > now

    def settle(self, payments: list[Payment], now: datetime) -> OrderStatus | None:
        """Derives status and amounts from all the order's payments (the only way they change
        after placement). Returns the previous status when the status changed.

        A cancelled order stays cancelled: its places are gone, and money that arrives for it
        late is given back (see the payment event handlers), not turned into a sale.
        """
        self.amount_paid = sum(p.amount_captured for p in payments)
        self.amount_refunded = sum(p.amount_refunded for p in payments)
        status = _derived_status(self.amount_paid, self.amount_refunded, payments)
        if self.status is OrderStatus.CANCELLED:
            status = OrderStatus.CANCELLED
        self.updated_at = now
        if status is self.status:
            return None
        previous, self.status = self.status, status
        return previous

    def releases_capacity(self, previous: OrderStatus) -> bool:
        """Whether moving from `previous` to the current status gives the places back."""
        return self.status in RELEASED_STATUSES and previous not in RELEASED_STATUSES


def _derived_status(paid: int, refunded: int, payments: list[Payment]) -> OrderStatus:
    if paid > 0:
        if refunded >= paid:
            return OrderStatus.REFUNDED
        return OrderStatus.PARTIALLY_REFUNDED if refunded > 0 else OrderStatus.COMPLETED
    if any(
        p.status is PaymentStatus.AUTHORIZED or (p.action is not None and p.action.kind is ActionKind.CAPTURE)
        for p in payments
    ):
        return OrderStatus.PROCESSING
    if sum(p.status is PaymentStatus.FAILED for p in payments) >= MAX_FAILED_PAYMENTS:
        return OrderStatus.FAILED
    return OrderStatus.PENDING


RELEASED_STATUSES = frozenset({OrderStatus.CANCELLED, OrderStatus.FAILED, OrderStatus.REFUNDED})
"""An order in one of these holds no capacity."""


def validate_line_requests(requests: list[LineRequest]) -> None:
    if not requests:
        raise ValidationFailed.on("items", "an order needs at least one item")
    if len(requests) > MAX_LINES:
        raise ValidationFailed.on("items", f"at most {MAX_LINES} items per order")
    for i, request in enumerate(requests):
        if request.quantity < 1:
            raise ValidationFailed.on(f"items[{i}].quantity", "quantity must be at least 1")
        if request.quantity > MAX_QUANTITY_PER_LINE:
            raise ValidationFailed.on(f"items[{i}].quantity", f"quantity must be at most {MAX_QUANTITY_PER_LINE}")


def _price_line(index: int, request: LineRequest, product: Product | None, currency: str, now: datetime) -> OrderLine:
    if product is None:
        raise ValidationFailed.on(f"items[{index}].sku", f"unknown sku '{request.sku}'")
    if not product.active:
        raise ValidationFailed.on(f"items[{index}].sku", f"product '{request.sku}' is not on sale")
    if product.unit_price.currency != currency:
        raise CurrencyMismatch(
            f"product '{product.sku}' is priced in {product.unit_price.currency}, the order is in {currency}"
        )
    product.reserve(request.quantity, now)
    return OrderLine(
        product_id=product.id,
        sku=product.sku,
        name=product.name,
        kind=product.kind,
        quantity=request.quantity,
        unit_price=product.unit_price,
        attendee=request.attendee,
    )
