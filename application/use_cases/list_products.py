from __future__ import annotations

from application.commands import ListProducts as ListProductsQuery
from application.pagination import check_limit, decode_cursor, encode_cursor
from application.ports import ProductQuery, UnitOfWorkFactory
from application.views import Page
from domain.catalog import Product


class ListProducts:
    """Lists the catalog by sku, a page at a time (keyset pagination)."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, query: ListProductsQuery) -> Page[Product]:
        limit = check_limit(query.limit)
        after = decode_cursor(query.cursor, "sku")["sku"] if query.cursor else None
        async with self._uow() as uow:
            rows = await uow.products.list(ProductQuery(limit=limit + 1, after_sku=after, active=query.active))
        items = rows[:limit]
        next_cursor = encode_cursor(sku=items[-1].sku) if len(rows) > limit else None
        return Page(items=items, next_cursor=next_cursor)
