from __future__ import annotations

import asyncio
from datetime import timedelta

from application.ports import UnitOfWorkFactory
from domain.orders import Order
from domain.payments import ACTION_LEASE, ActionKind, AmountExceedsRefundable, CaptureMethod, Payment
from tests.contract.builders import T0, a_captured_payment, a_payment, new_id, placed_orders, recorded


def a_payment_with_every_field(order: Order) -> Payment:
    """Created, authorized, refused once (a failure reason) and capturing part of it again."""
    payment = a_payment(order, provider="stripe", capture_method=CaptureMethod.AUTOMATIC)
    payment.retry_checkout(T0 + timedelta(seconds=30))
    payment.apply_created("pi_every", "pi_every_secret", "https://pay.example/approve", T0 + timedelta(minutes=1))
    payment.apply_authorized(payment.amount, T0 + timedelta(minutes=2))
    payment.request_capture(None, T0 + timedelta(minutes=3))
    payment.drop_action(ActionKind.CAPTURE, "insufficient_funds", T0 + timedelta(minutes=4))
    payment.request_capture(payment.amount - 1, T0 + timedelta(minutes=5))
    return payment


async def test_an_added_payment_reads_back_equal_with_its_action(
    uow_factory: UnitOfWorkFactory, placed_order: Order
) -> None:
    new = a_payment(placed_order)
    every_field = a_payment_with_every_field(placed_order)
    await recorded(uow_factory, new, every_field)
    async with uow_factory() as uow:
        for payment in (new, every_field):
            assert await uow.payments.get(payment.id) == payment
            assert await uow.payments.get(payment.id, lock=True) == payment
    assert every_field.action is not None and every_field.action.amount == every_field.amount - 1
    assert (every_field.attempts, every_field.failure_reason) == (2, "insufficient_funds")


