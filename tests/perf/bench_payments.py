"""Payments on PostgreSQL over HTTP: checkout, capture and refund, requests/second and latency.

Reproduce: uv run python -m tests.perf.bench_payments [--requests 500] [--concurrency 16] [--runs 3]
(TESSERA_TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres to use a server;
otherwise an embedded PostgreSQL is started.) Runs against `tessera serve` with its webhook
worker and the sandbox provider's webhook sender, as in production. Each run places
`--requests` orders, then measures three phases over them, one request per order or payment:
  checkout  POST /v1/orders/{id}/checkout (sandbox, manual capture)  -> 201
  capture   POST /v1/payments/{id}/capture (in full)                  -> 200
  refund    POST /v1/payments/{id}/refunds (2000 of 5000)             -> 201
Between phases (unmeasured) the buyers approve on the sandbox's hosted page, and the bench
waits until every payment is authorized and both webhook queues are empty, so no phase pays
for the previous one's provider events. The sandbox provider lives in the served process (its
calls are in-process, its state in the same database) and sends one webhook back over HTTP per
capture and per refund, which the worker processes while the phase is still being measured.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import time
from collections import Counter
from collections.abc import Callable
from urllib.parse import urlsplit

import httpx
from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.postgres.engine import create_engine
from tests.perf._load import LoadResult, _request, run_load, summarise
from tests.perf._support import admin_key, fresh_database, served

SECRET = "whsec_" + base64.b64encode(b"benchmark-payments-secret-32-by!").decode()
PRICE, REFUND = 5000, 2000
WAIT = 300.0

Call = tuple[str, object]
"""One request of a phase: its path and its JSON body."""


async def _read_answer(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length = next((int(line.split(":", 1)[1]) for line in lines if line.lower().startswith("content-length:")), 0)
    return status, await reader.readexactly(length)


async def run_calls(base: str, calls: list[Call], connections: int, headers: dict[str, str]) -> tuple[LoadResult, list[bytes]]:
    """tests.perf._load.run_load with a path per request, keeping the answers' bodies: a POST
    to each of `calls` over `connections` keep-alive connections."""
    url = urlsplit(base)
    result = LoadResult(0.0)
    answers: list[bytes] = [b""] * len(calls)
    extra = "".join(f"{k}: {v}\r\n" for k, v in headers.items()).encode()
    counter = iter(range(len(calls)))

    async def connection() -> None:
        reader, writer = await asyncio.open_connection(url.hostname, url.port)
        try:
            for i in counter:
                path, body = calls[i]
                request = _request("POST", url.netloc, path, json.dumps(body).encode())
                request = request.replace(b"\r\n\r\n", b"\r\n" + extra + b"\r\n", 1)
                started = time.perf_counter()
                writer.write(request)
                status, answers[i] = await _read_answer(reader)
                result.latencies.append(time.perf_counter() - started)
                result.statuses[status] += 1
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(connections)))
    result.requests_per_second = len(calls) / (time.perf_counter() - started)
    return result, answers


def expect(what: str, result: LoadResult, status: int) -> None:
    """Refuses to go on (and so to print figures) unless every answer was `status`."""
    refused = result.statuses - Counter({status: sum(result.statuses.values())})
    if refused:
        raise SystemExit(f"{what}: not every answer was {status} ({dict(result.statuses)}): "
                         "the figures would not describe that phase")


async def until(engine: AsyncEngine, what: str, query: str, holds: Callable[[int], bool], **params: object) -> None:
    """Polls a count until `holds` is true: provider events travel and are processed asynchronously."""
    statement = text(query)
    if "ids" in params:
        statement = statement.bindparams(bindparam("ids", type_=ARRAY(UUID(as_uuid=False))))
    deadline = time.monotonic() + WAIT
    while True:
        async with engine.connect() as connection:
            count = (await connection.execute(statement, params)).scalar_one()
        if holds(count):
            return
        if time.monotonic() > deadline:
            raise SystemExit(f"{what}: still {count} after {WAIT:.0f} s")
        await asyncio.sleep(0.1)


async def quiet(engine: AsyncEngine) -> None:
    """Every sandbox event delivered and every received webhook processed."""
    await until(engine, "sandbox events not yet delivered",
                "SELECT count(*) FROM sandbox_events WHERE next_attempt_at IS NOT NULL", lambda n: n == 0)
    await until(engine, "webhook events not yet processed",
                "SELECT count(*) FROM webhook_events WHERE status IN ('received', 'failed')", lambda n: n == 0)


async def cycle(base: str, engine: AsyncEngine, run: str, total: int, concurrency: int,
                headers: dict[str, str]) -> dict[str, LoadResult]:
    """One run: `total` orders placed, then checked out, approved, captured and part refunded."""
    placed = await run_load(
        base, "POST", "/v1/orders",
        lambda i: {"customer": {"email": f"buyer{run}-{i}@example.com", "first_name": "Bench"},
                   "currency": "USD", "items": [{"sku": "bench-pass", "quantity": 1}]},
        total, concurrency, lambda *_: headers,
    )
    expect("placing orders", placed, 201)
    orders = await _ids_of_orders(engine, f"buyer{run}-%")
    assert len(orders) == total, (len(orders), total)

    checkout, bodies = await run_calls(
        base, [(f"/v1/orders/{order}/checkout", {"provider": "sandbox", "capture_method": "manual"}) for order in orders],
        concurrency, headers,
    )
    expect("checkout", checkout, 201)
    payments = [json.loads(body) for body in bodies]
    approved, _ = await run_calls(
        base, [(urlsplit(p["approval_url"]).path + "/approve", {}) for p in payments], concurrency, {}
    )
    expect("approving at the sandbox's hosted page", approved, 200)
    ids = [p["id"] for p in payments]
    await until(engine, "payments not yet authorized",
                "SELECT count(*) FROM payments WHERE id = ANY(:ids) AND status = 'authorized'",
                lambda n: n == total, ids=ids)
    await quiet(engine)

    capture, _ = await run_calls(base, [(f"/v1/payments/{i}/capture", {}) for i in ids], concurrency, headers)
    expect("capture", capture, 200)
    await quiet(engine)

    refund, _ = await run_calls(
        base, [(f"/v1/payments/{i}/refunds", {"amount": REFUND, "reason": "bench"}) for i in ids], concurrency, headers
    )
    expect("refund", refund, 201)
    await quiet(engine)
    await until(engine, "payments not partly refunded",
                f"SELECT count(*) FROM payments WHERE id = ANY(:ids) AND amount_captured = {PRICE}"
                f" AND amount_refunded = {REFUND}", lambda n: n == total, ids=ids)
    return {"checkout": checkout, "capture": capture, "refund": refund}


async def _ids_of_orders(engine: AsyncEngine, emails: str) -> list[str]:
    async with engine.connect() as connection:
        rows = await connection.execute(
            text("SELECT o.id FROM orders o JOIN customers c ON c.id = o.customer_id WHERE c.email LIKE :emails"
                 " ORDER BY o.created_at, o.id"),
            {"emails": emails},
        )
        return [str(row.id) for row in rows]


async def main(requests: int, concurrency: int, runs: int) -> None:
    async with fresh_database() as url:
        headers = {"Authorization": f"Bearer {await admin_key(url)}"}
        engine = create_engine(url, pool_size=2)
        try:
            with served(url, {"TESSERA_SANDBOX_WEBHOOK_SECRET": SECRET}) as base:
                async with httpx.AsyncClient(base_url=base, headers=headers) as client:
                    created = await client.post("/v1/products", json={
                        "sku": "bench-pass", "name": "Bench", "kind": "day_pass", "unit_amount": PRICE,
                        "currency": "USD", "capacity": None,
                    })
                    assert created.status_code == 201, created.text
                ceiling = await run_load(base, "GET", "/health/live", lambda _: b"", requests, concurrency)
                await cycle(base, engine, "warm", min(100, requests), concurrency, headers)
                results = [await cycle(base, engine, str(run), requests, concurrency, headers) for run in range(runs)]
        finally:
            await engine.dispose()
    print(f"GET /health/live (the HTTP stack's ceiling): {ceiling.requests_per_second:.0f} requests/second")
    for phase, title in (
        ("checkout", "POST /v1/orders/{id}/checkout (sandbox, manual capture)"),
        ("capture", "POST /v1/payments/{id}/capture (in full, of an authorized payment)"),
        ("refund", f"POST /v1/payments/{{id}}/refunds ({REFUND} of a {PRICE} capture)"),
    ):
        print(summarise(f"{title}, {requests} requests x {runs} runs, {concurrency} concurrent connections",
                        [result[phase] for result in results]))
    print("reproduce: uv run python -m tests.perf.bench_payments "
          f"--requests {requests} --concurrency {concurrency} --runs {runs}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(main(args.requests, args.concurrency, args.runs))
