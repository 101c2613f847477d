"""Idempotency-Key on the routes that create or move money (their `opt` says IDEMPOTENT).

An ASGI middleware rather than code in each handler because it must see the raw body (for
the fingerprint) and the response exactly as sent (to replay it byte for byte). It runs
before the guard, so it authenticates the key itself and leaves it for the guard.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from application.errors import InvalidRequest
from domain.idempotency import KEY_MAX, StoredResponse, fingerprint
from entrypoints.container import Container
from entrypoints.http.auth import authenticated_key

IDEMPOTENT_OPT = "idempotent"
IDEMPOTENT: dict[str, Any] = {IDEMPOTENT_OPT: True}
HEADER = b"idempotency-key"
REPLAYED = (b"idempotent-replayed", b"true")
REQUEST_KEY_STATE = "request_key"


def request_key(request: Request[Any, Any, Any]) -> str | None:
    """The request's Idempotency-Key scoped to its API key, for use cases that remember which
    request made what (so a retry finds it even if the stored response was lost)."""
    return request.state.get(REQUEST_KEY_STATE)


def idempotency_middleware(container: Container) -> Any:
    def wrap(app: ASGIApp) -> ASGIApp:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            key = _header(scope, HEADER)
            if scope["type"] != "http" or key is None or not scope["route_handler"].opt.get(IDEMPOTENT_OPT):
                await app(scope, receive, send)
                return
            await _idempotent(app, container, scope, receive, send, key)

        return middleware

    return wrap


async def _idempotent(app: ASGIApp, container: Container, scope: Scope, receive: Receive, send: Send, raw: bytes) -> None:
    key = raw.decode("latin-1")
    if not 1 <= len(key) <= KEY_MAX:
        raise InvalidRequest(f"Idempotency-Key must be 1 to {KEY_MAX} characters")
    api_key = await authenticated_key(scope, container.authenticate_api_key())
    scope["state"][REQUEST_KEY_STATE] = f"{api_key.id}:{key}"
    body = await _read_body(receive, container.config.max_body_bytes())
    request_fingerprint = fingerprint(scope["method"], scope["path"], body)
    stored = await container.begin_idempotent_request()(api_key.id, key, request_fingerprint)
    if stored is not None:
        await _replay(send, stored)
        return

    response: dict[str, Any] = {"status": 500, "content_type": "", "body": bytearray()}
    delivered = False

    async def receive_again() -> Message:
        nonlocal delivered
        if delivered:
            return await receive()
        delivered = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send_and_keep(message: Message) -> None:
        if message["type"] == "http.response.start":
            response["status"] = message["status"]
            response["content_type"] = (_header_of(message["headers"], b"content-type") or b"").decode("latin-1")
        elif message["type"] == "http.response.body":
            response["body"] += message.get("body", b"")
        await send(message)

    try:
        await app(scope, receive_again, send_and_keep)
    finally:
        # On an exception Litestar answers outside this middleware: never a success, so the
        # key is released (the default status above) and the client may retry.
        stored = StoredResponse(response["status"], response["content_type"], bytes(response["body"]))
        await container.finish_idempotent_request()(api_key.id, key, request_fingerprint, stored)


async def _read_body(receive: Receive, limit: int) -> bytes:
    body = bytearray()
    while True:
        message = await receive()
        body += message.get("body", b"")
        if len(body) > limit:
            raise RequestEntityTooLarge()
        if not message.get("more_body", False):
            return bytes(body)


async def _replay(send: Send, stored: StoredResponse) -> None:
    headers = [(b"content-type", stored.content_type.encode("latin-1")), (b"content-length", str(len(stored.body)).encode()),
               REPLAYED]
    await send({"type": "http.response.start", "status": stored.status, "headers": headers})
    await send({"type": "http.response.body", "body": stored.body, "more_body": False})


def _header(scope: Scope, name: bytes) -> bytes | None:
    return _header_of(scope["headers"], name)


def _header_of(headers: Any, name: bytes) -> bytes | None:
    return next((value for key, value in headers if key.lower() == name), None)
