from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

import pytest

from domain.catalog import Product
from domain.customers import normalise_email
from domain.errors import CurrencyMismatch, InvalidState, SoldOut, ValidationFailed
from domain.money import Money
from domain.orders import LineRequest, Order, OrderStatus, format_order_number, validate_line_requests
from domain.payments import CaptureMethod, Payment

NOW = datetime(2026, 5, 15, tzinfo=UTC)


def catalog() -> dict[str, Product]:
    def make(sku: str, amount: int, currency: str = "USD", capacity: int | None = None, active: bool = True) -> Product:
        return Product.create(id=uuid4(), sku=sku, name=sku.title(), kind="day_pass", unit_price=Money(amount, currency),
                              capacity=capacity, active=active, metadata={}, now=NOW)
    return {p.sku: p for p in [make("full", 15000, capacity=2), make("day", 5000), make("yen", 1200, "JPY"), make("old", 1, active=False)]}


def place(requests: list[LineRequest], products: dict[str, Product], currency: str = "USD") -> Order:
    return Order.place(id=uuid4(), number="TSR-20260515-0001", customer_id=uuid4(), currency=currency,
                       requests=requests, products=products, now=NOW, expires_at=NOW + timedelta(hours=1))


def test_totals_come_from_the_catalog() -> None:
    order = place([LineRequest("full", 2), LineRequest("day", 3)], catalog())
    assert [line.total for line in order.lines] == [Money(30000, "USD"), Money(15000, "USD")]
    assert order.subtotal == order.total == Money(45000, "USD")
    assert order.status is OrderStatus.PENDING


def test_placing_reserves_capacity_and_refuses_to_oversell() -> None:
    products = catalog()
    place([LineRequest("full", 2)], products)
    assert products["full"].available == 0
    with pytest.raises(SoldOut):
        place([LineRequest("full", 1)], products)


@pytest.mark.parametrize(
    ("request_", "error"),
    [(LineRequest("nope", 1), ValidationFailed), (LineRequest("old", 1), ValidationFailed), (LineRequest("yen", 1), CurrencyMismatch)],
)
def test_unknown_inactive_or_foreign_currency_lines_are_refused(request_: LineRequest, error: type[Exception]) -> None:
    with pytest.raises(error):
        place([request_], catalog())


@pytest.mark.parametrize("requests", [[], [LineRequest("day", 0)], [LineRequest("day", -1)], [LineRequest("day", 1001)], [LineRequest("day", 1)] * 101])
def test_line_requests_are_bounded(requests: list[LineRequest]) -> None:
    with pytest.raises(ValidationFailed):
        validate_line_requests(requests)


def test_only_a_pending_order_can_be_cancelled() -> None:
    order = place([LineRequest("day", 1)], catalog())
    assert order.cancel(NOW) is OrderStatus.PENDING
    assert order.status is OrderStatus.CANCELLED
    with pytest.raises(InvalidState):
        order.cancel(NOW)


def test_order_numbers_have_a_day_and_a_four_digit_sequence() -> None:
    assert format_order_number("TSR", date(2026, 5, 15), 7) == "TSR-20260515-0007"
    assert format_order_number("ALB", date(2026, 5, 15), 12345) == "ALB-20260515-12345"


@pytest.mark.parametrize(("raw", "clean"), [("  John@Example.COM ", "john@example.com"), ("a.b+c@x.io", "a.b+c@x.io")])
def test_emails_are_normalised(raw: str, clean: str) -> None:
    assert normalise_email(raw) == clean


@pytest.mark.parametrize("raw", ["", "   ", "no-at-sign", "a@b", "a b@c.com", "a@@b.com", "@b.com", "a@-b.com"])
def test_invalid_emails_are_refused(raw: str) -> None:
    with pytest.raises(ValidationFailed):
        normalise_email(raw)


def _settled_order_with(*payments: Payment) -> OrderStatus:
    order = Order(id=uuid4(), number="TSR-1", customer_id=uuid4(), currency="USD", lines=[],
                  status=OrderStatus.PENDING, created_at=NOW, updated_at=NOW, expires_at=NOW)
    order.settle(list(payments), NOW)
    return order.status


def test_an_orders_status_follows_its_payments() -> None:
    def payment(status: str) -> Payment:
        p = Payment.start(id=uuid4(), order_id=uuid4(), provider="sandbox", total=Money(100, "USD"),
                          capture_method=CaptureMethod.MANUAL, now=NOW, expires_at=NOW)
        if status in ("authorized", "captured", "refunded", "partial"):
            p.apply_authorized(100, NOW)
        if status in ("captured", "refunded", "partial"):
            p.apply_captured(100, NOW)
        if status in ("refunded", "partial"):
            p.reserve_refund(100 if status == "refunded" else 40, NOW)
            p.settle_refund(100 if status == "refunded" else 40, True, NOW)
        if status == "failed":
            p.apply_failed("declined", NOW)
        return p

    assert _settled_order_with() is OrderStatus.PENDING
    assert _settled_order_with(payment("pending")) is OrderStatus.PENDING
    assert _settled_order_with(payment("failed"), payment("authorized")) is OrderStatus.PROCESSING
    assert _settled_order_with(payment("failed"), payment("captured")) is OrderStatus.COMPLETED
    assert _settled_order_with(payment("partial")) is OrderStatus.PARTIALLY_REFUNDED
    assert _settled_order_with(payment("refunded")) is OrderStatus.REFUNDED
    assert _settled_order_with(*(payment("failed") for _ in range(5))) is OrderStatus.FAILED
