"""A fixed statement budget for each database phase of a capture and a refund on PostgreSQL.

Money moves in phases (application/provider_calls.py): the intent commits, the provider is
called outside any transaction, the answer commits. Each phase is one transaction whose every
statement is a round trip; with asyncpg BEGIN travels as its own message before the first
statement and COMMIT is one more, so both are counted. The counts are pinned: a change that
adds a round trip fails here and has to say why in the new pin.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from application.commands import CapturePayment, RefundPayment
from domain.orders import OrderStatus
from domain.payments import PaymentStatus, RefundStatus
from entrypoints.container import close_container
from tests.fakes.gateway import ScriptedGateway
from tests.shop import ACTOR, Shop, open_shop

pytestmark = pytest.mark.postgres

PROVIDER = "-- provider call --"


@pytest.fixture
async def shop(clean_database: str) -> AsyncIterator[Shop]:
    shop = await open_shop("postgres", clean_database)
    yield shop
    await close_container(shop.container)


def label(statement: str) -> str:
    """`SELECT payments`, `SELECT orders FOR UPDATE`, `UPDATE payments`, `INSERT audit_log`..."""
    sql = " ".join(statement.split())
    verb = sql.split(" ", 1)[0].upper()
    if verb == "INSERT":
        table = re.search(r"INSERT INTO (\w+)", sql, re.I)
    elif verb == "UPDATE":
        table = re.search(r"UPDATE (\w+)", sql, re.I)
    else:
        table = re.search(r"\bFROM (\w+)", sql, re.I)
    locked = " FOR UPDATE" if re.search(r"FOR UPDATE", sql, re.I) else ""
    return f"{verb} {table.group(1) if table else '?'}{locked}"


@contextmanager
def round_trips(engine: AsyncEngine, provider: ScriptedGateway) -> Iterator[list[list[str]]]:
    """Records BEGIN, every statement, COMMIT and ROLLBACK, split into one list per phase
    where the provider is called: [intent phase, result phase]."""
    sent: list[str] = []
    sync = engine.sync_engine

    def statement(conn: object, cursor: object, sql: str, *args: object) -> None:
        sent.append(label(sql))

    listeners = [
        ("before_cursor_execute", statement),
        ("begin", lambda *a: sent.append("BEGIN")),
        ("commit", lambda *a: sent.append("COMMIT")),
        ("rollback", lambda *a: sent.append("ROLLBACK")),
    ]
    for name, listener in listeners:
        event.listen(sync, name, listener)
    calls = {name: getattr(provider, name) for name in ("capture", "refund")}

    def marked(call):  # noqa: ANN001, ANN202
        async def call_and_mark(*args: object, **kwargs: object) -> object:
            sent.append(PROVIDER)
            return await call(*args, **kwargs)

        return call_and_mark

    for name, call in calls.items():
        setattr(provider, name, marked(call))
    phases: list[list[str]] = []
    try:
        yield phases
    finally:
        for name, listener in listeners:
            event.remove(sync, name, listener)
        for name in calls:
            delattr(provider, name)
    assert sent.count(PROVIDER) == 1, sent
    cut = sent.index(PROVIDER)
    phases.extend([sent[:cut], sent[cut + 1 :]])


async def test_a_capture_and_a_refund_each_send_a_fixed_number_of_statements_per_phase(shop: Shop) -> None:
    engine: AsyncEngine = shop.container.engine()
    order_id = await shop.order()
    payment = await shop.checkout(order_id, "manual")
    await shop.approve(payment)
    assert (await shop.payment(payment.id)).status is PaymentStatus.AUTHORIZED

    with round_trips(engine, shop.provider) as capture:
        captured = await shop.container.capture_payment()(CapturePayment(payment.id, ACTOR, amount=6000))
    assert (captured.status, captured.amount_captured) == (PaymentStatus.CAPTURED, 6000)
    assert await shop.order_status(order_id) is OrderStatus.COMPLETED

    with round_trips(engine, shop.provider) as refund:
        refunded = await shop.container.refund_payment()(RefundPayment(payment.id, ACTOR, amount=2500, reason="bench"))
    assert (refunded.status, refunded.amount) == (RefundStatus.SUCCEEDED, 2500)
    assert await shop.order_status(order_id) is OrderStatus.PARTIALLY_REFUNDED

    capture_intent, capture_result = capture
    refund_intent, refund_result = refund
    # CapturePayment, committing the intent (the payment's pending capture):
    #   BEGIN; SELECT payments (its order's id); SELECT orders FOR UPDATE (with its lines);
    #   SELECT payments FOR UPDATE; UPDATE payments (the pending action);
    #   INSERT audit_log (payment.capture_requested); COMMIT
    assert len(capture_intent) == 7, capture_intent
    # ProviderCalls.record, committing the provider's answer (the order's id is known):
    #   BEGIN; SELECT orders FOR UPDATE; SELECT payments FOR UPDATE;
    #   UPDATE payments (captured); INSERT audit_log (payment.captured);
    #   Settlement: SELECT payments (all of the order's); UPDATE orders;
    #   INSERT audit_log (order.completed); COMMIT
    assert len(capture_result) == 9, capture_result
    # RefundPayment, committing the pending refund and its reservation (no idempotency key, so
    # no lookup by request key):
    #   BEGIN; SELECT payments (its order's id); SELECT orders FOR UPDATE; SELECT payments FOR UPDATE;
    #   UPDATE payments (amount_refund_pending); INSERT refunds; INSERT audit_log (refund.requested); COMMIT
    assert len(refund_intent) == 8, refund_intent
    # ProviderCalls._record_refund, committing the provider's answer (payment and order ids known):
    #   BEGIN; SELECT orders FOR UPDATE; SELECT payments FOR UPDATE; SELECT refunds FOR UPDATE;
    #   UPDATE refunds (succeeded); UPDATE payments (the reservation becomes refunded);
    #   INSERT audit_log (refund.succeeded);
    #   Settlement: SELECT payments (all of the order's); UPDATE orders;
    #   INSERT audit_log (order.partially_refunded); COMMIT
    assert len(refund_result) == 11, refund_result
    assert "ROLLBACK" not in capture_intent + capture_result + refund_intent + refund_result
