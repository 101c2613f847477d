"""Health, the OpenAPI document, request ids and log lines."""

from __future__ import annotations

import json
import logging
from io import StringIO
from uuid import UUID

import httpx
import pytest
from dependency_injector import providers
from litestar import Litestar

import application.errors  # noqa: F401 - registers the application's error codes
from application.use_cases.get_order import GetOrder
from application.views import OrderDetails

from domain.errors import DomainError
from entrypoints.cli import EXIT_CODES
from entrypoints.config import Settings
from entrypoints.container import build_container
from entrypoints.http import create_app
from entrypoints.http.problems import PROBLEMS
from entrypoints.logs import configure_logging
from tests.e2e.conftest import serve
from tests.e2e.wire import assert_problem, order, product

API_ROUTES = {
    ("/v1/products", "post"), ("/v1/products", "get"),
    ("/v1/products/{sku}", "get"), ("/v1/products/{sku}", "patch"),
    ("/v1/orders", "post"), ("/v1/orders", "get"),
    ("/v1/orders/{order_id}", "get"), ("/v1/orders/{order_id}/cancel", "post"),
    ("/health/live", "get"), ("/health/ready", "get"),
}


async def test_live_and_ready_on_a_migrated_database(api: httpx.AsyncClient) -> None:
    assert (await api.get("/health/live")).json() == {"status": "ok"}
    ready = await api.get("/health/ready")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ok", "checks": {"database": "ok", "migrations": "ok"}}


async def test_not_ready_and_unavailable_when_the_database_is_unreachable(unreachable_api: httpx.AsyncClient) -> None:
    assert (await unreachable_api.get("/health/live")).status_code == 200

    ready = await unreachable_api.get("/health/ready")
    assert ready.status_code == 503
    body = ready.json()
    assert body["status"] == "unavailable"
    assert body["checks"].keys() == {"database", "migrations"}
    assert body["checks"]["database"] != "ok"

    assert_problem(await unreachable_api.post("/v1/orders", json=order(("day-pass", 1))), 503, "unavailable")
    assert_problem(await unreachable_api.get("/v1/products"), 503, "unavailable")


async def test_ready_in_memory(memory_api: httpx.AsyncClient) -> None:
    assert (await memory_api.get("/health/ready")).status_code == 200


def _app_routes(app: Litestar) -> set[tuple[str, str]]:
    return {
        (route.path, method.lower())
        for route in app.routes
        if not route.path.startswith("/schema")
        for method in getattr(route, "methods", ())
        if method not in ("OPTIONS", "HEAD")
    }


async def test_openapi_describes_every_route(memory_api: httpx.AsyncClient) -> None:
    document = (await memory_api.get("/schema/openapi.json")).json()
    described = {(path, method) for path, operations in document["paths"].items() for method in operations}
    app_routes = {(path.replace(":str", ""), m) for path, m in _app_routes(create_app(build_container(Settings(), "memory")))}

    assert API_ROUTES <= described
    assert app_routes <= described

    schemas = document["components"]["schemas"]
    for path, method in API_ROUTES:
        operation = document["paths"][path][method]
        success = next(r for status, r in operation["responses"].items() if status.startswith("2"))
        assert success["content"]["application/json"]["schema"], (path, method)
        if method in ("post", "patch") and not path.endswith("/cancel"):
            assert operation["requestBody"]["content"]["application/json"]["schema"]["$ref"], (path, method)
        if path.startswith("/v1"):
            assert "application/problem+json" in operation["responses"]["400"]["content"], (path, method)
    assert {"ProductIn", "ProductOut", "PlaceOrderIn", "OrderOut", "ProblemOut"} <= schemas.keys()
    assert schemas["OrderOut"]["properties"]["created_at"]["format"] == "date-time"


async def test_request_id_is_echoed_or_generated_on_every_response(any_api: httpx.AsyncClient) -> None:
    given = await any_api.get("/health/live", headers={"X-Request-Id": "trace-42.a_b:c"})
    assert given.headers["x-request-id"] == "trace-42.a_b:c"

    generated = {(await any_api.get("/health/live")).headers["x-request-id"] for _ in range(3)}
    assert len(generated) == 3

    insane = await any_api.get("/health/live", headers={"X-Request-Id": "no spaces or\ttabs please"})
    assert insane.headers["x-request-id"] != "no spaces or\ttabs please"

    for response in (await any_api.get("/nowhere"), await any_api.put("/health/live")):
        assert response.headers["x-request-id"]


async def test_log_lines_carry_the_request_id(memory_api: httpx.AsyncClient) -> None:
    configure_logging("json")
    lines = StringIO()
    handler = logging.getLogger().handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(lines)

    await memory_api.post("/v1/products", json=product(), headers={"X-Request-Id": "req-1"})
    await memory_api.get("/v1/products/nope", headers={"X-Request-Id": "req-2"})

    records = [json.loads(line) for line in lines.getvalue().splitlines()]
    access = [r for r in records if r["logger"] == "tessera.http.access"]
    assert [(r["request_id"], r["message"].split()[:3]) for r in access] == [
        ("req-1", ["POST", "/v1/products", "201"]),
        ("req-2", ["GET", "/v1/products/nope", "404"]),
    ]


async def test_an_unexpected_error_is_logged_and_answered_without_details(caplog: pytest.LogCaptureFixture) -> None:
    class CrashingGetOrder(GetOrder):
        async def __call__(self, order_id: UUID) -> OrderDetails:
            raise RuntimeError("connection string postgresql://secret@db")

    container = build_container(Settings(), "memory")
    container.get_order.override(providers.Factory(CrashingGetOrder, container.uow))
    async with serve(container, expected_5xx=frozenset({500})) as client:
        response = await client.get("/v1/orders/0190d9a0-0000-7000-8000-000000000000", headers={"X-Request-Id": "r-500"})

    problem = assert_problem(response, 500, "internal_error")
    assert "secret" not in response.text and "RuntimeError" not in response.text
    assert problem["title"] == "Internal error"
    [logged] = [r for r in caplog.records if r.exc_info]
    assert logged.exc_info[0] is RuntimeError
    assert logged.name == "tessera.http"


def test_every_error_code_has_a_status_and_an_exit_code() -> None:
    def subclasses(cls: type[DomainError]) -> list[type[DomainError]]:
        return [cls, *(s for sub in cls.__subclasses__() for s in subclasses(sub))]

    codes = {cls.code for cls in subclasses(DomainError)} - {DomainError.code}
    assert codes <= PROBLEMS.keys()
    assert codes <= EXIT_CODES.keys()
