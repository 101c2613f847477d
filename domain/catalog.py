"""The catalog: products with a catalog price and an optional capacity."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from domain.errors import SoldOut, ValidationFailed
from domain.money import Money, money_field

SKU_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?$")
KNOWN_KINDS = ("full_festival", "day_pass", "workshop_only", "social_only", "vip")
MAX_NAME_LENGTH = 200


def validate_sku(sku: str) -> str:
    if not SKU_PATTERN.match(sku):
        raise ValidationFailed.on(
            "sku", "sku must be a lower-case slug of 1..64 characters (a-z, 0-9, '.', '_', '-')"
        )
    return sku


def _validate_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > MAX_NAME_LENGTH:
        raise ValidationFailed.on("name", f"name must be 1..{MAX_NAME_LENGTH} characters")
    return name


def _validate_kind(kind: str) -> str:
    if not re.fullmatch(r"[a-z0-9_]{1,64}", kind):
        raise ValidationFailed.on("kind", "kind must be a lower-case word of 1..64 characters")
    return kind


def _validate_capacity(capacity: int | None, sold: int) -> int | None:
    if capacity is None:
        return None
    if capacity < 0:
        raise ValidationFailed.on("capacity", "capacity must not be negative")
    if capacity < sold:
        raise ValidationFailed.on("capacity", f"capacity cannot go below the {sold} already sold")
    return capacity


@dataclass
class Product:
    """A sellable item. `sold` counts units reserved by live orders; it never exceeds capacity."""

    id: UUID
    sku: str
    name: str
    kind: str
    unit_price: Money
    capacity: int | None
    active: bool
    metadata: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    sold: int = 0

    @classmethod
    def create(
        cls,
        *,
        id: UUID,
        sku: str,
        name: str,
        kind: str,
        unit_price: Money,
        capacity: int | None,
        active: bool,
        metadata: dict[str, Any],
        now: datetime,
    ) -> "Product":
        return cls(
            id=id,
            sku=validate_sku(sku),
            name=_validate_name(name),
            kind=_validate_kind(kind),
            unit_price=unit_price,
            capacity=_validate_capacity(capacity, 0),
            active=active,
            metadata=dict(metadata),
            created_at=now,
            updated_at=now,
        )

    @property
    def available(self) -> int | None:
        """Units still sellable; None when the product has no capacity limit."""
        return None if self.capacity is None else self.capacity - self.sold

    def update(
        self,
        *,
        now: datetime,
        name: str | None = None,
        unit_amount: int | None = None,
        capacity: int | None = None,
        clear_capacity: bool = False,
        active: bool | None = None,
    ) -> None:
        """Price changes affect future orders only: placed orders keep their line prices."""
        if name is not None:
            self.name = _validate_name(name)
        if unit_amount is not None:
            self.unit_price = money_field(unit_amount, self.unit_price.currency, "unit_amount")
        if clear_capacity:
            self.capacity = None
        elif capacity is not None:
            self.capacity = _validate_capacity(capacity, self.sold)
        if active is not None:
            self.active = active
        self.updated_at = now

    def reserve(self, quantity: int, now: datetime) -> None:
        if not self.active:
            raise ValidationFailed.on("sku", f"product '{self.sku}' is not on sale")
        if quantity < 1:
            raise ValidationFailed.on("quantity", "quantity must be at least 1")
        available = self.available
        if available is not None and quantity > available:
            raise SoldOut(f"only {available} of '{self.sku}' left, {quantity} requested")
        self.sold += quantity
        self.updated_at = now

    def release(self, quantity: int, now: datetime) -> None:
        """Gives reserved units back (cancelled, expired or fully refunded order)."""
        self.sold = max(0, self.sold - quantity)
        self.updated_at = now


__all__ = ["KNOWN_KINDS", "Product", "validate_sku"]
