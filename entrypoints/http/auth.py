"""Who is calling: one guard for every route, declared once on the app.

A route needs an admin key unless it says otherwise through its `opt`, so a route added
later is protected without anyone remembering to protect it. `STOREFRONT` routes also take a
storefront key; `OPEN` routes (health, provider webhooks, which the provider's signature
authenticates instead) take none.
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection, Request
from litestar.handlers import BaseRouteHandler
from litestar.openapi.spec import Components, SecurityRequirement, SecurityScheme
from litestar.types import Scope

from application.errors import Forbidden
from application.use_cases.authenticate_api_key import AuthenticateApiKey
from domain.api_keys import ApiKey, ApiKeyScope
from domain.audit import Actor

SCOPE_OPT = "scope"
OPEN: dict[str, Any] = {SCOPE_OPT: None}
STOREFRONT: dict[str, Any] = {SCOPE_OPT: ApiKeyScope.STOREFRONT}
_STATE_KEY = "api_key"

SECURITY_SCHEME = "api_key"
SECURITY_COMPONENTS = Components(
    security_schemes={
        SECURITY_SCHEME: SecurityScheme(
            type="http", scheme="bearer", description="An API key secret (`tsk_...`): `Authorization: Bearer <secret>`."
        )
    }
)
REQUIRES_KEY: list[SecurityRequirement] = [{SECURITY_SCHEME: []}]
NO_KEY: list[SecurityRequirement] = [{}]
"""For OPEN routes in the OpenAPI document: an empty requirement means none is needed."""


def api_key_guard(authenticate: AuthenticateApiKey) -> Any:
    """The guard, bound to the container's AuthenticateApiKey."""

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
        required = handler.opt.get(SCOPE_OPT, ApiKeyScope.ADMIN)
        if required is None:
            return
        key = await authenticated_key(connection.scope, authenticate)
        if not key.scope.allows(required):
            raise Forbidden(f"this API key's scope ({key.scope.value}) does not allow this request; it needs {required.value}")

    return guard


async def authenticated_key(scope: Scope, authenticate: AuthenticateApiKey) -> ApiKey:
    """The request's API key, authenticated once per request (middleware may ask before the guard)."""
    state = scope.setdefault("state", {})
    if _STATE_KEY not in state:
        header = next((value for name, value in scope["headers"] if name == b"authorization"), b"")
        state[_STATE_KEY] = await authenticate(_bearer(header.decode("latin-1")))
    return state[_STATE_KEY]


def request_actor(request: Request[Any, Any, Any]) -> str:
    """Who the audit trail names for this request: the API key that authenticated it."""
    key: ApiKey = request.state[_STATE_KEY]
    return str(Actor("api_key", str(key.id)))


def _bearer(header: str) -> str | None:
    scheme, _, secret = header.partition(" ")
    return secret.strip() if scheme.lower() == "bearer" else None
