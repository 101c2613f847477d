"""The same provider events in every order end in the same state, on both storages."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator

import pytest

from domain.orders import OrderStatus
from domain.payments import PaymentStatus, RefundStatus
from entrypoints.container import Storage, close_container
from tests.shop import Shop, open_shop


@pytest.fixture(params=["memory", pytest.param("postgres", marks=pytest.mark.postgres)])
def storage_url(request: pytest.FixtureRequest) -> tuple[Storage, str | None]:
    if request.param == "memory":
        return "memory", None
    return "postgres", request.getfixturevalue("clean_database")


@pytest.fixture
async def shop(storage_url: tuple[Storage, str | None]) -> AsyncIterator[Shop]:
    shop = await open_shop(*storage_url)
    yield shop
    await close_container(shop.container)


LIFECYCLE = ("payment.authorized", "payment.captured", "refund.succeeded:re_1", "refund.succeeded:re_2")


@pytest.mark.parametrize("ordering", list(itertools.permutations(LIFECYCLE)), ids=lambda o: ">".join(o))
async def test_events_in_any_order_end_in_the_same_state(shop: Shop, ordering: tuple[str, ...]) -> None:
    """A lifecycle of four provider events in all 24 orders: early ones fail and are retried."""
    order_id = await shop.order()
    payment = await shop.checkout(order_id, "manual")
    amounts = {"payment.authorized": 10000, "payment.captured": 10000, "re_1": 3000, "re_2": 7000}
    for name in ordering:
        type, _, refund_id = name.partition(":")
        await shop.deliver(type, payment, amounts[refund_id or type], refund_id or None)
    for _ in range(5):  # events that came too early are retried with back-off
        shop.clock.advance(hours=1)
        await shop.container.process_webhooks()(100)
    final = await shop.payment(payment.id)
    assert (final.status, final.amount_captured, final.amount_refunded) == (PaymentStatus.REFUNDED, 10000, 10000)
    details = await shop.container.get_order()(order_id)
    assert details.order.status is OrderStatus.REFUNDED
    assert sorted((r.provider_refund_id, r.amount, r.status) for r in details.refunds) == [
        ("re_1", 3000, RefundStatus.SUCCEEDED), ("re_2", 7000, RefundStatus.SUCCEEDED)]
    assert (await shop.container.get_product()("day-pass")).sold == 0
    for refund in details.refunds:  # made at the provider: recorded as they happened
        assert await shop.audit_actions(refund.id) == ["refund.succeeded"]
