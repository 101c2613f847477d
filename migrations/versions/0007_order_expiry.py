"""Orders: an index over pending orders by expiry for the job that expires them, and the
Idempotency-Key of the request that placed each (so a retry finds its order even when the
stored response was lost). Payments: an index over each provider's open payments, for
reconciliation.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("orders", sa.Column("request_key", sa.Text(), nullable=True))
    op.create_unique_constraint(op.f("uq_orders_request_key"), "orders", ["request_key"])
    op.create_index(
        "ix_payments_open_provider_created_at",
        "payments",
        ["provider", "created_at", "id"],
        postgresql_where=sa.text("status IN ('pending', 'authorized')"),
    )
    op.create_index(
        "ix_orders_pending_expires_at",
        "orders",
        ["expires_at", "id"],
        postgresql_where=sa.text("status = 'pending'"),
    )


def downgrade() -> None:
    op.drop_index("ix_orders_pending_expires_at", table_name="orders")
    op.drop_index("ix_payments_open_provider_created_at", table_name="payments")
    op.drop_constraint(op.f("uq_orders_request_key"), "orders", type_="unique")
    op.drop_column("orders", "request_key")
