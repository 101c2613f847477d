from datetime import UTC, datetime
from uuid import uuid4

import pytest

from domain.catalog import Product
from domain.errors import SoldOut, ValidationFailed
from domain.money import Money

NOW = datetime(2026, 5, 15, tzinfo=UTC)


def product(capacity: int | None = 10, active: bool = True, sku: str = "day-pass") -> Product:
    return Product.create(
        id=uuid4(), sku=sku, name="Day pass", kind="day_pass", unit_price=Money(5000, "USD"),
        capacity=capacity, active=active, metadata={}, now=NOW,
    )


@pytest.mark.parametrize("sku", ["Day-Pass", "-x", "x-", "a b", "", "x" * 65, "día"])
def test_sku_must_be_a_lower_case_slug(sku: str) -> None:
    with pytest.raises(ValidationFailed):
        product(sku=sku)


def test_reserve_counts_units_up_to_capacity() -> None:
    p = product(capacity=3)
    p.reserve(2, NOW)
    assert (p.sold, p.available) == (2, 1)
    with pytest.raises(SoldOut):
        p.reserve(2, NOW)
    assert p.sold == 2
    p.reserve(1, NOW)
    assert p.available == 0


def test_unlimited_capacity_never_sells_out() -> None:
    p = product(capacity=None)
    p.reserve(10_000, NOW)
    assert p.available is None and p.sold == 10_000


def test_inactive_product_cannot_be_reserved() -> None:
    with pytest.raises(ValidationFailed):
        product(active=False).reserve(1, NOW)


def test_release_gives_units_back() -> None:
    p = product(capacity=3)
    p.reserve(3, NOW)
    p.release(2, NOW)
    assert p.available == 2


def test_capacity_cannot_drop_below_what_is_sold() -> None:
    p = product(capacity=5)
    p.reserve(4, NOW)
    with pytest.raises(ValidationFailed):
        p.update(now=NOW, capacity=3)
    p.update(now=NOW, capacity=4, unit_amount=6000)
    assert p.available == 0 and p.unit_price == Money(6000, "USD")
