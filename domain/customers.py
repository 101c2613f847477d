"""Customers, identified by their normalised e-mail."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from domain.errors import ValidationFailed

# Pragmatic address check: one '@', no whitespace, a dotted domain. Deliverability is the
# mail system's business; this only keeps obvious garbage out of the system of record.
_EMAIL = re.compile(r"^[^@\s]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$")
MAX_EMAIL_LENGTH = 254
MAX_PERSONAL_FIELD = 200


def normalise_email(raw: str, field_name: str = "email") -> str:
    email = raw.strip().lower()
    if not email:
        raise ValidationFailed.on(field_name, "e-mail is required")
    if len(email) > MAX_EMAIL_LENGTH or not _EMAIL.match(email):
        raise ValidationFailed.on(field_name, "not a valid e-mail address")
    return email


def clean_optional(value: str | None, field_name: str) -> str | None:
    """Trims an optional personal field; blank becomes None."""
    if value is None:
        return None
    value = value.strip()
    if len(value) > MAX_PERSONAL_FIELD:
        raise ValidationFailed.on(field_name, f"must be at most {MAX_PERSONAL_FIELD} characters")
    return value or None


@dataclass
class Customer:
    id: UUID
    email: str
    first_name: str | None
    last_name: str | None
    phone: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def register(
        cls,
        *,
        id: UUID,
        email: str,
        first_name: str | None,
        last_name: str | None,
        phone: str | None,
        now: datetime,
    ) -> "Customer":
        return cls(
            id=id,
            email=normalise_email(email, "customer.email"),
            first_name=clean_optional(first_name, "customer.first_name"),
            last_name=clean_optional(last_name, "customer.last_name"),
            phone=clean_optional(phone, "customer.phone"),
            created_at=now,
            updated_at=now,
        )
