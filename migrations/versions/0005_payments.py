"""Payments and refunds: money taken through a provider for an order, and money given back.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PROVIDERS = "'stripe', 'paypal', 'sandbox'"
PAYMENT_STATUSES = "'pending', 'authorized', 'captured', 'partially_refunded', 'refunded', 'failed', 'canceled', 'expired'"
CAPTURE_METHODS = "'automatic', 'manual'"
ACTION_KINDS = "'create', 'capture', 'cancel'"
REFUND_STATUSES = "'pending', 'succeeded', 'failed'"


def timestamps() -> list[sa.Column]:
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    ]


def upgrade() -> None:
    create_payments()
    create_refunds()


def downgrade() -> None:
    op.drop_table("refunds")
    op.drop_table("payments")


def create_payments() -> None:
    op.create_table(
        "payments",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("order_id", sa.UUID(), nullable=False),
        sa.Column("provider", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("capture_method", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        *timestamps(),
        sa.Column("provider_payment_id", sa.Text(), nullable=True),
        sa.Column("client_secret", sa.Text(), nullable=True),
        sa.Column("approval_url", sa.Text(), nullable=True),
        sa.Column("amount_authorized", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("amount_captured", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("amount_refunded", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("amount_refund_pending", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("action_kind", sa.Text(), nullable=True),
        sa.Column("action_amount", sa.BigInteger(), nullable=True),
        sa.Column("action_lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failure_reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_payments_order_id_orders")),
        sa.UniqueConstraint("provider", "provider_payment_id", name=op.f("uq_payments_provider_payment_id")),
        sa.CheckConstraint("amount > 0", name=op.f("ck_payments_amount_positive")),
        sa.CheckConstraint(
            "amount_authorized >= 0 AND amount_captured >= 0 AND amount_refunded >= 0"
            " AND amount_refund_pending >= 0 AND (action_amount IS NULL OR action_amount >= 0)",
            name=op.f("ck_payments_amounts_non_negative"),
        ),
        sa.CheckConstraint("attempts >= 1", name=op.f("ck_payments_attempts_positive")),
        sa.CheckConstraint(
            "amount_captured <= amount_authorized", name=op.f("ck_payments_captured_within_authorized")
        ),
        sa.CheckConstraint(
            "amount_refunded + amount_refund_pending <= amount_captured",
            name=op.f("ck_payments_refunds_within_captured"),
        ),
        sa.CheckConstraint(f"status IN ({PAYMENT_STATUSES})", name=op.f("ck_payments_status_known")),
        sa.CheckConstraint(f"provider IN ({PROVIDERS})", name=op.f("ck_payments_provider_known")),
        sa.CheckConstraint(f"capture_method IN ({CAPTURE_METHODS})", name=op.f("ck_payments_capture_method_known")),
        sa.CheckConstraint(f"action_kind IN ({ACTION_KINDS})", name=op.f("ck_payments_action_kind_known")),
        sa.CheckConstraint(
            "(action_kind IS NULL) = (action_lease_until IS NULL)"
            " AND (action_kind IS NOT NULL OR action_amount IS NULL)",
            name=op.f("ck_payments_action_complete"),
        ),
        sa.CheckConstraint("currency ~ '^[A-Z]{3}$'", name=op.f("ck_payments_currency_iso4217")),
    )
    op.create_index("ix_payments_order_id_created_at", "payments", ["order_id", "created_at", "id"])
    op.create_index(
        "ix_payments_action_lease_until",
        "payments",
        ["action_lease_until", "id"],
        postgresql_where=sa.text("(action_kind IS NOT NULL)"),
    )


def create_refunds() -> None:
    op.create_table(
        "refunds",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("payment_id", sa.UUID(), nullable=False),
        sa.Column("order_id", sa.UUID(), nullable=False),
        sa.Column("provider", sa.Text(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("provider_refund_id", sa.Text(), nullable=True),
        sa.Column("failure_reason", sa.Text(), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("request_key", sa.Text(), nullable=True),
        *timestamps(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refunds")),
        sa.ForeignKeyConstraint(["payment_id"], ["payments.id"], name=op.f("fk_refunds_payment_id_payments")),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_refunds_order_id_orders")),
        sa.UniqueConstraint("provider", "provider_refund_id", name=op.f("uq_refunds_provider_refund_id")),
        sa.UniqueConstraint("payment_id", "request_key", name=op.f("uq_refunds_payment_id_request_key")),
        sa.CheckConstraint("amount > 0", name=op.f("ck_refunds_amount_positive")),
        sa.CheckConstraint(f"status IN ({REFUND_STATUSES})", name=op.f("ck_refunds_status_known")),
        sa.CheckConstraint(f"provider IN ({PROVIDERS})", name=op.f("ck_refunds_provider_known")),
        sa.CheckConstraint(
            "lease_until IS NULL OR status = 'pending'", name=op.f("ck_refunds_lease_only_when_pending")
        ),
        sa.CheckConstraint("currency ~ '^[A-Z]{3}$'", name=op.f("ck_refunds_currency_iso4217")),
    )
    op.create_index("ix_refunds_order_id_created_at", "refunds", ["order_id", "created_at", "id"])
    op.create_index("ix_refunds_payment_id", "refunds", ["payment_id"])
    op.create_index(
        "ix_refunds_lease_until",
        "refunds",
        ["lease_until", "id"],
        postgresql_where=sa.text("status = 'pending' AND lease_until IS NOT NULL"),
    )
