"""Webhook inbox: provider events, unique per (provider, provider_event_id), with their processing state.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WEBHOOK_STATUSES = "'received', 'processed', 'ignored', 'failed', 'dead'"


def upgrade() -> None:
    op.create_table(
        "webhook_events",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("provider_event_id", sa.String(255), nullable=False),
        sa.Column("type", sa.String(128), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("headers", postgresql.JSONB(), server_default=sa.text("'{}'::jsonb"), nullable=False),
        sa.Column("signature_verified", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_events")),
        sa.UniqueConstraint("provider", "provider_event_id", name=op.f("uq_webhook_events_provider")),
        sa.CheckConstraint(f"status IN ({WEBHOOK_STATUSES})", name=op.f("ck_webhook_events_status_known")),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_webhook_events_attempts_non_negative")),
        sa.CheckConstraint(
            "(next_attempt_at IS NOT NULL) = (status IN ('received', 'failed'))",
            name=op.f("ck_webhook_events_next_attempt_only_when_due"),
        ),
    )
    op.create_index("ix_webhook_events_next_attempt_at", "webhook_events", ["next_attempt_at", "id"])
    op.create_index(
        "ix_webhook_events_received_at_id", "webhook_events", [sa.text("received_at DESC"), sa.text("id DESC")]
    )


def downgrade() -> None:
    op.drop_table("webhook_events")
