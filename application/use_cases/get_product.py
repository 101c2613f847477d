from __future__ import annotations

from application.errors import NotFound
from application.ports import UnitOfWorkFactory
from domain.catalog import Product


class GetProduct:
    """Reads one product by sku, with what is sold and still available."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, sku: str) -> Product:
        async with self._uow() as uow:
            product = await uow.products.get_by_sku(sku)
        if product is None:
            raise NotFound(f"no product with sku '{sku}'")
        return product
