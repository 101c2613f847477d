"""The sandbox provider's own tables, on Tessera's metadata so one migration history builds both.

Prefixed `sandbox_` and never joined with Tessera's tables: they stand for another company's
database, which Tessera only reaches through the provider's API and its webhooks.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
)

from adapters.gateways.sandbox.model import FaultKind, Operation
from adapters.postgres.tables import one_of, metadata
from domain.payments import CaptureMethod, PaymentStatus, RefundStatus


sandbox_payments = Table(
    "sandbox_payments",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("amount", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("capture_method", String(16), nullable=False),
    Column("status", String(24), nullable=False),
    Column("description", String(200), nullable=False),
    Column("return_url", Text),
    Column("cancel_url", Text),
    Column("amount_authorized", BigInteger, nullable=False),
    Column("amount_captured", BigInteger, nullable=False),
    Column("amount_refunded", BigInteger, nullable=False),
    Column("capture_count", Integer, nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    CheckConstraint(one_of("status", PaymentStatus), name="status_known"),
    CheckConstraint(one_of("capture_method", CaptureMethod), name="capture_method_known"),
    CheckConstraint("amount >= 1", name="amount_positive"),
    CheckConstraint(
        "amount_authorized <= amount AND amount_captured <= amount_authorized"
        " AND amount_refunded >= 0 AND amount_refunded <= amount_captured",
        name="amounts_within_bounds",
    ),
    # One capture per payment: a retried or concurrent capture must never take money twice.
    CheckConstraint("capture_count IN (0, 1)", name="captured_at_most_once"),
    # The expiry sweep looks for pending payments by checkout deadline.
    Index("ix_sandbox_payments_status_expires_at", "status", "expires_at"),
)

sandbox_refunds = Table(
    "sandbox_refunds",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("payment_id", String(64), ForeignKey("sandbox_payments.id"), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("status", String(16), nullable=False),
    Column("reason", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    CheckConstraint(one_of("status", RefundStatus), name="status_known"),
    CheckConstraint("amount >= 1", name="amount_positive"),
    Index("ix_sandbox_refunds_payment_id", "payment_id", "created_at"),
)

sandbox_idempotency_keys = Table(
    "sandbox_idempotency_keys",
    metadata,
    Column("key", String(255, collation="C"), primary_key=True),
    Column("operation", String(16), nullable=False),
    Column("body", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    CheckConstraint(one_of("operation", Operation), name="operation_known"),
)

sandbox_faults = Table(
    "sandbox_faults",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("operation", String(16), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("payment_id", String(64), ForeignKey("sandbox_payments.id")),
    Column("created_at", DateTime(timezone=True), nullable=False),
    CheckConstraint(one_of("operation", Operation), name="operation_known"),
    CheckConstraint(one_of("kind", FaultKind), name="kind_known"),
)

sandbox_events = Table(
    "sandbox_events",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("type", String(64), nullable=False),
    Column("body", LargeBinary, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", DateTime(timezone=True)),
    Column("delivered_at", DateTime(timezone=True)),
    Column("last_error", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("attempts >= 0", name="attempts_non_negative"),
    CheckConstraint("delivered_at IS NULL OR next_attempt_at IS NULL", name="delivered_is_not_due"),
    # The sender's claim scans due events in order and stops at the first not yet due.
    Index("ix_sandbox_events_next_attempt_at", "next_attempt_at", "id"),
)
