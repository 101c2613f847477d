"""Wire formats: what clients send (`...In`) and receive (`...Out`), and their mapping to the core.

Shapes follow API.md exactly. Rules live in the domain; these Structs only fix the types,
so a JSON document of the wrong shape is refused before any use case runs.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated, Any, TypeVar
from urllib.parse import urlsplit
from uuid import UUID

import msgspec
from litestar.params import QueryParameter
from msgspec import UNSET, Meta, Struct, UnsetType, field

from application import commands
from application.views import OrderDetails, Page
from domain.catalog import Product
from domain.customers import Customer
from domain.errors import FieldError
from domain.orders import Attendee, EventRef, Order, OrderLine
from domain.payments import Payment, Refund

T = TypeVar("T")

Limit = Annotated[int, QueryParameter(ge=1, le=100, description="Page size.")]
Cursor = Annotated[str | None, QueryParameter(description="`next_cursor` of the previous page.")]
# Rendered by `timestamp()`; documented as date-time (Litestar reads `extra` into the schema).
Timestamp = Annotated[str, Meta(extra_json_schema={"extra": {"format": "date-time"}})]


class WireError(Exception):
    """Input refused before any use case ran: not JSON, or not the expected document."""

    def __init__(self, code: str, detail: str, errors: tuple[FieldError, ...] = ()) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.errors = errors


def decode_json(raw: bytes, into: type[T]) -> T:
    """Strict decoding: JSON types must match the schema exactly (the string "2" is no int).

    Tells a body that is not JSON (`malformed_json`) from a JSON document of the wrong
    shape (`validation_failed`, naming the field by its path, e.g. `items[0].quantity`).
    """
    try:
        return msgspec.json.decode(raw, type=into)
    except msgspec.ValidationError as exc:
        error = _field_error(str(exc))
        raise WireError("validation_failed", f"{error.field}: {error.message}", (error,)) from exc
    except msgspec.DecodeError as exc:
        raise WireError("malformed_json", f"The body is not valid JSON: {exc}") from exc


# DOTALL: a field name a client made up may hold line breaks.
_AT = re.compile(r"(?P<message>.*?)(?: - at `\$(?P<path>[^`]*)`)?", re.DOTALL)
_NAMED_FIELD = re.compile(r"Object (?P<problem>missing required|contains unknown) field `(?P<name>[^`]+)`", re.DOTALL)


def _field_error(message: str) -> FieldError:
    """msgspec says `Expected `int`, got `str` - at `$.items[0].quantity``; a missing or
    unknown field is named in the message, after the path of the object holding it."""
    located = _AT.fullmatch(message)
    assert located is not None  # the pattern matches any text
    text, path = located["message"], (located["path"] or "").lstrip(".")
    if named := _NAMED_FIELD.fullmatch(text):
        path = f"{path}.{named['name']}" if path else named["name"]
        text = "is required" if named["problem"] == "missing required" else "is not a known field"
    return FieldError(path or "body", text)


class _In(Struct, forbid_unknown_fields=True):
    """Unknown fields are refused: a typo must not silently fall back to a default."""


class ProductIn(_In):
    sku: str
    name: str
    kind: str
    unit_amount: int
    currency: str
    capacity: int | None = None
    active: bool = True
    metadata: dict[str, Any] = field(default_factory=dict)

    def to_command(self, actor: str) -> commands.AddProduct:
        return commands.AddProduct(
            sku=self.sku,
            name=self.name,
            kind=self.kind,
            unit_amount=self.unit_amount,
            currency=self.currency,
            capacity=self.capacity,
            active=self.active,
            metadata=self.metadata,
            actor=actor,
        )


class ProductPatchIn(_In):
    """Absent fields stay as they are; `"capacity": null` removes the capacity limit."""

    name: str | UnsetType = UNSET
    unit_amount: int | UnsetType = UNSET
    capacity: int | None | UnsetType = UNSET
    active: bool | UnsetType = UNSET

    def to_command(self, sku: str, actor: str) -> commands.UpdateProduct:
        return commands.UpdateProduct(
            sku=sku,
            actor=actor,
            name=_given(self.name),
            unit_amount=_given(self.unit_amount),
            capacity=_given(self.capacity),
            clear_capacity=self.capacity is None,
            active=_given(self.active),
        )


class CustomerIn(_In):
    email: str
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None


class AttendeeIn(_In):
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None


class OrderItemIn(_In):
    sku: str
    quantity: int
    attendee: AttendeeIn | None = None


class EventIn(_In):
    id: str
    name: str | None = None
    date: date | None = None


class PlaceOrderIn(_In):
    customer: CustomerIn
    currency: str
    items: list[OrderItemIn]
    event: EventIn | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    def to_command(self, actor: str, request_key: str | None = None) -> commands.PlaceOrder:
        return commands.PlaceOrder(
            customer=commands.CustomerDetails(
                email=self.customer.email,
                first_name=self.customer.first_name,
                last_name=self.customer.last_name,
                phone=self.customer.phone,
            ),
            currency=self.currency,
            items=tuple(
                commands.OrderItem(
                    sku=item.sku,
                    quantity=item.quantity,
                    attendee=commands.AttendeeDetails(
                        first_name=item.attendee.first_name,
                        last_name=item.attendee.last_name,
                        email=item.attendee.email,
                    )
                    if item.attendee
                    else None,
                )
                for item in self.items
            ),
            event=commands.EventDetails(id=self.event.id, name=self.event.name, date=self.event.date)
            if self.event
            else None,
            metadata=self.metadata,
            actor=actor,
            request_key=request_key,
        )


class ProductOut(Struct):
    id: UUID
    sku: str
    name: str
    kind: str
    unit_amount: int
    currency: str
    capacity: int | None
    sold: int
    available: int | None
    active: bool
    metadata: dict[str, Any]
    created_at: Timestamp
    updated_at: Timestamp

    @classmethod
    def of(cls, product: Product) -> "ProductOut":
        return cls(
            id=product.id,
            sku=product.sku,
            name=product.name,
            kind=product.kind,
            unit_amount=product.unit_price.amount,
            currency=product.unit_price.currency,
            capacity=product.capacity,
            sold=product.sold,
            available=product.available,
            active=product.active,
            metadata=product.metadata,
            created_at=timestamp(product.created_at),
            updated_at=timestamp(product.updated_at),
        )


class AttendeeOut(Struct):
    first_name: str | None
    last_name: str | None
    email: str | None

    @classmethod
    def of(cls, attendee: Attendee) -> "AttendeeOut":
        return cls(first_name=attendee.first_name, last_name=attendee.last_name, email=attendee.email)


class OrderItemOut(Struct):
    sku: str
    name: str
    kind: str
    quantity: int
    unit_amount: int
    total: int
    attendee: AttendeeOut | None

    @classmethod
    def of(cls, line: OrderLine) -> "OrderItemOut":
        return cls(
            sku=line.sku,
            name=line.name,
            kind=line.kind,
            quantity=line.quantity,
            unit_amount=line.unit_price.amount,
            total=line.total.amount,
            attendee=AttendeeOut.of(line.attendee) if line.attendee else None,
        )


class CustomerOut(Struct):
    id: UUID
    email: str
    first_name: str | None
    last_name: str | None
    phone: str | None

    @classmethod
    def of(cls, customer: Customer) -> "CustomerOut":
        return cls(
            id=customer.id,
            email=customer.email,
            first_name=customer.first_name,
            last_name=customer.last_name,
            phone=customer.phone,
        )


class EventOut(Struct):
    id: str
    name: str | None
    date: date | None

    @classmethod
    def of(cls, event: EventRef) -> "EventOut":
        return cls(id=event.id, name=event.name, date=event.date)


class CheckoutIn(_In):
    provider: str
    capture_method: str = "automatic"
    return_url: str | None = None
    cancel_url: str | None = None

    def to_command(self, order_id: UUID, actor: str) -> commands.StartCheckout:
        return commands.StartCheckout(
            order_id=order_id,
            provider=self.provider,
            capture_method=self.capture_method,
            return_url=_http_url("return_url", self.return_url),
            cancel_url=_http_url("cancel_url", self.cancel_url),
            actor=actor,
        )


class CaptureIn(_In):
    amount: int | None = None


class RefundIn(_In):
    amount: int | None = None
    reason: str | None = None


class PaymentOut(Struct):
    id: UUID
    order_id: UUID
    provider: str
    status: str
    amount: int
    amount_captured: int
    amount_refunded: int
    currency: str
    capture_method: str
    provider_payment_id: str | None
    attempts: int
    expires_at: Timestamp
    created_at: Timestamp
    updated_at: Timestamp
    client_secret: str | None | UnsetType = UNSET
    approval_url: str | None | UnsetType = UNSET
    failure_reason: str | None = None

    @classmethod
    def of(cls, payment: Payment) -> "PaymentOut":
        return cls(
            id=payment.id,
            order_id=payment.order_id,
            provider=payment.provider,
            status=str(payment.status),
            amount=payment.amount,
            amount_captured=payment.amount_captured,
            amount_refunded=payment.amount_refunded,
            currency=payment.currency,
            capture_method=str(payment.capture_method),
            provider_payment_id=payment.provider_payment_id,
            attempts=payment.attempts,
            expires_at=timestamp(payment.expires_at),
            created_at=timestamp(payment.created_at),
            updated_at=timestamp(payment.updated_at),
            client_secret=payment.client_secret if payment.client_secret is not None else UNSET,
            approval_url=payment.approval_url if payment.approval_url is not None else UNSET,
            failure_reason=payment.failure_reason,
        )


class RefundOut(Struct):
    id: UUID
    payment_id: UUID
    amount: int
    currency: str
    reason: str | None
    status: str
    provider_refund_id: str | None
    created_at: Timestamp
    updated_at: Timestamp
    failure_reason: str | None = None

    @classmethod
    def of(cls, refund: Refund) -> "RefundOut":
        return cls(
            id=refund.id,
            payment_id=refund.payment_id,
            amount=refund.amount,
            currency=refund.currency,
            reason=refund.reason,
            status=str(refund.status),
            provider_refund_id=refund.provider_refund_id,
            created_at=timestamp(refund.created_at),
            updated_at=timestamp(refund.updated_at),
            failure_reason=refund.failure_reason,
        )


def _http_url(field_name: str, url: str | None) -> str | None:
    """Where the provider sends the buyer back: an absolute http(s) URL or nothing."""
    if url is None:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or len(url) > 2000:
        raise WireError("validation_failed", f"{field_name}: must be an absolute http(s) URL",
                        (FieldError(field_name, "must be an absolute http(s) URL"),))
    return url


class OrderOut(Struct):
    """An order; `payments` and `refunds` are embedded when one order is read, empty in lists."""

    id: UUID
    number: str
    status: str
    currency: str
    subtotal: int
    total: int
    amount_paid: int
    amount_refunded: int
    items: list[OrderItemOut]
    customer: CustomerOut
    event: EventOut | None
    metadata: dict[str, Any]
    created_at: Timestamp
    updated_at: Timestamp
    expires_at: Timestamp
    payments: list[PaymentOut]
    refunds: list[RefundOut]

    @classmethod
    def of(cls, details: OrderDetails) -> "OrderOut":
        order: Order = details.order
        return cls(
            id=order.id,
            number=order.number,
            status=str(order.status),
            currency=order.currency,
            subtotal=order.subtotal.amount,
            total=order.total.amount,
            amount_paid=order.amount_paid,
            amount_refunded=order.amount_refunded,
            items=[OrderItemOut.of(line) for line in order.lines],
            customer=CustomerOut.of(details.customer),
            event=EventOut.of(order.event) if order.event else None,
            metadata=order.metadata,
            created_at=timestamp(order.created_at),
            updated_at=timestamp(order.updated_at),
            expires_at=timestamp(order.expires_at),
            payments=[PaymentOut.of(payment) for payment in details.payments],
            refunds=[RefundOut.of(refund) for refund in details.refunds],
        )


class ProductListOut(Struct):
    data: list[ProductOut]
    next_cursor: str | None

    @classmethod
    def of(cls, page: Page[Product]) -> "ProductListOut":
        return cls(data=[ProductOut.of(product) for product in page.items], next_cursor=page.next_cursor)


class OrderListOut(Struct):
    data: list[OrderOut]
    next_cursor: str | None

    @classmethod
    def of(cls, page: Page[OrderDetails]) -> "OrderListOut":
        return cls(data=[OrderOut.of(details) for details in page.items], next_cursor=page.next_cursor)


def timestamp(moment: datetime) -> str:
    """UTC with an explicit offset, e.g. 2026-05-15T09:30:00.123456+00:00."""
    return moment.astimezone(UTC).isoformat()


def _given(value: T | UnsetType) -> T | None:
    return None if value is UNSET else value  # type: ignore[return-value]
