"""Webhook inbox on PostgreSQL: POST /v1/webhooks/sandbox throughput and latency, worker drain rate.

Reproduce: uv run python -m tests.perf.bench_webhooks [--requests 4000] [--concurrency 32] [--runs 3]
           [--backlog 10000] [--workers 1] [--batch 100]
(TESSERA_TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres to use a server;
otherwise an embedded PostgreSQL is started.) Ingest runs against `tessera serve` with its
in-process worker draining as events arrive, as in production.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import time
from datetime import UTC, datetime
from uuid import uuid4

from adapters.postgres.engine import create_engine
from adapters.postgres.uow import PgUnitOfWorkFactory
from adapters.system import SystemClock, UuidV7Generator
from application.auditing import AuditRecorder
from application.ports import UnitOfWork, WebhookHandler
from application.use_cases.process_webhooks import ProcessDueWebhooks
from application.webhook_handlers import WebhookHandlers
from domain.webhooks import RetryPolicy, WebhookEvent
from tests.perf._load import run_load, summarise
from tests.perf._support import fresh_database, served
from tests.support import sandbox_delivery

SECRET = "whsec_" + base64.b64encode(b"benchmark-secret-benchmark-32-by").decode()


class NoEffect(WebhookHandler):
    """A handler that writes nothing, so the drain rate measures the inbox's own cost (claim,
    savepoint, status, audit entry, commit)."""

    async def __call__(self, event: WebhookEvent, uow: UnitOfWork) -> None:
        return None


def deliveries(run: str, total: int) -> list[tuple[bytes, dict[str, str]]]:
    """Signed ahead of time so the client's HMACs are not in the measured window."""
    return [sandbox_delivery(SECRET, f"evt_{run}_{i}") for i in range(total)]


async def ingest(base: str, run: str, total: int, concurrency: int):
    signed = deliveries(run, total)
    return await run_load(
        base, "POST", "/v1/webhooks/sandbox", lambda i: signed[i][0], total, concurrency,
        headers=lambda i, _: signed[i][1],
    )


async def drain(url: str, backlog: int, workers: int, batch: int) -> tuple[float, int]:
    """Records `backlog` due events, then times `workers` concurrent worker loops draining them."""
    engine = create_engine(url, pool_size=workers + 1)
    uow = PgUnitOfWorkFactory(engine)
    clock, ids = SystemClock(), UuidV7Generator()
    async with uow() as unit:
        for i in range(backlog):
            await unit.webhooks.record(
                WebhookEvent.receive(
                    id=ids.new_id(), provider="sandbox", provider_event_id=f"evt_backlog_{i}_{uuid4().hex}",
                    type="payment.captured", payload=b"{}", headers={}, now=datetime.now(UTC),
                )
            )
        await unit.commit()
    handlers = WebhookHandlers()
    handlers.register("sandbox", "payment.captured", NoEffect())
    process = ProcessDueWebhooks(uow, clock, AuditRecorder(clock, ids), handlers, RetryPolicy())

    async def loop() -> int:
        done = 0
        while handled := await process(batch):
            done += handled
        return done

    started = time.perf_counter()
    drained = sum(await asyncio.gather(*(loop() for _ in range(workers))))
    elapsed = time.perf_counter() - started
    await engine.dispose()
    return drained / elapsed, drained


async def main(requests: int, concurrency: int, runs: int, backlog: int, workers: int, batch: int) -> None:
    os.environ["TESSERA_SANDBOX_WEBHOOK_SECRET"] = SECRET
    async with fresh_database() as url:
        with served(url) as base:
            await ingest(base, "warm", min(200, requests), concurrency)
            results = [await ingest(base, f"run{n}", requests, concurrency) for n in range(runs)]
    async with fresh_database() as url:
        # A database of its own: what serve's worker left of the ingest runs is not in the figure.
        rate, drained = await drain(url, backlog, workers, batch)
    print(summarise(
        f"POST /v1/webhooks/sandbox, {requests} distinct signed events x {runs} runs, {concurrency} concurrent connections",
        results,
    ))
    print(f"worker drain, backlog {backlog}, {workers} worker(s), batch {batch}: {rate:.0f} events/second ({drained} drained)")
    print("reproduce: uv run python -m tests.perf.bench_webhooks "
          f"--requests {requests} --concurrency {concurrency} --runs {runs} "
          f"--backlog {backlog} --workers {workers} --batch {batch}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--backlog", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--batch", type=int, default=100)
    args = parser.parse_args()
    asyncio.run(main(args.requests, args.concurrency, args.runs, args.backlog, args.workers, args.batch))
