from __future__ import annotations

import pytest

from adapters.memory import InMemoryStore, InMemoryUnitOfWorkFactory
from adapters.postgres.uow import PgUnitOfWorkFactory
from application.ports import UnitOfWorkFactory
from domain.orders import Order
from tests.contract.builders import placed_orders


@pytest.fixture(params=["memory", pytest.param("postgres", marks=pytest.mark.postgres)])
def uow_factory(request: pytest.FixtureRequest) -> UnitOfWorkFactory:
    """Every contract test runs once per adapter; only the postgres run needs a database.

    The param carries the `postgres` mark itself: `getfixturevalue` hides the dependency
    from the collection hook that marks tests using the database fixtures.
    """
    if request.param == "memory":
        return InMemoryUnitOfWorkFactory(InMemoryStore())
    return PgUnitOfWorkFactory(request.getfixturevalue("pg_engine"))


@pytest.fixture
async def placed_order(uow_factory: UnitOfWorkFactory) -> Order:
    """A stored order for payments and refunds to belong to."""
    [order] = await placed_orders(uow_factory)
    return order
