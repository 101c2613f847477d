import pytest

from application.commands import ListProducts as ListProductsQuery
from application.commands import UpdateProduct as UpdateProductCommand
from application.errors import AlreadyExists, InvalidRequest, NotFound
from domain.errors import ValidationFailed
from domain.money import Money
from tests.service.conftest import App, product_command


async def test_added_product_is_readable_and_audited(app: App) -> None:
    created = await app.add_product(product_command(capacity=50, metadata={"day": "saturday"}))
    fetched = await app.get_product("day-pass")
    assert fetched == created
    assert (fetched.unit_price, fetched.sold, fetched.available, fetched.metadata) == (Money(5000, "USD"), 0, 50, {"day": "saturday"})
    [entry] = app.store.audit
    assert (entry.entity_id, entry.action, entry.actor, entry.amount) == (created.id, "product.created", "test", 5000)


async def test_duplicate_sku_is_refused_and_writes_nothing(app: App) -> None:
    await app.add_product(product_command())
    with pytest.raises(AlreadyExists):
        await app.add_product(product_command(amount=1))
    assert (await app.get_product("day-pass")).unit_price.amount == 5000
    assert len(app.store.audit) == 1


@pytest.mark.parametrize("change", [{"currency": "usd"}, {"amount": -5}, {"capacity": -1}, {"sku": "Bad Sku"}])
async def test_invalid_products_are_refused(app: App, change: dict) -> None:
    with pytest.raises(ValidationFailed):
        await app.add_product(product_command(**change))
    assert app.store.products == {} and app.store.audit == []


async def test_update_records_what_changed(app: App) -> None:
    await app.add_product(product_command())
    updated = await app.update_product(UpdateProductCommand(sku="day-pass", actor="admin", unit_amount=6000, active=False))
    assert (updated.unit_price.amount, updated.active, updated.name) == (6000, False, "Day Pass")
    entry = app.store.audit[-1]
    assert entry.action == "product.updated"
    assert entry.details["changes"] == {"unit_amount": {"from": 5000, "to": 6000}, "active": {"from": True, "to": False}}


async def test_updating_an_unknown_product_is_not_found(app: App) -> None:
    with pytest.raises(NotFound):
        await app.update_product(UpdateProductCommand(sku="nope", actor="admin", name="x"))


async def test_products_are_listed_by_sku_a_page_at_a_time(app: App) -> None:
    for sku in ["c-pass", "a-pass", "b-pass", "d-pass", "e-pass"]:
        await app.add_product(product_command(sku=sku))
    first = await app.list_products(ListProductsQuery(limit=2))
    second = await app.list_products(ListProductsQuery(limit=2, cursor=first.next_cursor))
    third = await app.list_products(ListProductsQuery(limit=2, cursor=second.next_cursor))
    assert [p.sku for p in first.items + second.items + third.items] == ["a-pass", "b-pass", "c-pass", "d-pass", "e-pass"]
    assert third.next_cursor is None


@pytest.mark.parametrize("query", [ListProductsQuery(limit=0), ListProductsQuery(limit=101), ListProductsQuery(cursor="%%%not-a-cursor")])
async def test_bad_paging_parameters_are_invalid_requests(app: App, query: ListProductsQuery) -> None:
    with pytest.raises(InvalidRequest):
        await app.list_products(query)


async def test_a_bad_price_names_the_unit_amount_field(app: App) -> None:
    with pytest.raises(ValidationFailed) as refused:
        await app.add_product(product_command(amount=-1))
    assert [e.field for e in refused.value.errors] == ["unit_amount"]
    await app.add_product(product_command())
    with pytest.raises(ValidationFailed) as refused:
        await app.update_product(UpdateProductCommand(sku="day-pass", actor="admin", unit_amount=-1))
    assert [e.field for e in refused.value.errors] == ["unit_amount"]
