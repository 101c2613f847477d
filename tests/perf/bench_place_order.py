"""POST /v1/orders on PostgreSQL: database round trips of one placement, and requests/second.

Reproduce: uv run python -m tests.perf.bench_place_order [--requests 2000] [--concurrency 32] [--runs 3]
(TESSERA_TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres to use a server;
otherwise an embedded PostgreSQL is started.)
"""

from __future__ import annotations

import argparse
import asyncio
from collections import Counter

from sqlalchemy import event

from adapters.postgres.engine import create_engine
from adapters.postgres.uow import PgUnitOfWorkFactory
from adapters.system import SystemClock, UuidV7Generator
from application.auditing import AuditRecorder
from application.commands import AddProduct as AddProductCommand
from application.commands import CustomerDetails, OrderItem
from application.commands import PlaceOrder as PlaceOrderCommand
from application.use_cases.add_product import AddProduct
from application.use_cases.place_order import OrderPolicy, PlaceOrder
from tests.perf._load import LoadResult, run_load, summarise
from tests.perf._support import admin_key, fresh_database, served

def order_body(buyer: int) -> dict:
    """Every order from a different buyer, all for the same product: a ticket sale opening."""
    return {
        "customer": {"email": f"buyer{buyer}@example.com", "first_name": "Bench"},
        "currency": "USD",
        "items": [{"sku": "bench-pass", "quantity": 1}],
    }


async def count_round_trips(url: str) -> Counter[str]:
    """Runs the place-order use case on a warm pool and counts what goes over the wire.

    With asyncpg, BEGIN travels as its own message before the first statement.
    """
    engine = create_engine(url, pool_size=1)
    trips: Counter[str] = Counter()
    sync = engine.sync_engine
    event.listen(sync, "before_cursor_execute", lambda *a, **k: trips.update(["statement"]))
    event.listen(sync, "begin", lambda *a: trips.update(["begin"]))
    event.listen(sync, "commit", lambda *a: trips.update(["commit"]))
    clock, ids = SystemClock(), UuidV7Generator()
    uow, audit = PgUnitOfWorkFactory(engine), AuditRecorder(clock, ids)
    await AddProduct(uow, clock, ids, audit)(
        AddProductCommand(sku="bench-pass", name="Bench", kind="day_pass", unit_amount=5000, currency="USD", actor="bench")
    )
    place = PlaceOrder(uow, clock, ids, audit, OrderPolicy())
    command = PlaceOrderCommand(customer=CustomerDetails("bench@example.com"), currency="USD",
                                items=(OrderItem("bench-pass", 1),), actor="bench")
    await place(command)  # warm: statement caches, prepared statements
    trips.clear()
    await place(command)
    await engine.dispose()
    return trips


async def main(requests: int, concurrency: int, runs: int, workers: int) -> None:
    async with fresh_database() as url:
        trips = await count_round_trips(url)
        print(f"round trips for one place-order (warm): {sum(trips.values())} -> {dict(trips)}")
        authorization = {"Authorization": f"Bearer {await admin_key(url)}"}

        async def place(total: int) -> LoadResult:
            return await run_load(base, "POST", "/v1/orders", order_body, total, concurrency, lambda *_: authorization)

        with served(url, workers=workers) as base:
            ceiling = await run_load(base, "GET", "/health/live", lambda _: b"", requests, concurrency)
            await place(min(200, requests))  # warm-up
            results = [await place(requests) for _ in range(runs)]
    refused = sum((r.statuses for r in results), Counter()) - Counter({201: requests * runs})
    if refused:
        raise SystemExit(f"not every order was placed ({dict(refused)}): the figures would not describe placing orders")
    print(f"GET /health/live (the HTTP stack's ceiling): {ceiling.requests_per_second:.0f} requests/second")
    print(summarise(f"POST /v1/orders, {requests} requests x {runs} runs, {concurrency} concurrent connections, "
                    f"{workers} server process{'es' if workers > 1 else ''}", results))
    print("reproduce: uv run python -m tests.perf.bench_place_order "
          f"--requests {requests} --concurrency {concurrency} --runs {runs} --workers {workers}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=1, help="tessera serve --workers N")
    args = parser.parse_args()
    asyncio.run(main(args.requests, args.concurrency, args.runs, args.workers))
