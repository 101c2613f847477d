from __future__ import annotations

from dataclasses import dataclass

import pytest

from adapters.memory import InMemoryStore, InMemoryUnitOfWorkFactory
from application.auditing import AuditRecorder
from application.commands import AddProduct as AddProductCommand
from application.commands import CustomerDetails, OrderItem
from application.commands import PlaceOrder as PlaceOrderCommand
from application.use_cases.add_product import AddProduct
from application.use_cases.cancel_order import CancelOrder
from application.use_cases.get_order import GetOrder
from application.use_cases.get_product import GetProduct
from application.use_cases.list_products import ListProducts
from application.use_cases.place_order import OrderPolicy, PlaceOrder
from application.use_cases.search_orders import SearchOrders
from application.use_cases.update_product import UpdateProduct
from tests.support import FrozenClock, SequentialIds


@dataclass
class App:
    """The use cases wired to in-memory adapters, with the store open for inspection."""

    store: InMemoryStore
    clock: FrozenClock
    add_product: AddProduct
    update_product: UpdateProduct
    get_product: GetProduct
    list_products: ListProducts
    place_order: PlaceOrder
    get_order: GetOrder
    search_orders: SearchOrders
    cancel_order: CancelOrder


@pytest.fixture
def app() -> App:
    store, clock, ids = InMemoryStore(), FrozenClock(), SequentialIds()
    uow = InMemoryUnitOfWorkFactory(store)
    audit = AuditRecorder(clock, ids)
    return App(
        store=store,
        clock=clock,
        add_product=AddProduct(uow, clock, ids, audit),
        update_product=UpdateProduct(uow, clock, audit),
        get_product=GetProduct(uow),
        list_products=ListProducts(uow),
        place_order=PlaceOrder(uow, clock, ids, audit, OrderPolicy(number_prefix="TSR")),
        get_order=GetOrder(uow),
        search_orders=SearchOrders(uow),
        cancel_order=CancelOrder(uow, clock, audit),
    )


def product_command(sku: str = "day-pass", amount: int = 5000, currency: str = "USD", capacity: int | None = 10, **kw: object) -> AddProductCommand:
    return AddProductCommand(sku=sku, name=sku.replace("-", " ").title(), kind="day_pass", unit_amount=amount,
                             currency=currency, capacity=capacity, actor="test", **kw)  # type: ignore[arg-type]


def order_command(*items: tuple[str, int], email: str = "ana@example.com", currency: str = "USD", **kw: object) -> PlaceOrderCommand:
    return PlaceOrderCommand(customer=CustomerDetails(email=email), currency=currency,
                             items=tuple(OrderItem(sku, qty) for sku, qty in items), actor="test", **kw)  # type: ignore[arg-type]
