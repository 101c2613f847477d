import pytest

from domain.errors import CurrencyMismatch, ValidationFailed
from domain.money import Money, minor_unit_exponent, validate_currency


@pytest.mark.parametrize(("currency", "exponent"), [("JPY", 0), ("KRW", 0), ("USD", 2), ("EUR", 2), ("KWD", 3), ("BHD", 3), ("CLF", 4)])
def test_minor_unit_exponents_follow_iso_4217(currency: str, exponent: int) -> None:
    assert minor_unit_exponent(currency) == exponent


@pytest.mark.parametrize("currency", ["usd", "XXX", "US", "", "EURO"])
def test_non_iso_or_lower_case_codes_are_rejected(currency: str) -> None:
    with pytest.raises(ValidationFailed):
        validate_currency(currency)


@pytest.mark.parametrize("amount", [-1, 1.5, "100", True])
def test_amount_is_a_non_negative_integer(amount: object) -> None:
    with pytest.raises(ValidationFailed):
        Money(amount, "USD")  # type: ignore[arg-type]


def test_arithmetic_stays_exact_in_minor_units() -> None:
    assert Money(1005, "KWD") * 3 == Money(3015, "KWD")
    assert Money(999, "JPY") + Money(1, "JPY") == Money(1000, "JPY")
    assert Money(1000, "USD") - Money(1, "USD") == Money(999, "USD")


def test_mixing_currencies_is_an_error() -> None:
    with pytest.raises(CurrencyMismatch):
        Money(100, "USD") + Money(100, "EUR")
    with pytest.raises(CurrencyMismatch):
        Money(100, "USD") < Money(100, "EUR")


def test_subtraction_below_zero_is_refused() -> None:
    with pytest.raises(ValidationFailed):
        Money(1, "USD") - Money(2, "USD")


@pytest.mark.parametrize(
    ("money", "text"),
    [(Money(1250, "USD"), "12.50 USD"), (Money(1200, "JPY"), "1200 JPY"), (Money(1005, "KWD"), "1.005 KWD"), (Money(5, "USD"), "0.05 USD")],
)
def test_format_uses_the_currency_exponent(money: Money, text: str) -> None:
    assert money.format() == text
