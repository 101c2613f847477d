from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta

from application.ports import UnitOfWorkFactory
from domain.orders import Order
from domain.payments import ACTION_LEASE, Payment, Refund, RefundStatus
from tests.contract.builders import T0, a_captured_payment, a_refund, new_id, placed_orders, recorded


def an_external_refund(payment: Payment, provider_refund_id: str, *, at: datetime = T0) -> Refund:
    return Refund.external(id=new_id(), payment=payment, amount=100, provider_refund_id=provider_refund_id, now=at)


async def test_an_added_refund_reads_back_equal_with_its_lease(uow_factory: UnitOfWorkFactory, placed_order: Order) -> None:
    payment = a_captured_payment(placed_order)
    pending = a_refund(payment, 700)
    failed = a_refund(payment, 300)
    failed.apply_submitted("re_failed", T0 + timedelta(seconds=5))
    failed.apply_outcome(False, "expired_card", T0 + timedelta(seconds=6))
    await recorded(uow_factory, payment, pending, failed)
    async with uow_factory() as uow:
        for refund in (pending, failed):
            assert await uow.refunds.get(refund.id) == refund
            assert await uow.refunds.get(refund.id, lock=True) == refund
    assert (pending.reason, pending.lease_until) == ("changed plans", T0 + ACTION_LEASE)
    assert (failed.status, failed.failure_reason, failed.lease_until) == (RefundStatus.FAILED, "expired_card", None)


