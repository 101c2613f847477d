from __future__ import annotations

from datetime import timedelta

from application.ports import AuditQuery, UnitOfWorkFactory
from tests.contract.builders import T0, an_audit_entry, new_id


async def test_entries_list_oldest_first_by_time_then_id(uow_factory: UnitOfWorkFactory) -> None:
    low, high = sorted([new_id(), new_id()])
    late = an_audit_entry(at=T0 + timedelta(seconds=1))
    tie_high = an_audit_entry(at=T0, id=high)
    tie_low = an_audit_entry(at=T0, id=low)
    async with uow_factory() as uow:
        for entry in (late, tie_high, tie_low):
            await uow.audit.append(entry)
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.audit.list(AuditQuery(limit=10)) == [tie_low, tie_high, late]


async def test_entries_filter_by_entity_type_and_action_and_page_after_a_cursor(uow_factory: UnitOfWorkFactory) -> None:
    order_id = new_id()
    placed = an_audit_entry(entity_id=order_id, action="order.placed", at=T0)
    cancelled = an_audit_entry(entity_id=order_id, action="order.cancelled", at=T0 + timedelta(minutes=1))
    other_order = an_audit_entry(action="order.placed", at=T0 + timedelta(minutes=2))
    product = an_audit_entry(entity_type="product", action="product.created", at=T0 + timedelta(minutes=3))
    async with uow_factory() as uow:
        for entry in (placed, cancelled, other_order, product):
            await uow.audit.append(entry)
        await uow.commit()

    async with uow_factory() as uow:
        assert await uow.audit.list(AuditQuery(limit=10, entity_id=order_id)) == [placed, cancelled]
        assert await uow.audit.list(AuditQuery(limit=10, entity_type="product")) == [product]
        assert await uow.audit.list(AuditQuery(limit=10, action="order.placed")) == [placed, other_order]
        assert await uow.audit.list(AuditQuery(limit=10, entity_type="order", action="order.placed", entity_id=order_id)) == [placed]
        assert await uow.audit.list(AuditQuery(limit=2)) == [placed, cancelled]
        assert await uow.audit.list(AuditQuery(limit=2, after=(cancelled.occurred_at, cancelled.id))) == [other_order, product]
        assert await uow.audit.list(AuditQuery(limit=10, entity_id=new_id())) == []
