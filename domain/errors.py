"""Typed domain errors. Each carries a stable machine `code`; entrypoints map codes to transport."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str


class DomainError(Exception):
    """A business rule was broken. `code` is stable and part of the public contract."""

    code = "domain_error"

    def __init__(self, message: str, *, errors: tuple[FieldError, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors


class ValidationFailed(DomainError):
    """Well-formed input that breaks a rule (bad e-mail, quantity < 1, unknown sku...)."""

    code = "validation_failed"

    @classmethod
    def on(cls, field_name: str, message: str) -> "ValidationFailed":
        return cls(message, errors=(FieldError(field_name, message),))


class CurrencyMismatch(DomainError):
    code = "currency_mismatch"


class SoldOut(DomainError):
    code = "sold_out"


class InvalidState(DomainError):
    """The entity's current state forbids the transition now."""

    code = "invalid_state"