async def test_an_unknown_refund_reads_as_none(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        assert await uow.refunds.get(new_id()) is None
        assert await uow.refunds.get(new_id(), lock=True) is None
        assert await uow.refunds.get_by_provider_id("sandbox", "re_unknown") is None


async def test_a_refund_is_found_by_its_provider_and_the_provider_id(
    uow_factory: UnitOfWorkFactory, placed_order: Order
) -> None:
    payment = a_captured_payment(placed_order)
    external = an_external_refund(payment, "re_1")
    not_yet_submitted = a_refund(payment)
    await recorded(uow_factory, payment, external, not_yet_submitted)
    async with uow_factory() as uow:
        assert await uow.refunds.get_by_provider_id("sandbox", "re_1") == external
        assert await uow.refunds.get_by_provider_id("sandbox", "re_1", lock=True) == external
        assert await uow.refunds.get_by_provider_id("stripe", "re_1") is None
        assert await uow.refunds.get_by_provider_id("sandbox", "re_2") is None


async def test_an_orders_refunds_are_listed_oldest_first(uow_factory: UnitOfWorkFactory) -> None:
    order, other_order = await placed_orders(uow_factory, 2)
    payment, other_payment = a_captured_payment(order), a_captured_payment(other_order)
    low, high = sorted([new_id(), new_id()])
    newest = a_refund(payment, at=T0 + timedelta(minutes=2))
    tie_high = a_refund(payment, at=T0 + timedelta(minutes=1), id=high)
    tie_low = a_refund(payment, at=T0 + timedelta(minutes=1), id=low)
    oldest = an_external_refund(payment, "re_oldest")
    await recorded(uow_factory, payment, other_payment, newest, tie_high, a_refund(other_payment), oldest, tie_low)
    async with uow_factory() as uow:
        assert await uow.refunds.list_for_order(order.id) == [oldest, tie_low, tie_high, newest]
        assert await uow.refunds.list_for_order(new_id()) == []


async def test_a_saved_refund_persists_its_outcome(uow_factory: UnitOfWorkFactory, placed_order: Order) -> None:
    payment = a_captured_payment(placed_order)
    refund = a_refund(payment)
    await recorded(uow_factory, payment, refund)

    async def saved(change: Callable[[Refund], object]) -> Refund:
        async with uow_factory() as uow:
            loaded = await uow.refunds.get(refund.id, lock=True)
            change(loaded)
            await uow.refunds.save(loaded)
            await uow.commit()
        async with uow_factory() as uow:
            assert await uow.refunds.get(refund.id) == loaded
        return loaded

    submitted = await saved(lambda r: r.apply_submitted("re_saved", T0 + timedelta(seconds=5)))
    assert (submitted.provider_refund_id, submitted.lease_until) == ("re_saved", None)
    failed = await saved(lambda r: r.apply_outcome(False, "insufficient_balance", T0 + timedelta(minutes=1)))
    assert (failed.status, failed.failure_reason) == (RefundStatus.FAILED, "insufficient_balance")


async def test_claim_returns_pending_refunds_whose_lease_ended_oldest_lease_first(
    uow_factory: UnitOfWorkFactory, placed_order: Order
) -> None:
    now = T0 + timedelta(minutes=10)
    payment = a_captured_payment(placed_order)
    oldest = a_refund(payment, at=T0)
    timed_out = a_refund(payment, at=T0 + timedelta(minutes=4))
    timed_out.abandon(T0 + timedelta(minutes=5))
    ending_now = a_refund(payment, at=now - ACTION_LEASE)
    running = a_refund(payment, at=now - ACTION_LEASE + timedelta(microseconds=1))
    awaiting_its_event = a_refund(payment, at=T0)
    awaiting_its_event.apply_submitted("re_submitted", T0)
    succeeded = a_refund(payment, at=T0)
    succeeded.apply_outcome(True, None, T0 + timedelta(seconds=1))
    external = an_external_refund(payment, "re_external")
    await recorded(
        uow_factory, payment, running, awaiting_its_event, succeeded, external, ending_now, timed_out, oldest
    )

    async with uow_factory() as uow:
        assert await uow.refunds.claim_abandoned(now, 10) == [oldest, timed_out, ending_now]
        assert await uow.refunds.claim_abandoned(now, 1) == [oldest]
        assert await uow.refunds.claim_abandoned(T0, 10) == []


async def test_an_uncommitted_refund_leaves_nothing(uow_factory: UnitOfWorkFactory, placed_order: Order) -> None:
    payment = a_captured_payment(placed_order)
    await recorded(uow_factory, payment)
    refund = a_refund(payment)
    async with uow_factory() as uow:
        await uow.refunds.add(refund)
        await uow.payments.save(payment)
    async with uow_factory() as uow:
        assert await uow.refunds.get(refund.id) is None
        assert await uow.refunds.list_for_order(placed_order.id) == []
        assert (await uow.payments.get(payment.id)).amount_refund_pending == 0


async def test_concurrent_outcomes_of_one_refund_apply_once(uow_factory: UnitOfWorkFactory, placed_order: Order) -> None:
    """Duplicate provider events lock the refund by its provider id: only the first applies."""
    payment = a_captured_payment(placed_order)
    refund = a_refund(payment)
    refund.apply_submitted("re_race", T0)
    await recorded(uow_factory, payment, refund)

    async def apply_outcome() -> bool:
        async with uow_factory() as uow:
            found = await uow.refunds.get_by_provider_id("sandbox", "re_race", lock=True)
            applied = found.apply_outcome(True, None, T0 + timedelta(minutes=1))
            await uow.refunds.save(found)
            await uow.commit()
        return applied

    assert sorted(await asyncio.gather(*(apply_outcome() for _ in range(5)))) == [False] * 4 + [True]


async def test_a_refund_is_found_by_the_request_that_asked_for_it(uow_factory: UnitOfWorkFactory) -> None:
    order, other_order = await placed_orders(uow_factory, 2)
    payment, other_payment = a_captured_payment(order), a_captured_payment(other_order)
    asked = a_refund(payment, request_key="key-1:retry-me")
    other = a_refund(other_payment, request_key="key-1:retry-me")  # keys are unique per payment
    await recorded(uow_factory, payment, other_payment, asked, other, a_refund(payment))
    async with uow_factory() as uow:
        assert await uow.refunds.find_by_request_key(payment.id, "key-1:retry-me") == asked
        assert await uow.refunds.find_by_request_key(other_payment.id, "key-1:retry-me") == other
        assert await uow.refunds.find_by_request_key(payment.id, "key-2:retry-me") is None
