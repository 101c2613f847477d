"""The Litestar application: routes, dependencies from the container, errors, request ids."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from litestar import Litestar, Request, Router
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin

from entrypoints.container import Container, close_container
from entrypoints.http.audit import AuditController
from entrypoints.http.auth import OPEN, REQUIRES_KEY, SECURITY_COMPONENTS, api_key_guard, request_actor
from entrypoints.http.health import HealthController
from entrypoints.http.idempotency import idempotency_middleware, request_key
from entrypoints.http.orders import OrderController
from entrypoints.http.payments import PaymentController
from entrypoints.http.problems import problem_details_plugin
from entrypoints.http.products import ProductController
from entrypoints.http.request_context import RequestContext
from entrypoints.http.sandbox import SandboxController
from entrypoints.http.schemas import WireError, decode_json
from entrypoints.http.webhooks import WebhookController, WebhookEventController

# Container providers handed to handlers under the same name.
PROVIDED = (
    "health",
    "add_product",
    "update_product",
    "get_product",
    "list_products",
    "place_order",
    "get_order",
    "search_orders",
    "cancel_order",
    "start_checkout",
    "get_payment",
    "capture_payment",
    "cancel_payment",
    "refund_payment",
    "get_refund",
    "list_audit_entries",
    "record_webhook",
    "list_webhook_events",
    "replay_webhook",
)


def create_app(container: Container) -> Litestar:
    async def close() -> None:
        await close_container(container)

    # The built-in provider's hosted pages exist where the provider is offered.
    sandbox = [SandboxController] if "sandbox" in container.payment_gateways().offered else []
    app = Litestar(
        route_handlers=[
            *sandbox,
            ProductController,
            OrderController,
            PaymentController,
            AuditController,
            WebhookController,
            WebhookEventController,
            HealthController,
        ],
        guards=[api_key_guard(container.authenticate_api_key())],
        middleware=[idempotency_middleware(container)],
        dependencies={
            "actor": Provide(request_actor, sync_to_thread=False),
            "request_key": Provide(request_key, sync_to_thread=False),
            **{name: Provide(_provider(container, name), sync_to_thread=False) for name in PROVIDED},
            "sandbox_provider": Provide(_provider(container, "sandbox_provider"), sync_to_thread=False),
        },
        before_request=check_json_body,
        request_max_body_size=container.config.max_body_bytes(),
        plugins=[problem_details_plugin()],
        on_shutdown=[close],
        openapi_config=OpenAPIConfig(
            title="Tessera",
            version="1.0.0",
            path="/schema",
            # The document describes the API to anyone who is about to ask for a key.
            openapi_router=Router("/schema", route_handlers=[], include_in_schema=False, opt=OPEN),
            render_plugins=[ScalarRenderPlugin()],
            components=SECURITY_COMPONENTS,
            security=REQUIRES_KEY,
        ),
        logging_config=None,
    )
    app.asgi_handler = RequestContext(app.asgi_handler)
    return app


async def check_json_body(request: Request[Any, Any, Any]) -> None:
    """Routes that take a body take a JSON one (or none, where the body is optional), decoded strictly here before Litestar converts
    it (leniently: it would take "2" for 2). Reading it also enforces the size limit, chunked
    or not. A handler's own `before_request` would replace this hook: give it none."""
    data = request.route_handler.parsed_data_field
    if data is None:
        return
    body = await request.body()
    if not body and data.is_optional:
        return
    if not body:
        raise WireError("malformed_json", "This route expects a JSON body; the request has none.")
    media_type, _ = request.content_type
    if media_type != "application/json" and not media_type.endswith("+json"):
        raise WireError("unsupported_media_type", f"Send the body as application/json, not {media_type!r}.")
    decode_json(body, data.annotation)


def _provider(container: Container, name: str) -> Callable[[], Any]:
    provider = getattr(container, name)
    return lambda: provider()
