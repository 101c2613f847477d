"""Capacity is never oversold, however many buyers arrive at once."""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.e2e.wire import order, product


async def test_hundred_concurrent_buyers_for_ten_places(api: httpx.AsyncClient, pg_engine: AsyncEngine) -> None:
    assert (await api.post("/v1/products", json=product("vip", capacity=10))).status_code == 201

    # Five e-mails for a hundred buyers: customers are found-or-created concurrently too.
    responses = await asyncio.gather(
        *(api.post("/v1/orders", json=order(("vip", 1), email=f"buyer{i % 5}@example.com")) for i in range(100))
    )

    assert Counter(r.status_code for r in responses) == {201: 10, 409: 90}
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"sold_out"}
    stock = (await api.get("/v1/products/vip")).json()
    assert (stock["sold"], stock["available"]) == (10, 0)

    async with pg_engine.connect() as connection:
        orders = (await connection.execute(text("SELECT count(*), count(DISTINCT number) FROM orders"))).one()
        units = await connection.scalar(text("SELECT sum(quantity) FROM order_lines WHERE sku = 'vip'"))
        sold = await connection.scalar(text("SELECT sold FROM products WHERE sku = 'vip'"))
        customers = await connection.scalar(text("SELECT count(*) FROM customers"))
    assert tuple(orders) == (10, 10)
    assert units == sold == 10
    assert customers <= 5
    placed = {r.json()["number"] for r in responses if r.status_code == 201}
    assert len(placed) == 10
