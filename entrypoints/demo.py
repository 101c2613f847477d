"""`tessera demo`: one sale, end to end, on a Tessera served in this process and driven over
real HTTP the way a storefront and its buyer would drive it. The sandbox provider's webhook
travels back over HTTP too, so a green demo means the whole chain works on this machine."""

from __future__ import annotations

import asyncio
import secrets
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
import uvicorn
from litestar import Litestar

from domain.money import Money
from domain.orders import OrderStatus

WAIT_FOR_COMPLETION = 30.0
"""Seconds the buyer waits for the sandbox's webhook to complete the order."""
POLL_INTERVAL = 0.1
UNIT_AMOUNT, CURRENCY, QUANTITY = 5000, "USD", 2


class DemoFailed(Exception):
    """The demo's own server refused a step, or the order did not complete in time. Not a
    business rule (no HTTP status): the `demo` command reports it as `demo_failed`."""


@dataclass(frozen=True)
class Step:
    what: str
    status: str
    detail: str


@dataclass(frozen=True)
class Journey:
    """The completed order (payments embedded), the steps that got it there, and the audit
    entries of the order and its payment, oldest first: the HTTP API's shapes, as JSON."""

    order: dict[str, Any]
    steps: list[Step]
    audit: list[dict[str, Any]]


@asynccontextmanager
async def served(app: Litestar, listener: socket.socket) -> AsyncIterator[None]:
    """Serves `app` on `listener` in this event loop until the block ends, then shuts it down
    gracefully (background loops stopped, database released), however the block ended."""
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, access_log=False, lifespan="on"))
    serving = asyncio.create_task(server.serve(sockets=[listener]))
    try:
        while not server.started:
            if serving.done():
                serving.result()
                raise DemoFailed("the demo's server stopped while starting")
            await asyncio.sleep(0.02)
        yield
    finally:
        server.should_exit = True
        await serving


async def sell_one_pass(base_url: str, api_key: str) -> Journey:
    """Adds a product, places an order for it, pays with the sandbox (automatic capture) and
    waits for the webhook that completes the order. The sku is new each time, so the demo can
    run again and again on the same database."""
    async with httpx.AsyncClient(base_url=base_url, headers={"Authorization": f"Bearer {api_key}"},
                                 timeout=10) as client:
        sku = f"demo-pass-{secrets.token_hex(3)}"
        await _call(client, "POST", "/v1/products", json={
            "sku": sku, "name": "Demo pass", "kind": "day_pass", "unit_amount": UNIT_AMOUNT, "currency": CURRENCY,
        })
        order = (await _call(client, "POST", "/v1/orders", json={
            "customer": {"email": "buyer@example.com", "first_name": "Demo", "last_name": "Buyer"},
            "currency": CURRENCY,
            "items": [{"sku": sku, "quantity": QUANTITY}],
        })).json()
        payment = (await _call(client, "POST", f"/v1/orders/{order['id']}/checkout",
                               json={"provider": "sandbox", "capture_method": "automatic"})).json()
        await _call(client, "GET", payment["approval_url"])  # the buyer opens the hosted page...
        approved = (await _call(client, "POST", payment["approval_url"] + "/approve")).json()
        waited_since = time.monotonic()
        completed = await _completed(client, order["id"])
        waited = time.monotonic() - waited_since
        audit = await _audit_of(client, order["id"]) + await _audit_of(client, payment["id"])
    total = _money(order["total"], CURRENCY)
    [paid] = completed["payments"]
    steps = [
        Step("product added", "on sale", f"{sku}  {_money(UNIT_AMOUNT, CURRENCY)} each"),
        Step("order placed", f"order {order['status']}", f"{QUANTITY} x {sku} = {total}"),
        Step("checkout started", f"payment {payment['status']}", f"sandbox, {payment['capture_method']} capture"),
        Step("buyer approved", f"sandbox {approved['status']}", payment["approval_url"]),
        Step("webhook processed", f"payment {paid['status']}, order {completed['status']}",
             f"{_money(paid['amount_captured'], paid['currency'])}, seen {waited * 1000:.0f} ms after approval"),
    ]
    return Journey(completed, steps, sorted(audit, key=_audit_order))


def journey_text(journey: Journey) -> str:
    """The order's number, each step with the statuses it led to, then the audit trail."""
    order = journey.order
    total = _money(order["total"], order["currency"])
    lines = [f"Order {order['number']}  {order['status']}  {total}  (id {order['id']})"]
    lines += _columns([(step.what, step.status, step.detail) for step in journey.steps])
    lines += ["", "Audit trail of the order and its payment (UTC)"]
    lines += _columns([_audit_row(entry) for entry in journey.audit])
    return "\n".join(lines)


async def _call(client: httpx.AsyncClient, method: str, url: str, **kwargs: Any) -> httpx.Response:
    try:
        response = await client.request(method, url, **kwargs)
    except httpx.HTTPError as exc:
        raise DemoFailed(f"{method} {url} failed: {type(exc).__name__}: {exc}") from exc
    if not response.is_success:
        raise DemoFailed(f"{method} {response.url.path} answered {response.status_code}: {_problem(response)}")
    return response


def _problem(response: httpx.Response) -> str:
    try:
        problem = response.json()
        return f"{problem['code']}: {problem['detail']}"
    except (ValueError, KeyError, TypeError):
        return response.text[:200]


async def _completed(client: httpx.AsyncClient, order_id: str) -> dict[str, Any]:
    """Polls the order: the webhook is delivered and processed after the approval returns."""
    deadline = time.monotonic() + WAIT_FOR_COMPLETION
    while True:
        order = (await _call(client, "GET", f"/v1/orders/{order_id}")).json()
        if order["status"] == OrderStatus.COMPLETED:
            return order
        if time.monotonic() > deadline:
            payments = ", ".join(payment["status"] for payment in order["payments"]) or "none"
            raise DemoFailed(
                f"order {order['number']} is still {order['status']} (payments: {payments}) "
                f"{WAIT_FOR_COMPLETION:.0f} s after approval; see `tessera webhooks list`"
            )
        await asyncio.sleep(POLL_INTERVAL)


async def _audit_of(client: httpx.AsyncClient, entity_id: str) -> list[dict[str, Any]]:
    """One page is all of it: an order and a payment gather a handful of entries each."""
    response = await _call(client, "GET", "/v1/audit", params={"entity_id": entity_id, "limit": 100})
    return response.json()["data"]


def _audit_order(entry: dict[str, Any]) -> tuple[datetime, str]:
    """By time, then by id (time-ordered UUIDv7), so entries written in one instant keep their order."""
    return datetime.fromisoformat(entry["occurred_at"]), entry["id"]


def _audit_row(entry: dict[str, Any]) -> tuple[str, ...]:
    change = f"{entry['from_status'] or ''} -> {entry['to_status']}" if entry["to_status"] else ""
    amount = _money(entry["amount"], entry["currency"]) if entry["amount"] is not None else ""
    occurred = datetime.fromisoformat(entry["occurred_at"])
    return f"{occurred:%H:%M:%S}.{occurred.microsecond // 1000:03d}", entry["actor"], entry["action"], change, amount


def _columns(rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(cell) for cell in column) for column in zip(*rows)]
    return ["  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows]


def _money(amount: int, currency: str) -> str:
    return Money(amount, currency).format()
