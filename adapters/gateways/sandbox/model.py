"""What the sandbox provider keeps in its own database: payments, refunds, faults, outbox events.

Structs (msgspec), so an answer kept for an idempotency key is stored and replayed exactly as
it was first given. Statuses are Tessera's own enums: the sandbox speaks Tessera's language.
"""

from __future__ import annotations

import enum
import secrets
from datetime import datetime

from msgspec import Struct

from domain.payments import CaptureMethod, PaymentStatus, RefundStatus


def new_id(prefix: str) -> str:
    """A provider-style id (`sbx_pay_...`, `evt_...`): opaque to Tessera, unique everywhere."""
    return f"{prefix}_{secrets.token_hex(12)}"


class Operation(enum.StrEnum):
    CREATE = "create"
    CAPTURE = "capture"
    CANCEL = "cancel"
    REFUND = "refund"


class FaultKind(enum.StrEnum):
    DECLINE = "decline"
    """Refuse the call before doing anything."""
    TIMEOUT = "timeout"
    """Do the call fully, then lose the answer on the way back."""
    FAIL = "fail"
    """Refunds only: accept the refund as pending, then let it fail."""


class SandboxPayment(Struct, kw_only=True):
    id: str
    amount: int
    currency: str
    capture_method: CaptureMethod
    status: PaymentStatus
    description: str
    expires_at: datetime
    created_at: datetime
    updated_at: datetime
    return_url: str | None = None
    cancel_url: str | None = None
    amount_authorized: int = 0
    amount_captured: int = 0
    amount_refunded: int = 0
    capture_count: int = 0


class SandboxRefund(Struct, kw_only=True):
    id: str
    payment_id: str
    amount: int
    currency: str
    status: RefundStatus
    created_at: datetime
    updated_at: datetime
    reason: str | None = None


class Fault(Struct, kw_only=True):
    """A one-shot fault: the next matching call suffers it, and it is gone."""

    id: str
    operation: Operation
    kind: FaultKind
    created_at: datetime
    payment_id: str | None = None
    """None: the next call of the operation on any payment."""


class OutboxEvent(Struct, kw_only=True):
    """A webhook the provider owes Tessera. `body` is the exact JSON it signs and sends."""

    id: str
    type: str
    body: bytes
    created_at: datetime
    next_attempt_at: datetime | None
    """None once delivered or given up."""
    attempts: int = 0
    delivered_at: datetime | None = None
    last_error: str | None = None


class StoredAnswer(Struct, kw_only=True):
    """The first answer to an idempotency key, replayed to every later call with it."""

    key: str
    operation: Operation
    body: bytes
    created_at: datetime
