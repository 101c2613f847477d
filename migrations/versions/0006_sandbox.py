"""The sandbox provider's own state: payments, refunds, idempotency keys, faults, webhook outbox.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PAYMENT_STATUSES = "'pending', 'authorized', 'captured', 'partially_refunded', 'refunded', 'failed', 'canceled', 'expired'"
CAPTURE_METHODS = "'automatic', 'manual'"
REFUND_STATUSES = "'pending', 'succeeded', 'failed'"
OPERATIONS = "'create', 'capture', 'cancel', 'refund'"
FAULT_KINDS = "'decline', 'timeout', 'fail'"


def upgrade() -> None:
    op.create_table(
        "sandbox_payments",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("capture_method", sa.String(16), nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("description", sa.String(200), nullable=False),
        sa.Column("return_url", sa.Text(), nullable=True),
        sa.Column("cancel_url", sa.Text(), nullable=True),
        sa.Column("amount_authorized", sa.BigInteger(), nullable=False),
        sa.Column("amount_captured", sa.BigInteger(), nullable=False),
        sa.Column("amount_refunded", sa.BigInteger(), nullable=False),
        sa.Column("capture_count", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sandbox_payments")),
        sa.CheckConstraint(f"status IN ({PAYMENT_STATUSES})", name=op.f("ck_sandbox_payments_status_known")),
        sa.CheckConstraint(
            f"capture_method IN ({CAPTURE_METHODS})", name=op.f("ck_sandbox_payments_capture_method_known")
        ),
        sa.CheckConstraint("amount >= 1", name=op.f("ck_sandbox_payments_amount_positive")),
        sa.CheckConstraint(
            "amount_authorized <= amount AND amount_captured <= amount_authorized"
            " AND amount_refunded >= 0 AND amount_refunded <= amount_captured",
            name=op.f("ck_sandbox_payments_amounts_within_bounds"),
        ),
        sa.CheckConstraint("capture_count IN (0, 1)", name=op.f("ck_sandbox_payments_captured_at_most_once")),
    )
    op.create_index("ix_sandbox_payments_status_expires_at", "sandbox_payments", ["status", "expires_at"])

    op.create_table(
        "sandbox_refunds",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("payment_id", sa.String(64), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sandbox_refunds")),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["sandbox_payments.id"], name=op.f("fk_sandbox_refunds_payment_id_sandbox_payments")
        ),
        sa.CheckConstraint(f"status IN ({REFUND_STATUSES})", name=op.f("ck_sandbox_refunds_status_known")),
        sa.CheckConstraint("amount >= 1", name=op.f("ck_sandbox_refunds_amount_positive")),
    )
    op.create_index("ix_sandbox_refunds_payment_id", "sandbox_refunds", ["payment_id", "created_at"])

    op.create_table(
        "sandbox_idempotency_keys",
        sa.Column("key", sa.String(255, collation="C"), nullable=False),
        sa.Column("operation", sa.String(16), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_sandbox_idempotency_keys")),
        sa.CheckConstraint(f"operation IN ({OPERATIONS})", name=op.f("ck_sandbox_idempotency_keys_operation_known")),
    )

    op.create_table(
        "sandbox_faults",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("operation", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("payment_id", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sandbox_faults")),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["sandbox_payments.id"], name=op.f("fk_sandbox_faults_payment_id_sandbox_payments")
        ),
        sa.CheckConstraint(f"operation IN ({OPERATIONS})", name=op.f("ck_sandbox_faults_operation_known")),
        sa.CheckConstraint(f"kind IN ({FAULT_KINDS})", name=op.f("ck_sandbox_faults_kind_known")),
    )

    op.create_table(
        "sandbox_events",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sandbox_events")),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_sandbox_events_attempts_non_negative")),
        sa.CheckConstraint(
            "delivered_at IS NULL OR next_attempt_at IS NULL", name=op.f("ck_sandbox_events_delivered_is_not_due")
        ),
    )
    op.create_index("ix_sandbox_events_next_attempt_at", "sandbox_events", ["next_attempt_at", "id"])


def downgrade() -> None:
    op.drop_table("sandbox_events")
    op.drop_table("sandbox_faults")
    op.drop_table("sandbox_idempotency_keys")
    op.drop_table("sandbox_refunds")
    op.drop_table("sandbox_payments")
