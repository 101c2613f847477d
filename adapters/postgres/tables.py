"""The schema, as SQLAlchemy Core metadata. Alembic migrations must build exactly this.

Constraints here are the last line of defence for the domain's invariants: even a buggy
code path cannot oversell, store a negative amount or duplicate an order number.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

from domain.payments import PROVIDERS, ActionKind, CaptureMethod, PaymentStatus, RefundStatus

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)

ORDER_STATUSES = ("pending", "processing", "completed", "partially_refunded", "refunded", "cancelled", "failed")


def one_of(column: str, values: Iterable[str]) -> str:
    """An IN list for a status-like column; enum members contribute their values, so a check
    built from a domain enum cannot drift from it."""
    return f"{column} IN ({', '.join(repr(str(value)) for value in values)})"


def _timestamps() -> list[Column]:
    return [
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("updated_at", DateTime(timezone=True), nullable=False),
    ]


products = Table(
    "products",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("sku", String(64, collation="C"), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(64), nullable=False),
    Column("unit_amount", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("capacity", Integer, nullable=True),
    Column("sold", Integer, nullable=False, server_default=text("0")),
    Column("active", Boolean, nullable=False, server_default=text("true")),
    Column("metadata", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    *_timestamps(),
    CheckConstraint("unit_amount >= 0", name="unit_amount_non_negative"),
    CheckConstraint("capacity IS NULL OR capacity >= 0", name="capacity_non_negative"),
    CheckConstraint("sold >= 0", name="sold_non_negative"),
    CheckConstraint("capacity IS NULL OR sold <= capacity", name="sold_within_capacity"),
    CheckConstraint("currency ~ '^[A-Z]{3}$'", name="currency_iso4217"),
)

customers = Table(
    "customers",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("email", String(254), nullable=False, unique=True),
    Column("first_name", String(200)),
    Column("last_name", String(200)),
    Column("phone", String(200)),
    *_timestamps(),
    CheckConstraint("email = lower(btrim(email))", name="email_normalised"),
)

orders = Table(
    "orders",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("number", String(32), nullable=False, unique=True),
    Column("customer_id", UUID(as_uuid=True), ForeignKey("customers.id"), nullable=False),
    Column("status", String(32), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("subtotal", BigInteger, nullable=False),
    Column("total", BigInteger, nullable=False),
    Column("amount_paid", BigInteger, nullable=False, server_default=text("0")),
    Column("amount_refunded", BigInteger, nullable=False, server_default=text("0")),
    Column("event_id", String(100)),
    Column("event_name", String(200)),
    Column("event_date", Date),
    Column("metadata", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    *_timestamps(),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    # The client's Idempotency-Key (per API key) for the request that placed it.
    Column("request_key", Text, unique=True),
    CheckConstraint("subtotal >= 0", name="subtotal_non_negative"),
    CheckConstraint("total >= 0", name="total_non_negative"),
    CheckConstraint("amount_paid >= 0", name="amount_paid_non_negative"),
    CheckConstraint("amount_refunded >= 0 AND amount_refunded <= amount_paid", name="refunded_within_paid"),
    CheckConstraint(one_of("status", ORDER_STATUSES), name="status_known"),
    CheckConstraint("currency ~ '^[A-Z]{3}$'", name="currency_iso4217"),
    Index("ix_orders_created_at_id", text("created_at DESC"), text("id DESC")),
    # Every filtered search pages by (created_at, id) newest first: each index ends with both.
    Index("ix_orders_customer_id_created_at", "customer_id", text("created_at DESC"), text("id DESC")),
    Index("ix_orders_status_created_at", "status", text("created_at DESC"), text("id DESC")),
    Index("ix_orders_event_id_created_at", "event_id", text("created_at DESC"), text("id DESC")),
    Index(
        "ix_orders_pending_expires_at", "expires_at", "id", postgresql_where=text("((status)::text = 'pending'::text)")
    ),
)

order_lines = Table(
    "order_lines",
    metadata,
    Column("order_id", UUID(as_uuid=True), ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("product_id", UUID(as_uuid=True), ForeignKey("products.id"), nullable=False),
    Column("sku", String(64, collation="C"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("kind", String(64), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("unit_amount", BigInteger, nullable=False),
    Column("total", BigInteger, nullable=False),
    Column("attendee_first_name", String(200)),
    Column("attendee_last_name", String(200)),
    Column("attendee_email", String(254)),
    CheckConstraint("quantity >= 1", name="quantity_positive"),
    CheckConstraint("unit_amount >= 0", name="unit_amount_non_negative"),
    CheckConstraint("total = unit_amount * quantity", name="total_is_price_times_quantity"),
    Index("ix_order_lines_product_id", "product_id"),
)

order_number_counters = Table(
    "order_number_counters",
    metadata,
    Column("day", Date, primary_key=True),
    Column("last_value", Integer, nullable=False),
    CheckConstraint("last_value >= 1", name="last_value_positive"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("entity_type", String(32), nullable=False),
    Column("entity_id", UUID(as_uuid=True), nullable=False),
    Column("action", String(64), nullable=False),
    Column("from_status", String(32)),
    Column("to_status", String(32)),
    Column("amount", BigInteger),
    Column("currency", String(3)),
    Column("actor", String(128), nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("details", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    # The trail is read oldest first by (occurred_at, id), mostly for one entity.
    Index("ix_audit_log_entity_id_occurred_at", "entity_id", "occurred_at", "id"),
    Index("ix_audit_log_occurred_at", "occurred_at", "id"),
)

WEBHOOK_STATUSES = ("received", "processed", "ignored", "failed", "dead")

webhook_events = Table(
    "webhook_events",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("provider", String(32), nullable=False),
    Column("provider_event_id", String(255), nullable=False),
    Column("type", String(128), nullable=False),
    Column("payload", LargeBinary, nullable=False),
    Column("headers", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("signature_verified", Boolean, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("last_error", Text),
    Column("next_attempt_at", DateTime(timezone=True)),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("processed_at", DateTime(timezone=True)),
    # The inbox's deduplication: concurrent deliveries of one event race on this constraint.
    UniqueConstraint("provider", "provider_event_id"),
    CheckConstraint(one_of("status", WEBHOOK_STATUSES), name="status_known"),
    CheckConstraint("attempts >= 0", name="attempts_non_negative"),
    # Only due statuses have a next attempt, so the worker's claim needs no status filter and
    # its index scan stops at the first row not yet due (NULLs sort last).
    CheckConstraint(
        "(next_attempt_at IS NOT NULL) = (status IN ('received', 'failed'))", name="next_attempt_only_when_due"
    ),
    Index("ix_webhook_events_next_attempt_at", "next_attempt_at", "id"),
    Index("ix_webhook_events_received_at_id", text("received_at DESC"), text("id DESC")),
)

API_KEY_SCOPES = ("storefront", "admin")

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("scope", String(16), nullable=False),
    Column("prefix", String(16), nullable=False),
    # SHA-256 of the secret, never the secret: every request finds its key through this index.
    Column("secret_hash", LargeBinary, nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True)),
    CheckConstraint(one_of("scope", API_KEY_SCOPES), name="scope_known"),
    CheckConstraint("octet_length(secret_hash) = 32", name="secret_hash_is_sha256"),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("api_key_id", UUID(as_uuid=True), ForeignKey("api_keys.id"), primary_key=True),
    Column("key", String(255, collation="C"), primary_key=True),
    Column("fingerprint", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("locked_at", DateTime(timezone=True)),
    Column("response_status", Integer),
    Column("response_content_type", String(255)),
    Column("response_body", LargeBinary),
    # A record is either running (locked, no response) or answered (a response, unlocked),
    # except a running one whose request died: the lock then times out.
    CheckConstraint(
        "(response_status IS NULL) = (response_body IS NULL)"
        " AND (response_status IS NULL) = (response_content_type IS NULL)",
        name="response_complete",
    ),
    # The purge deletes by age.
    Index("ix_idempotency_keys_created_at", "created_at"),
)

# Payments and refunds mirror domain/payments.py; the known values come from its enums, so a
# value added there fails the migration test until a migration allows it here too.
payments = Table(
    "payments",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("order_id", UUID(as_uuid=True), ForeignKey("orders.id"), nullable=False),
    Column("provider", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("capture_method", Text, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    *_timestamps(),
    Column("provider_payment_id", Text),
    Column("client_secret", Text),
    Column("approval_url", Text),
    Column("amount_authorized", BigInteger, nullable=False, server_default=text("0")),
    Column("amount_captured", BigInteger, nullable=False, server_default=text("0")),
    Column("amount_refunded", BigInteger, nullable=False, server_default=text("0")),
    Column("amount_refund_pending", BigInteger, nullable=False, server_default=text("0")),
    # The PendingAction: a provider call whose outcome is unknown, re-run once its lease ends.
    Column("action_kind", Text),
    Column("action_amount", BigInteger),
    Column("action_lease_until", DateTime(timezone=True)),
    Column("failure_reason", Text),
    # Provider events find their payment by the provider's id; NULLs (not yet created at the
    # provider) are distinct, so only known ids are unique.
    UniqueConstraint("provider", "provider_payment_id", name="uq_payments_provider_payment_id"),
    CheckConstraint("amount > 0", name="amount_positive"),
    CheckConstraint(
        "amount_authorized >= 0 AND amount_captured >= 0 AND amount_refunded >= 0"
        " AND amount_refund_pending >= 0 AND (action_amount IS NULL OR action_amount >= 0)",
        name="amounts_non_negative",
    ),
    CheckConstraint("attempts >= 1", name="attempts_positive"),
    CheckConstraint("amount_captured <= amount_authorized", name="captured_within_authorized"),
    # Pending refunds reserve their amount, so concurrent refunds can never exceed the capture.
    CheckConstraint("amount_refunded + amount_refund_pending <= amount_captured", name="refunds_within_captured"),
    CheckConstraint(one_of("status", PaymentStatus), name="status_known"),
    CheckConstraint(one_of("provider", PROVIDERS), name="provider_known"),
    CheckConstraint(one_of("capture_method", CaptureMethod), name="capture_method_known"),
    CheckConstraint(one_of("action_kind", ActionKind), name="action_kind_known"),
    CheckConstraint(
        "(action_kind IS NULL) = (action_lease_until IS NULL) AND (action_kind IS NOT NULL OR action_amount IS NULL)",
        name="action_complete",
    ),
    CheckConstraint("currency ~ '^[A-Z]{3}$'", name="currency_iso4217"),
    Index("ix_payments_order_id_created_at", "order_id", "created_at", "id"),
    # Reconciliation walks a provider's open payments oldest first.
    Index(
        "ix_payments_open_provider_created_at",
        "provider",
        "created_at",
        "id",
        postgresql_where=text("(status = ANY (ARRAY['pending'::text, 'authorized'::text]))"),
    ),
    # The recovery job claims abandoned actions oldest lease first; only payments with an
    # action are indexed. The WHERE is written as PostgreSQL prints it back (see the migration test).
    Index(
        "ix_payments_action_lease_until",
        "action_lease_until",
        "id",
        postgresql_where=text("(action_kind IS NOT NULL)"),
    ),
)

refunds = Table(
    "refunds",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("payment_id", UUID(as_uuid=True), ForeignKey("payments.id"), nullable=False),
    Column("order_id", UUID(as_uuid=True), ForeignKey("orders.id"), nullable=False),
    Column("provider", Text, nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("reason", Text),
    Column("status", Text, nullable=False),
    Column("provider_refund_id", Text),
    Column("failure_reason", Text),
    Column("lease_until", DateTime(timezone=True)),
    # The client's Idempotency-Key (per API key): a retry finds its refund even when the stored
    # response was lost, so one request never refunds twice.
    Column("request_key", Text),
    *_timestamps(),
    UniqueConstraint("provider", "provider_refund_id", name="uq_refunds_provider_refund_id"),
    UniqueConstraint("payment_id", "request_key", name="uq_refunds_payment_id_request_key"),
    CheckConstraint("amount > 0", name="amount_positive"),
    CheckConstraint(one_of("status", RefundStatus), name="status_known"),
    CheckConstraint(one_of("provider", PROVIDERS), name="provider_known"),
    # Only a pending refund can have a provider call in flight.
    CheckConstraint("lease_until IS NULL OR status = 'pending'", name="lease_only_when_pending"),
    CheckConstraint("currency ~ '^[A-Z]{3}$'", name="currency_iso4217"),
    Index("ix_refunds_order_id_created_at", "order_id", "created_at", "id"),
    Index("ix_refunds_payment_id", "payment_id"),
    Index(
        "ix_refunds_lease_until",
        "lease_until",
        "id",
        postgresql_where=text("((status = 'pending'::text) AND (lease_until IS NOT NULL))"),
    ),
)

__all__ = [
    "metadata",
    "products",
    "customers",
    "orders",
    "order_lines",
    "order_number_counters",
    "audit_log",
    "webhook_events",
    "api_keys",
    "idempotency_keys",
    "payments",
    "refunds",
]
