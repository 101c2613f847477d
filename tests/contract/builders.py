"""Entities for the contract tests, valid by construction, with ids unique in the run."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from uuid import UUID

from application.ports import UnitOfWorkFactory
from domain.audit import AuditEntry
from domain.catalog import Product
from domain.customers import Customer
from domain.money import Money
from domain.orders import Attendee, EventRef, LineRequest, Order
from domain.payments import CaptureMethod, Payment, Refund
from domain.webhooks import WebhookEvent

T0 = datetime(2026, 5, 15, 9, 30, 0, 123456, tzinfo=UTC)
_ids = itertools.count(1)


def new_id() -> UUID:
    return UUID(f"00000000-0000-7000-8000-{next(_ids):012x}")


def a_product(
    sku: str = "day-pass",
    *,
    amount: int = 5000,
    currency: str = "USD",
    capacity: int | None = 10,
    active: bool = True,
    metadata: dict[str, str] | None = None,
) -> Product:
    return Product.create(
        id=new_id(),
        sku=sku,
        name=sku.replace("-", " ").title(),
        kind="day_pass",
        unit_price=Money(amount, currency),
        capacity=capacity,
        active=active,
        metadata=metadata or {},
        now=T0,
    )


def a_customer(
    email: str = "ana@example.com",
    *,
    first_name: str | None = None,
    last_name: str | None = None,
    phone: str | None = None,
    at: datetime = T0,
) -> Customer:
    return Customer.register(
        id=new_id(), email=email, first_name=first_name, last_name=last_name, phone=phone, now=at
    )


def an_order(
    customer: Customer,
    products: list[Product],
    *,
    number: str | None = None,
    at: datetime = T0,
    event: EventRef | None = None,
    metadata: dict[str, str] | None = None,
    attendees: dict[str, Attendee] | None = None,
    id: UUID | None = None,
) -> Order:
    """One unit of each product. Reserves on the products it is given: pass copies if that matters."""
    order_id = id or new_id()
    return Order.place(
        id=order_id,
        number=number or f"TSR-{at:%Y%m%d}-{order_id.int % 10**6:06d}",
        customer_id=customer.id,
        currency=products[0].unit_price.currency,
        requests=[LineRequest(p.sku, 1, (attendees or {}).get(p.sku)) for p in products],
        products={p.sku: p for p in products},
        now=at,
        expires_at=at + timedelta(hours=1),
        event=event,
        metadata=metadata,
    )


def an_audit_entry(
    *,
    entity_id: UUID | None = None,
    entity_type: str = "order",
    action: str = "order.placed",
    at: datetime = T0,
    id: UUID | None = None,
) -> AuditEntry:
    return AuditEntry(
        id=id or new_id(),
        entity_type=entity_type,
        entity_id=entity_id or new_id(),
        action=action,
        actor="api_key:k1",
        occurred_at=at,
        to_status="pending",
        amount=1500,
        currency="USD",
        details={"number": "TSR-20260515-0001", "items": {"day-pass": 2}, "capacity": None},
    )


async def stored(uow_factory: UnitOfWorkFactory, *products: Product) -> None:
    async with uow_factory() as uow:
        for product in products:
            await uow.products.add(product)
        await uow.commit()


async def registered(uow_factory: UnitOfWorkFactory, customer: Customer) -> Customer:
    async with uow_factory() as uow:
        customer = await uow.customers.upsert_by_email(customer)
        await uow.commit()
    return customer


def a_webhook_event(
    provider_event_id: str | None = None,
    *,
    provider: str = "sandbox",
    type: str = "payment.captured",
    at: datetime = T0,
) -> WebhookEvent:
    event_id = new_id()
    return WebhookEvent.receive(
        id=event_id,
        provider=provider,
        provider_event_id=provider_event_id or f"evt_{event_id.hex[-12:]}",
        type=type,
        payload=b'{"id": "evt", "data": {"amount": 100}}\xff',
        headers={"webhook-id": "evt", "webhook-timestamp": "1700000000"},
        now=at,
    )


async def placed_orders(uow_factory: UnitOfWorkFactory, count: int = 1) -> list[Order]:
    """Stored orders of one pass each, for payments and refunds to belong to."""
    product = a_product(f"pass-{new_id().hex[-6:]}", capacity=None)
    async with uow_factory() as uow:
        await uow.products.add(product)
        customer = await uow.customers.upsert_by_email(a_customer())
        orders = [an_order(customer, [product]) for _ in range(count)]
        for order in orders:
            await uow.orders.add(order)
        await uow.commit()
    return orders


def a_payment(
    order: Order,
    *,
    at: datetime = T0,
    provider: str = "sandbox",
    capture_method: CaptureMethod = CaptureMethod.MANUAL,
    id: UUID | None = None,
) -> Payment:
    """A new checkout for the order's total: its creation at the provider is the pending action."""
    return Payment.start(
        id=id or new_id(),
        order_id=order.id,
        provider=provider,
        total=order.total,
        capture_method=capture_method,
        now=at,
        expires_at=at + timedelta(hours=1),
    )


def a_captured_payment(order: Order, *, at: datetime = T0, provider_payment_id: str | None = None) -> Payment:
    """Created at the provider, authorized and captured in full: ready for refunds."""
    payment = a_payment(order, at=at)
    payment.apply_created(provider_payment_id or f"pi_{payment.id.hex[-12:]}", f"{payment.id.hex}_secret", None, at)
    payment.apply_authorized(payment.amount, at)
    payment.apply_captured(payment.amount, at)
    return payment


def a_refund(
    payment: Payment, amount: int = 100, *, at: datetime = T0, id: UUID | None = None, request_key: str | None = None
) -> Refund:
    """A pending refund, its amount reserved on `payment` as a refund request does (save both)."""
    payment.reserve_refund(amount, at)
    return Refund.request(
        id=id or new_id(), payment=payment, amount=amount, reason=" changed plans ", now=at, request_key=request_key
    )


async def recorded(uow_factory: UnitOfWorkFactory, *entities: Payment | Refund) -> None:
    """Adds payments and refunds in one unit of work, a refund's payment before it."""
    async with uow_factory() as uow:
        for entity in entities:
            if isinstance(entity, Payment):
                await uow.payments.add(entity)
            else:
                await uow.refunds.add(entity)
        await uow.commit()
