"""API keys over HTTP: every /v1 route but the provider webhooks needs one, of the right scope.

The routes are read from the OpenAPI document, so a route added later is checked too.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from uuid import UUID

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from application.commands import RevokeApiKey
from application.ports import AuditQuery
from entrypoints.config import Settings
from entrypoints.container import Container, build_container
from tests.e2e.conftest import serve
from tests.e2e.wire import assert_problem, order, product
from tests.support import issue_key

ANY_ID = "0190d9a0-0000-7000-8000-000000000000"
STOREFRONT_ROUTES = {("POST", "/v1/orders"), ("GET", "/v1/orders/{order_id}"), ("POST", "/v1/orders/{order_id}/checkout")}


@pytest.fixture
def container() -> Container:
    return build_container(Settings(), "memory")


@pytest.fixture
async def anonymous(container: Container) -> AsyncIterator[httpx.AsyncClient]:
    async with serve(container, scope=None) as client:
        yield client


async def protected_routes(client: httpx.AsyncClient) -> list[tuple[str, str]]:
    """(method, path with ids filled in) for every /v1 operation of the OpenAPI document."""
    document = (await client.get("/schema/openapi.json")).json()
    routes = [
        (method.upper(), path)
        for path, operations in document["paths"].items()
        for method in operations
        if path.startswith("/v1/") and not path.startswith("/v1/webhooks/")
    ]
    assert len(routes) >= 10, routes
    return routes


def _filled(path: str) -> str:
    return re.sub(r"\{[^}]+\}", ANY_ID, path)


async def _each(client: httpx.AsyncClient, routes: list[tuple[str, str]], headers: dict[str, str]) -> dict[str, str]:
    """The problem code each route answered (keyed 'METHOD path')."""
    codes = {}
    for method, path in routes:
        response = await client.request(method, _filled(path), headers=headers)
        codes[f"{method} {path}"] = f"{response.status_code} {response.json().get('code')}"
    return codes


async def test_every_v1_route_but_webhooks_refuses_missing_unknown_and_revoked_keys(
    container: Container, anonymous: httpx.AsyncClient
) -> None:
    routes = await protected_routes(anonymous)
    revoked = await issue_key(container)
    [key] = [k for k in await container.list_api_keys()() if k.prefix == revoked[: len(k.prefix)]]
    await container.revoke_api_key()(RevokeApiKey(key_id=key.id, actor="test"))
    everywhere_401 = {f"{m} {p}": "401 unauthenticated" for m, p in routes}

    assert await _each(anonymous, routes, {}) == everywhere_401
    assert await _each(anonymous, routes, {"Authorization": "Bearer tsk_unknown"}) == everywhere_401
    assert await _each(anonymous, routes, {"Authorization": f"Bearer {revoked}"}) == everywhere_401
    assert await _each(anonymous, routes, {"Authorization": f"Basic {revoked}"}) == everywhere_401
    response = await anonymous.get("/v1/products")
    assert response.headers["www-authenticate"] == "Bearer"
    assert_problem(response, 401, "unauthenticated")


async def test_a_storefront_key_is_forbidden_on_admin_routes_only(
    container: Container, anonymous: httpx.AsyncClient
) -> None:
    routes = await protected_routes(anonymous)
    storefront = {"Authorization": f"Bearer {await issue_key(container, 'storefront')}"}
    codes = await _each(anonymous, routes, storefront)
    admin_routes = [route for route in routes if route not in STOREFRONT_ROUTES]
    assert {r: c for r, c in codes.items() if c == "403 forbidden"} == {
        f"{m} {p}": "403 forbidden" for m, p in admin_routes
    }
    assert len(admin_routes) < len(routes)


async def test_open_routes_need_no_key(anonymous: httpx.AsyncClient) -> None:
    assert (await anonymous.get("/health/live")).status_code == 200
    assert (await anonymous.get("/schema/openapi.json")).status_code == 200
    assert_problem(await anonymous.post("/v1/webhooks/sandbox", content=b"{}"), 404, "not_found")


async def test_the_openapi_document_declares_the_bearer_scheme(anonymous: httpx.AsyncClient) -> None:
    document = (await anonymous.get("/schema/openapi.json")).json()
    [(name, scheme)] = document["components"]["securitySchemes"].items()
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    assert document["security"] == [{name: []}]
    assert document["paths"]["/health/live"]["get"]["security"] == [{}]


async def test_a_storefront_key_places_and_reads_orders_and_is_the_audited_actor(
    container: Container, anonymous: httpx.AsyncClient
) -> None:
    admin = {"Authorization": f"Bearer {await issue_key(container)}"}
    storefront = {"Authorization": f"Bearer {await issue_key(container, 'storefront')}"}
    assert (await anonymous.post("/v1/products", json=product("day-pass"), headers=admin)).status_code == 201
    placed = await anonymous.post("/v1/orders", json=order(("day-pass", 1)), headers=storefront)
    assert placed.status_code == 201, placed.text
    assert (await anonymous.get(f"/v1/orders/{placed.json()['id']}", headers=storefront)).status_code == 200

    keys = {k.scope.value: k.id for k in await container.list_api_keys()()}
    async with container.uow()() as uow:
        entries = await uow.audit.list(AuditQuery(limit=100, entity_id=UUID(placed.json()["id"])))
    assert [e.actor for e in entries] == [f"api_key:{keys['storefront']}"]


@pytest.mark.postgres
async def test_the_database_holds_no_secret_in_clear(clean_database: str, pg_engine: AsyncEngine) -> None:
    container = build_container(Settings(), "postgres", clean_database)
    secrets = [await issue_key(container, scope) for scope in ("admin", "storefront")]
    # serve() closes the container's pool on the app's shutdown.
    async with serve(container, scope=None) as client:
        assert (await client.get("/v1/products", headers={"Authorization": f"Bearer {secrets[0]}"})).status_code == 200
    async with pg_engine.connect() as connection:
        rows = (await connection.execute(text("SELECT * FROM api_keys"))).all()
        audit = (await connection.execute(text("SELECT details::text FROM audit_log"))).scalars().all()
    assert len(rows) == 2
    dump = " ".join(repr(value) for row in rows for value in row) + " ".join(audit)
    for secret in secrets:
        body = secret.removeprefix("tsk_")
        assert body not in dump and body[8:24] not in dump
        assert secret.encode() not in b"".join(bytes(row.secret_hash) for row in rows)


async def test_the_openapi_document_lists_the_guards_problems_on_protected_routes_only(
    anonymous: httpx.AsyncClient,
) -> None:
    document = (await anonymous.get("/schema/openapi.json")).json()
    for path, operations in document["paths"].items():
        for operation in operations.values():
            documented = {"401", "403"} <= operation["responses"].keys()
            assert documented == (path.startswith("/v1/") and not path.startswith("/v1/webhooks/")), path
