"""Rows <-> domain entities. Rows come back with timezone-aware datetimes and decoded JSONB.

Order lines are read with `line_`-prefixed labels (see `LINE_COLUMNS`) so they can share a
row with their order's columns without name clashes.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import Row

from adapters.postgres.tables import order_lines
from domain.audit import AuditEntry
from domain.catalog import Product
from domain.customers import Customer
from domain.money import Money
from domain.orders import Attendee, EventRef, Order, OrderLine, OrderStatus
from domain.webhooks import WebhookEvent, WebhookStatus

LINE_COLUMNS = tuple(column.label(f"line_{column.name}") for column in order_lines.c)


def product_from_row(row: Row[Any]) -> Product:
    return Product(
        id=row.id,
        sku=row.sku,
        name=row.name,
        kind=row.kind,
        unit_price=Money(row.unit_amount, row.currency),
        capacity=row.capacity,
        active=row.active,
        metadata=row.metadata,
        created_at=row.created_at,
        updated_at=row.updated_at,
        sold=row.sold,
    )


def product_values(product: Product) -> dict[str, Any]:
    return {
        "id": product.id,
        "sku": product.sku,
        "name": product.name,
        "kind": product.kind,
        "unit_amount": product.unit_price.amount,
        "currency": product.unit_price.currency,
        "capacity": product.capacity,
        "sold": product.sold,
        "active": product.active,
        "metadata": product.metadata,
        "created_at": product.created_at,
        "updated_at": product.updated_at,
    }


def product_changes(product: Product) -> dict[str, Any]:
    """What `ProductRepository.save` may change; `key_id` selects the row."""
    return {
        "key_id": product.id,
        "name": product.name,
        "unit_amount": product.unit_price.amount,
        "capacity": product.capacity,
        "active": product.active,
        "sold": product.sold,
        "updated_at": product.updated_at,
    }


def customer_from_row(row: Row[Any]) -> Customer:
    return Customer(
        id=row.id,
        email=row.email,
        first_name=row.first_name,
        last_name=row.last_name,
        phone=row.phone,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def customer_values(customer: Customer) -> dict[str, Any]:
    return {
        "id": customer.id,
        "email": customer.email,
        "first_name": customer.first_name,
        "last_name": customer.last_name,
        "phone": customer.phone,
        "created_at": customer.created_at,
        "updated_at": customer.updated_at,
    }


def order_from_row(row: Row[Any], lines: list[OrderLine]) -> Order:
    return Order(
        id=row.id,
        number=row.number,
        customer_id=row.customer_id,
        currency=row.currency,
        lines=lines,
        status=OrderStatus(row.status),
        created_at=row.created_at,
        updated_at=row.updated_at,
        expires_at=row.expires_at,
        event=EventRef(row.event_id, row.event_name, row.event_date) if row.event_id is not None else None,
        metadata=row.metadata,
        amount_paid=row.amount_paid,
        amount_refunded=row.amount_refunded,
        request_key=row.request_key,
    )


def line_from_row(row: Row[Any], currency: str) -> OrderLine:
    """`row` carries the `LINE_COLUMNS` labels; the currency is the order's."""
    attendee = None
    if row.line_attendee_first_name is not None or row.line_attendee_last_name is not None or row.line_attendee_email is not None:
        attendee = Attendee(row.line_attendee_first_name, row.line_attendee_last_name, row.line_attendee_email)
    return OrderLine(
        product_id=row.line_product_id,
        sku=row.line_sku,
        name=row.line_name,
        kind=row.line_kind,
        quantity=row.line_quantity,
        unit_price=Money(row.line_unit_amount, currency),
        attendee=attendee,
    )


def order_values(order: Order) -> dict[str, Any]:
    event = order.event
    return {
        "id": order.id,
        "number": order.number,
        "customer_id": order.customer_id,
        "status": order.status.value,
        "currency": order.currency,
        "subtotal": order.subtotal.amount,
        "total": order.total.amount,
        "amount_paid": order.amount_paid,
        "amount_refunded": order.amount_refunded,
        "event_id": event.id if event else None,
        "event_name": event.name if event else None,
        "event_date": event.date if event else None,
        "metadata": order.metadata,
        "created_at": order.created_at,
        "updated_at": order.updated_at,
        "expires_at": order.expires_at,
        "request_key": order.request_key,
    }


def line_values(order_id: UUID, position: int, line: OrderLine) -> dict[str, Any]:
    attendee = line.attendee or Attendee()
    return {
        "order_id": order_id,
        "position": position,
        "product_id": line.product_id,
        "sku": line.sku,
        "name": line.name,
        "kind": line.kind,
        "quantity": line.quantity,
        "unit_amount": line.unit_price.amount,
        "total": line.total.amount,
        "attendee_first_name": attendee.first_name,
        "attendee_last_name": attendee.last_name,
        "attendee_email": attendee.email,
    }


def order_changes(order: Order) -> dict[str, Any]:
    """What `OrderRepository.save` may change; `key_id` selects the row."""
    return {
        "key_id": order.id,
        "status": order.status.value,
        "amount_paid": order.amount_paid,
        "amount_refunded": order.amount_refunded,
        "updated_at": order.updated_at,
    }


def audit_entry_from_row(row: Row[Any]) -> AuditEntry:
    return AuditEntry(
        id=row.id,
        entity_type=row.entity_type,
        entity_id=row.entity_id,
        action=row.action,
        actor=row.actor,
        occurred_at=row.occurred_at,
        from_status=row.from_status,
        to_status=row.to_status,
        amount=row.amount,
        currency=row.currency,
        details=row.details,
    )


def audit_entry_values(entry: AuditEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "entity_type": entry.entity_type,
        "entity_id": entry.entity_id,
        "action": entry.action,
        "actor": entry.actor,
        "occurred_at": entry.occurred_at,
        "from_status": entry.from_status,
        "to_status": entry.to_status,
        "amount": entry.amount,
        "currency": entry.currency,
        "details": entry.details,
    }


def webhook_event_from_row(row: Row[Any]) -> WebhookEvent:
    return WebhookEvent(
        id=row.id,
        provider=row.provider,
        provider_event_id=row.provider_event_id,
        type=row.type,
        payload=row.payload,
        headers=row.headers,
        signature_verified=row.signature_verified,
        received_at=row.received_at,
        next_attempt_at=row.next_attempt_at,
        status=WebhookStatus(row.status),
        attempts=row.attempts,
        last_error=row.last_error,
        processed_at=row.processed_at,
    )


def webhook_event_values(event: WebhookEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "provider": event.provider,
        "provider_event_id": event.provider_event_id,
        "type": event.type,
        "payload": event.payload,
        "headers": event.headers,
        "signature_verified": event.signature_verified,
        "received_at": event.received_at,
        **webhook_event_changes(event),
    }


def webhook_event_changes(event: WebhookEvent) -> dict[str, Any]:
    """The processing state, all that `WebhookInbox.save` may change."""
    return {
        "status": event.status.value,
        "attempts": event.attempts,
        "last_error": event.last_error,
        "next_attempt_at": event.next_attempt_at,
        "processed_at": event.processed_at,
    }