async def test_an_unknown_payment_reads_as_none(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        assert await uow.payments.get(new_id()) is None
        assert await uow.payments.get(new_id(), lock=True) is None
        assert await uow.payments.get_by_provider_id("sandbox", "pi_unknown") is None


async def test_a_payment_is_found_by_its_provider_and_the_provider_id(
    uow_factory: UnitOfWorkFactory, placed_order: Order
) -> None:
    sandbox = a_captured_payment(placed_order, provider_payment_id="pi_1")
    stripe = a_payment(placed_order, provider="stripe")
    stripe.apply_created("pi_1", None, None, T0)
    not_yet_created = a_payment(placed_order)
    await recorded(uow_factory, sandbox, stripe, not_yet_created)
    async with uow_factory() as uow:
        assert await uow.payments.get_by_provider_id("sandbox", "pi_1") == sandbox
        assert await uow.payments.get_by_provider_id("stripe", "pi_1", lock=True) == stripe
        assert await uow.payments.get_by_provider_id("paypal", "pi_1") is None
        assert await uow.payments.get_by_provider_id("sandbox", "pi_2") is None


async def test_an_orders_payments_are_listed_oldest_first(uow_factory: UnitOfWorkFactory) -> None:
    order, other_order = await placed_orders(uow_factory, 2)
    low, high = sorted([new_id(), new_id()])
    newest = a_payment(order, at=T0 + timedelta(minutes=2))
    tie_high = a_payment(order, at=T0 + timedelta(minutes=1), id=high)
    tie_low = a_payment(order, at=T0 + timedelta(minutes=1), id=low)
    oldest = a_payment(order, at=T0)
    await recorded(uow_factory, newest, tie_high, a_payment(other_order), oldest, tie_low)
    async with uow_factory() as uow:
        assert await uow.payments.list_for_order(order.id) == [oldest, tie_low, tie_high, newest]
        assert await uow.payments.list_for_order(new_id()) == []


async def test_a_saved_payment_persists_its_money_and_state(uow_factory: UnitOfWorkFactory, placed_order: Order) -> None:
    payment = a_payment(placed_order)
    await recorded(uow_factory, payment)
    later = T0 + timedelta(minutes=5)
    async with uow_factory() as uow:
        loaded = await uow.payments.get(payment.id, lock=True)
        loaded.apply_created("pi_saved", "pi_saved_secret", None, later)
        loaded.apply_captured(loaded.amount, later)
        loaded.reserve_refund(1000, later)
        loaded.apply_external_refund(500, later)
        await uow.payments.save(loaded)
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.payments.get(payment.id) == loaded
    assert (loaded.amount_captured, loaded.amount_refunded, loaded.amount_refund_pending, loaded.action) == (
        payment.amount, 500, 1000, None
    )


async def test_a_saved_action_without_an_amount_persists(uow_factory: UnitOfWorkFactory, placed_order: Order) -> None:
    payment = a_payment(placed_order)
    payment.apply_created("pi_cancel", None, None, T0)
    await recorded(uow_factory, payment)
    async with uow_factory() as uow:
        loaded = await uow.payments.get(payment.id, lock=True)
        loaded.request_cancel(T0 + timedelta(minutes=5))
        await uow.payments.save(loaded)
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.payments.get(payment.id) == loaded
    assert loaded.action is not None and (loaded.action.kind, loaded.action.amount) == (ActionKind.CANCEL, None)


async def test_claim_returns_payments_whose_action_lease_ended_oldest_lease_first(
    uow_factory: UnitOfWorkFactory, placed_order: Order
) -> None:
    now = T0 + timedelta(minutes=10)
    oldest = a_payment(placed_order, at=T0)
    timed_out = a_payment(placed_order, at=T0)
    timed_out.apply_created("pi_timed_out", None, None, T0)
    timed_out.apply_authorized(timed_out.amount, T0)
    timed_out.request_capture(None, T0 + timedelta(minutes=4))
    timed_out.abandon_action(T0 + timedelta(minutes=5))
    ending_now = a_payment(placed_order, at=now - ACTION_LEASE)
    running = a_payment(placed_order, at=now - ACTION_LEASE + timedelta(microseconds=1))
    settled = a_captured_payment(placed_order, at=T0)
    await recorded(uow_factory, running, settled, ending_now, timed_out, oldest)

    async with uow_factory() as uow:
        assert await uow.payments.claim_abandoned(now, 10) == [oldest, timed_out, ending_now]
        assert await uow.payments.claim_abandoned(now, 2) == [oldest, timed_out]
        assert await uow.payments.claim_abandoned(T0, 10) == []


async def test_an_uncommitted_payment_leaves_nothing(uow_factory: UnitOfWorkFactory, placed_order: Order) -> None:
    payment = a_payment(placed_order)
    async with uow_factory() as uow:
        await uow.payments.add(payment)
        assert await uow.payments.get(payment.id) == payment
    async with uow_factory() as uow:
        assert await uow.payments.get(payment.id) is None
        assert await uow.payments.list_for_order(placed_order.id) == []
        assert await uow.payments.claim_abandoned(T0 + timedelta(hours=1), 10) == []


async def test_concurrent_refund_reservations_never_exceed_the_capture(
    uow_factory: UnitOfWorkFactory, placed_order: Order
) -> None:
    """Each task locks the payment (by id or by the provider's id), reserves and saves in its
    own unit of work: the adapter must serialise them or reservations get lost."""
    payment = a_captured_payment(placed_order)
    await recorded(uow_factory, payment)
    assert payment.amount == 5000

    async def reserve(by_provider_id: bool) -> None:
        async with uow_factory() as uow:
            if by_provider_id:
                found = await uow.payments.get_by_provider_id(payment.provider, payment.provider_payment_id, lock=True)
            else:
                found = await uow.payments.get(payment.id, lock=True)
            found.reserve_refund(1000, T0)
            await uow.payments.save(found)
            await uow.commit()

    results = await asyncio.gather(*(reserve(n % 2 == 1) for n in range(8)), return_exceptions=True)

    assert [r for r in results if r is not None and not isinstance(r, AmountExceedsRefundable)] == []
    assert results.count(None) == 5
    async with uow_factory() as uow:
        assert (await uow.payments.get(payment.id)).amount_refund_pending == 5000


async def test_a_second_lock_on_a_payment_waits_until_the_first_commits(
    uow_factory: UnitOfWorkFactory, placed_order: Order
) -> None:
    payment = a_captured_payment(placed_order)
    await recorded(uow_factory, payment)

    async def refundable_once_locked() -> int:
        async with uow_factory() as uow:
            return (await uow.payments.get(payment.id, lock=True)).refundable

    async with uow_factory() as first:
        locked = await first.payments.get(payment.id, lock=True)
        second = asyncio.create_task(refundable_once_locked())
        await asyncio.sleep(0.1)
        assert not second.done()
        locked.reserve_refund(1000, T0)
        await first.payments.save(locked)
        await first.commit()
    assert await second == payment.amount - 1000


async def test_a_providers_open_payments_are_listed_oldest_first(uow_factory: UnitOfWorkFactory) -> None:
    order, = await placed_orders(uow_factory, 1)
    newer = a_payment(order, at=T0 + timedelta(minutes=2))
    newer.apply_created("pay_newer", None, None, T0)
    authorized = a_payment(order, at=T0 + timedelta(minutes=1))
    authorized.apply_created("pay_authorized", None, None, T0)
    authorized.apply_authorized(100, T0)
    never_created = a_payment(order, at=T0)
    other_provider = a_payment(order, provider="paypal")
    other_provider.apply_created("pay_paypal", None, None, T0)
    settled = a_captured_payment(order)
    await recorded(uow_factory, newer, authorized, never_created, other_provider, settled)
    async with uow_factory() as uow:
        assert [p.id for p in await uow.payments.list_open("sandbox", 10)] == [authorized.id, newer.id]
        assert [p.id for p in await uow.payments.list_open("sandbox", 1)] == [authorized.id]
        after = (authorized.created_at, authorized.id)
        assert [p.id for p in await uow.payments.list_open("sandbox", 10, after)] == [newer.id]
