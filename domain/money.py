"""Money as an integer count of a currency's minor unit (ISO 4217)."""

from __future__ import annotations

from dataclasses import dataclass

from domain.errors import CurrencyMismatch, FieldError, ValidationFailed

# ISO 4217 active codes and their minor-unit exponents. Codes not listed have exponent 2.
_EXPONENT_0 = frozenset(
    "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF".split()
)
_EXPONENT_3 = frozenset("BHD IQD JOD KWD LYD OMR TND".split())
_EXPONENT_4 = frozenset("CLF UYW".split())
_EXPONENT_2 = frozenset(
    """AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN BWP
    BYN BZD CAD CDF CHE CHF CHW CNY COP COU CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD
    FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD
    KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD
    NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP
    SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD USN UYU UZS VED
    VES WST XCD XCG YER ZAR ZMW ZWG""".split()
)


def minor_unit_exponent(currency: str) -> int:
    """Digits after the decimal point in `currency` (JPY 0, USD 2, KWD 3)."""
    if currency in _EXPONENT_0:
        return 0
    if currency in _EXPONENT_3:
        return 3
    if currency in _EXPONENT_4:
        return 4
    if currency in _EXPONENT_2:
        return 2
    raise ValidationFailed.on("currency", f"'{currency}' is not an ISO 4217 currency code")


def validate_currency(currency: str) -> str:
    """Returns the code if it is an upper-case ISO 4217 code, else raises ValidationFailed."""
    if not isinstance(currency, str) or currency != currency.upper():
        raise ValidationFailed.on("currency", "currency must be an upper-case ISO 4217 code")
    minor_unit_exponent(currency)
    return currency


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in minor units; never negative (a refund is a positive amount of its own)."""

    amount: int
    currency: str

    def __post_init__(self) -> None:
        if isinstance(self.amount, bool) or not isinstance(self.amount, int):
            raise ValidationFailed.on("amount", "amount must be an integer of minor units")
        if self.amount < 0:
            raise ValidationFailed.on("amount", "amount must not be negative")
        validate_currency(self.currency)

    @classmethod
    def zero(cls, currency: str) -> "Money":
        return cls(0, currency)

    @property
    def exponent(self) -> int:
        return minor_unit_exponent(self.currency)

    def _same_currency(self, other: "Money") -> None:
        if self.currency != other.currency:
            raise CurrencyMismatch(
                f"cannot combine {self.currency} with {other.currency}"
            )

    def __add__(self, other: "Money") -> "Money":
        self._same_currency(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: "Money") -> "Money":
        """Subtraction that would go below zero is a rule violation, not a negative Money."""
        self._same_currency(other)
        if other.amount > self.amount:
            raise ValidationFailed.on("amount", "result would be negative")
        return Money(self.amount - other.amount, self.currency)

    def __mul__(self, quantity: int) -> "Money":
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 0:
            raise ValidationFailed.on("quantity", "quantity must be a non-negative integer")
        return Money(self.amount * quantity, self.currency)

    def __lt__(self, other: "Money") -> bool:
        self._same_currency(other)
        return self.amount < other.amount

    def __le__(self, other: "Money") -> bool:
        self._same_currency(other)
        return self.amount <= other.amount

    def format(self) -> str:
        """Human rendering, e.g. '12.50 USD', '1200 JPY', '1.005 KWD'."""
        exp = self.exponent
        if exp == 0:
            return f"{self.amount} {self.currency}"
        whole, frac = divmod(self.amount, 10**exp)
        return f"{whole}.{frac:0{exp}d} {self.currency}"


def money_field(amount: int, currency: str, field_name: str) -> Money:
    """Builds Money, naming the caller's field (e.g. `unit_amount`) in a validation error."""
    try:
        return Money(amount, currency)
    except ValidationFailed as error:
        renamed = tuple(FieldError(field_name if e.field == "amount" else e.field, e.message) for e in error.errors)
        raise ValidationFailed(error.message, errors=renamed) from None
