"""What use cases return when one entity is not enough to answer the caller."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, TypeVar

from domain.customers import Customer
from domain.orders import Order
from domain.payments import Payment, Refund

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


@dataclass(frozen=True)
class OrderDetails:
    order: Order
    customer: Customer
    payments: list[Payment] = field(default_factory=list)
    refunds: list[Refund] = field(default_factory=list)
    """Loaded when one order is read; lists and writes leave them empty."""
