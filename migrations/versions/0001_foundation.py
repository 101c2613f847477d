"""Foundation: catalog, customers, orders, order numbers and the append-only audit log.

Revision ID: 0001
Revises:
Create Date: 2026-11-21

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ORDER_STATUSES = "'pending', 'processing', 'completed', 'partially_refunded', 'refunded', 'cancelled', 'failed'"

FORBID_AUDIT_CHANGES = """
CREATE FUNCTION audit_log_forbid_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP;
END
$$
"""

AUDIT_APPEND_ONLY = """
CREATE TRIGGER audit_log_append_only
BEFORE UPDATE OR DELETE ON audit_log
FOR EACH STATEMENT EXECUTE FUNCTION audit_log_forbid_change()
"""


def timestamps() -> list[sa.Column]:
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    ]


def upgrade() -> None:
    create_products()
    create_customers()
    create_orders()
    create_order_lines()
    create_order_number_counters()
    create_audit_log()


def downgrade() -> None:
    op.execute("DROP TRIGGER audit_log_append_only ON audit_log")
    op.execute("DROP FUNCTION audit_log_forbid_change()")
    op.drop_table("audit_log")
    op.drop_table("order_number_counters")
    op.drop_table("order_lines")
    op.drop_table("orders")
    op.drop_table("customers")
    op.drop_table("products")


def create_products() -> None:
    op.create_table(
        "products",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("sku", sa.String(64, collation="C"), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("unit_amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("sold", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("metadata", postgresql.JSONB(), server_default=sa.text("'{}'::jsonb"), nullable=False),
        *timestamps(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_products")),
        sa.UniqueConstraint("sku", name=op.f("uq_products_sku")),
        sa.CheckConstraint("unit_amount >= 0", name=op.f("ck_products_unit_amount_non_negative")),
        sa.CheckConstraint("capacity IS NULL OR capacity >= 0", name=op.f("ck_products_capacity_non_negative")),
        sa.CheckConstraint("sold >= 0", name=op.f("ck_products_sold_non_negative")),
        sa.CheckConstraint("capacity IS NULL OR sold <= capacity", name=op.f("ck_products_sold_within_capacity")),
        sa.CheckConstraint("currency ~ '^[A-Z]{3}$'", name=op.f("ck_products_currency_iso4217")),
    )


def create_customers() -> None:
    op.create_table(
        "customers",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("first_name", sa.String(200), nullable=True),
        sa.Column("last_name", sa.String(200), nullable=True),
        sa.Column("phone", sa.String(200), nullable=True),
        *timestamps(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customers")),
        sa.UniqueConstraint("email", name=op.f("uq_customers_email")),
        sa.CheckConstraint("email = lower(btrim(email))", name=op.f("ck_customers_email_normalised")),
    )


def create_orders() -> None:
    op.create_table(
        "orders",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("number", sa.String(32), nullable=False),
        sa.Column("customer_id", sa.UUID(), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("subtotal", sa.BigInteger(), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("amount_paid", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("amount_refunded", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("event_id", sa.String(100), nullable=True),
        sa.Column("event_name", sa.String(200), nullable=True),
        sa.Column("event_date", sa.Date(), nullable=True),
        sa.Column("metadata", postgresql.JSONB(), server_default=sa.text("'{}'::jsonb"), nullable=False),
        *timestamps(),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
        sa.UniqueConstraint("number", name=op.f("uq_orders_number")),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], name=op.f("fk_orders_customer_id_customers")),
        sa.CheckConstraint("subtotal >= 0", name=op.f("ck_orders_subtotal_non_negative")),
        sa.CheckConstraint("total >= 0", name=op.f("ck_orders_total_non_negative")),
        sa.CheckConstraint("amount_paid >= 0", name=op.f("ck_orders_amount_paid_non_negative")),
        sa.CheckConstraint(
            "amount_refunded >= 0 AND amount_refunded <= amount_paid", name=op.f("ck_orders_refunded_within_paid")
        ),
        sa.CheckConstraint(f"status IN ({ORDER_STATUSES})", name=op.f("ck_orders_status_known")),
        sa.CheckConstraint("currency ~ '^[A-Z]{3}$'", name=op.f("ck_orders_currency_iso4217")),
    )
    op.create_index("ix_orders_created_at_id", "orders", [sa.text("created_at DESC"), sa.text("id DESC")])
    op.create_index("ix_orders_customer_id_created_at", "orders", ["customer_id", sa.text("created_at DESC"), sa.text("id DESC")])
    op.create_index("ix_orders_status_created_at", "orders", ["status", sa.text("created_at DESC"), sa.text("id DESC")])
    op.create_index("ix_orders_event_id_created_at", "orders", ["event_id", sa.text("created_at DESC"), sa.text("id DESC")])


def create_order_lines() -> None:
    op.create_table(
        "order_lines",
        sa.Column("order_id", sa.UUID(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.UUID(), nullable=False),
        sa.Column("sku", sa.String(64, collation="C"), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_amount", sa.BigInteger(), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("attendee_first_name", sa.String(200), nullable=True),
        sa.Column("attendee_last_name", sa.String(200), nullable=True),
        sa.Column("attendee_email", sa.String(254), nullable=True),
        sa.PrimaryKeyConstraint("order_id", "position", name=op.f("pk_order_lines")),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_order_lines_order_id_orders"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["product_id"], ["products.id"], name=op.f("fk_order_lines_product_id_products")),
        sa.CheckConstraint("quantity >= 1", name=op.f("ck_order_lines_quantity_positive")),
        sa.CheckConstraint("unit_amount >= 0", name=op.f("ck_order_lines_unit_amount_non_negative")),
        sa.CheckConstraint(
            "total = unit_amount * quantity", name=op.f("ck_order_lines_total_is_price_times_quantity")
        ),
    )
    op.create_index("ix_order_lines_product_id", "order_lines", ["product_id"])


def create_order_number_counters() -> None:
    op.create_table(
        "order_number_counters",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("last_value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_order_number_counters")),
        sa.CheckConstraint("last_value >= 1", name=op.f("ck_order_number_counters_last_value_positive")),
    )


def create_audit_log() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("entity_type", sa.String(32), nullable=False),
        sa.Column("entity_id", sa.UUID(), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("from_status", sa.String(32), nullable=True),
        sa.Column("to_status", sa.String(32), nullable=True),
        sa.Column("amount", sa.BigInteger(), nullable=True),
        sa.Column("currency", sa.String(3), nullable=True),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("details", postgresql.JSONB(), server_default=sa.text("'{}'::jsonb"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index("ix_audit_log_entity_id_occurred_at", "audit_log", ["entity_id", "occurred_at", "id"])
    op.create_index("ix_audit_log_occurred_at", "audit_log", ["occurred_at", "id"])
    op.execute(FORBID_AUDIT_CHANGES)
    op.execute(AUDIT_APPEND_ONLY)
