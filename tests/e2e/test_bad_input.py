"""Bad requests get a problem document with the right code, and leave no trace in the database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.postgres.tables import metadata
from entrypoints.config import Settings
from tests.e2e.wire import assert_problem, field_names, order, product

LIMIT = Settings().max_body_bytes


async def _oversized_chunks() -> AsyncIterator[bytes]:
    """No Content-Length: the limit must hold on the bytes actually received."""
    for _ in range(LIMIT // 4096 + 2):
        yield b" " * 4096


CASES: dict[str, tuple[dict[str, Any], int, str, str | None]] = {
    "malformed json": (
        {"content": b'{"customer": {"email": ', "headers": {"content-type": "application/json"}},
        400, "malformed_json", None),
    "no body": ({"content": b""}, 400, "malformed_json", None),
    "unknown sku": ({"json": order(("no-such-sku", 1))}, 422, "validation_failed", "items[0].sku"),
    "inactive product": ({"json": order(("retired", 1))}, 422, "validation_failed", "items[0].sku"),
    "quantity zero": ({"json": order(("day-pass", 0))}, 422, "validation_failed", "items[0].quantity"),
    "quantity not a number": (
        {"json": order() | {"items": [{"sku": "day-pass", "quantity": "two"}]}},
        422, "validation_failed", "items[0].quantity"),
    "quantity as a string": (
        {"json": order() | {"items": [{"sku": "day-pass", "quantity": "2"}]}},
        422, "validation_failed", "items[0].quantity"),
    "missing currency": (
        {"json": {"customer": {"email": "ana@example.com"}, "items": [{"sku": "day-pass", "quantity": 1}]}},
        422, "validation_failed", "currency"),
    "event date not a date": (
        {"json": order(("day-pass", 1), event={"id": "fest", "date": "next may"})},
        422, "validation_failed", "event.date"),
    "no items": ({"json": order()}, 422, "validation_failed", "items"),
    "currency mismatch": ({"json": order(("day-pass", 1), currency="EUR")}, 422, "currency_mismatch", None),
    "missing customer email": (
        {"json": order(("day-pass", 1)) | {"customer": {"first_name": "Ana"}}},
        422, "validation_failed", "customer.email"),
    "invalid email": ({"json": order(("day-pass", 1), email="ana@")}, 422, "validation_failed", "customer.email"),
    "price from the buyer": (
        {"json": order() | {"items": [{"sku": "day-pass", "quantity": 1, "unit_amount": 1}]}},
        422, "validation_failed", "items[0].unit_amount"),
    "not an object": ({"json": [1, 2]}, 422, "validation_failed", "body"),
    "body over the limit": (
        {"content": b'{"pad": "' + b"x" * LIMIT + b'"}', "headers": {"content-type": "application/json"}},
        413, "payload_too_large", None),
    "chunked body over the limit": (
        {"content": _oversized_chunks, "headers": {"content-type": "application/json"}},
        413, "payload_too_large", None),
    "form instead of json": (
        {"content": b"sku=day-pass", "headers": {"content-type": "application/x-www-form-urlencoded"}},
        415, "unsupported_media_type", None),
}


async def _row_counts(engine: AsyncEngine) -> dict[str, int]:
    async with engine.connect() as connection:
        return {t.name: await connection.scalar(select(func.count()).select_from(t)) for t in metadata.sorted_tables}


@pytest.fixture
async def catalog(api: httpx.AsyncClient) -> None:
    assert (await api.post("/v1/products", json=product("day-pass"))).status_code == 201
    assert (await api.post("/v1/products", json=product("retired", active=False))).status_code == 201


@pytest.mark.usefixtures("catalog")
@pytest.mark.parametrize("case", CASES)
async def test_bad_order_is_refused_and_writes_nothing(api: httpx.AsyncClient, pg_engine: AsyncEngine, case: str) -> None:
    request, status, code, field = CASES[case]
    if callable(request.get("content")):
        request = request | {"content": request["content"]()}
    before = await _row_counts(pg_engine)

    problem = assert_problem(await api.post("/v1/orders", **request), status, code)

    if field is not None:
        assert field in field_names(problem), problem
    assert await _row_counts(pg_engine) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (product("Not A Slug"), "sku"),
        (product(unit_amount=-1), "unit_amount"),
        (product(currency="usd"), "currency"),
        (product(capacity=-5), "capacity"),
        (product(unit_amount="5000"), "unit_amount"),
        ({"sku": "day-pass"}, "name"),
        (product(**{"line\nbreak": 1}), "line\nbreak"),  # found by the API fuzz: a 500 once
    ],
)
async def test_bad_product_is_refused(any_api: httpx.AsyncClient, body: dict[str, Any], field: str) -> None:
    problem = assert_problem(await any_api.post("/v1/products", json=body), 422, "validation_failed")
    assert field in field_names(problem), problem
    assert (await any_api.get("/v1/products")).json()["data"] == []


async def test_unknown_route_and_wrong_method(any_api: httpx.AsyncClient) -> None:
    assert_problem(await any_api.get("/v1/nothing-here"), 404, "not_found")
    response = await any_api.delete("/v1/orders")
    assert_problem(response, 405, "method_not_allowed")
    assert {"GET", "POST"} <= {m.strip() for m in response.headers["allow"].split(",")}
