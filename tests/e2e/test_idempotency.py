"""Idempotency-Key over HTTP (Stripe's semantics), on both storages; the race on PostgreSQL."""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.e2e.wire import assert_problem, order, product

async def test_a_retry_replays_the_first_response_byte_for_byte(any_api: httpx.AsyncClient) -> None:
    assert (await any_api.post("/v1/products", json=product("day-pass"))).status_code == 201
    headers = {"Idempotency-Key": "order-1"}
    first = await any_api.post("/v1/orders", json=order(("day-pass", 2)), headers=headers)
    # The same JSON written differently is the same request.
    again = await any_api.post("/v1/orders", content=b' {"items": [{"quantity": 2, "sku": "day-pass"}],'
                               b' "currency": "USD", "customer": {"first_name": "Ana", "email": "ana@example.com"}}',
                               headers=headers | {"Content-Type": "application/json"})

    assert first.status_code == again.status_code == 201
    assert again.content == first.content
    assert again.headers["idempotent-replayed"] == "true" and "idempotent-replayed" not in first.headers
    assert (await any_api.get("/v1/products/day-pass")).json()["sold"] == 2
    assert len((await any_api.get("/v1/orders")).json()["data"]) == 1


async def test_another_request_under_a_used_key_is_422_and_writes_nothing(any_api: httpx.AsyncClient) -> None:
    await any_api.post("/v1/products", json=product("day-pass"))
    headers = {"Idempotency-Key": "order-1"}
    await any_api.post("/v1/orders", json=order(("day-pass", 1)), headers=headers)

    reused = await any_api.post("/v1/orders", json=order(("day-pass", 3)), headers=headers)
    assert_problem(reused, 422, "idempotency_key_reused")
    assert_problem(await any_api.post("/v1/products", json=product("other"), headers=headers), 422,
                   "idempotency_key_reused")
    assert (await any_api.get("/v1/products/day-pass")).json()["sold"] == 1
    assert_problem(await any_api.get("/v1/products/other"), 404, "not_found")


async def test_a_refused_request_stores_nothing_and_the_key_can_be_used_again(any_api: httpx.AsyncClient) -> None:
    headers = {"Idempotency-Key": "k"}
    assert_problem(await any_api.post("/v1/products", json={"sku": 1}, headers=headers), 422, "validation_failed")
    assert_problem(await any_api.post("/v1/products", content=b"{", headers=headers | {"Content-Type": "application/json"}),
                   400, "malformed_json")
    created = await any_api.post("/v1/products", json=product("day-pass"), headers=headers)
    assert created.status_code == 201 and "idempotent-replayed" not in created.headers


@pytest.mark.parametrize("key", ["", "x" * 256])
async def test_a_key_must_be_1_to_255_characters(any_api: httpx.AsyncClient, key: str) -> None:
    problem = await any_api.post("/v1/products", json=product("p"), headers={"Idempotency-Key": key})
    assert_problem(problem, 400, "invalid_request")


async def test_routes_that_move_nothing_ignore_the_header(any_api: httpx.AsyncClient) -> None:
    await any_api.post("/v1/products", json=product("p"))
    for _ in range(2):
        response = await any_api.get("/v1/products", headers={"Idempotency-Key": "k"})
        assert response.status_code == 200 and "idempotent-replayed" not in response.headers


@pytest.mark.postgres
async def test_50_concurrent_orders_with_one_key_make_one_order(api: httpx.AsyncClient, pg_engine: AsyncEngine) -> None:
    assert (await api.post("/v1/products", json=product("day-pass", capacity=1000))).status_code == 201
    body, headers = order(("day-pass", 1)), {"Idempotency-Key": "checkout-42"}

    responses = await asyncio.gather(*(api.post("/v1/orders", json=body, headers=headers) for _ in range(50)))

    created = [r for r in responses if r.status_code == 201]
    in_progress = [r for r in responses if r.status_code == 409]
    assert len(created) + len(in_progress) == 50, Counter(r.status_code for r in responses)
    assert created and len({r.content for r in created}) == 1
    assert sum("idempotent-replayed" not in r.headers for r in created) == 1
    for response in in_progress:
        assert_problem(response, 409, "idempotency_in_progress")
    async with pg_engine.connect() as connection:
        assert (await connection.execute(text("SELECT count(*) FROM orders"))).scalar() == 1

    reused = await api.post("/v1/orders", json=order(("day-pass", 5)), headers=headers)
    assert_problem(reused, 422, "idempotency_key_reused")
    async with pg_engine.connect() as connection:
        assert (await connection.execute(text("SELECT count(*) FROM orders"))).scalar() == 1
        assert (await connection.execute(text("SELECT sold FROM products"))).scalar() == 1


async def test_a_retried_order_whose_answer_was_lost_places_one_order(api: httpx.AsyncClient, pg_engine: AsyncEngine) -> None:
    """The crash window: the order committed but its response was never stored (the process
    died in between), so the key is free again; the retry must find the order, not place one."""
    await api.post("/v1/products", json=product("day-pass"))
    headers = {"Idempotency-Key": "order-after-crash"}
    first = await api.post("/v1/orders", json=order(("day-pass", 2)), headers=headers)
    async with pg_engine.begin() as connection:
        await connection.execute(text("DELETE FROM idempotency_keys WHERE key = 'order-after-crash'"))
    retried = await api.post("/v1/orders", json=order(("day-pass", 2)), headers=headers)
    assert (first.status_code, retried.status_code) == (201, 201)
    assert retried.json()["id"] == first.json()["id"] and "idempotent-replayed" not in retried.headers
    assert (await api.get("/v1/products/day-pass")).json()["sold"] == 2
