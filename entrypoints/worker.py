"""The webhook worker: drains due inbox events, sleeping between batches until woken or polled."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from litestar import Litestar

from application.ports import WorkSignal
from application.use_cases.process_webhooks import ProcessDueWebhooks

Chore = Callable[[int], Awaitable[int]]
"""A batch job run between webhook batches (recovering provider calls, expiring orders)."""

logger = logging.getLogger("tessera.worker")


class Worker:
    """Any number may run against one database: each batch is claimed with SKIP LOCKED.

    Between batches it also does its chores: finishing provider calls a crash or a timeout left
    half done, expiring unpaid orders. They claim their work with SKIP LOCKED too.
    Stopping lets the batch in hand finish (and commit), then returns; a worker killed outright
    commits nothing and its claimed events stay due for the others.
    """

    def __init__(
        self,
        process: ProcessDueWebhooks,
        signal: WorkSignal,
        chores: Sequence[Chore],
        *,
        batch_size: int = 100,
        poll_interval: float = 1.0,
    ) -> None:
        self._process = process
        self._signal = signal
        self._chores = chores
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self._failing = False

    async def run(self, stop: asyncio.Event) -> None:
        async with self._signal:
            while not stop.is_set():
                if await self._step() < self._batch_size:
                    await self._idle(stop)

    async def _step(self) -> int:
        try:
            processed = await self._process(self._batch_size)
            for chore in self._chores:
                await chore(self._batch_size)
        # The loop must outlive a database outage or a bug in one batch; the batch rolled back
        # and its events stay due, so the next step retries them. One traceback per streak of
        # failures: an outage must not write one every poll interval.
        except Exception:  # noqa: BLE001
            if not self._failing:
                logger.exception("webhook batches are failing; retrying every %.1f s", self._poll_interval)
            self._failing = True
            return 0
        if self._failing:
            logger.info("webhook batches succeed again")
            self._failing = False
        return processed

    async def _idle(self, stop: asyncio.Event) -> None:
        """Until a notification, a stop request or the poll interval, whichever comes first."""
        waits = [asyncio.ensure_future(self._signal.wait()), asyncio.ensure_future(stop.wait())]
        try:
            await asyncio.wait(waits, timeout=self._poll_interval, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiting in waits:
                waiting.cancel()
            await asyncio.gather(*waits, return_exceptions=True)


class Runner(Protocol):
    async def run(self, stop: asyncio.Event) -> None: ...


def run_alongside(app: Litestar, *runners: Runner) -> None:
    """Runs background loops (the worker, the sandbox's webhook sender) in the app's event loop,
    from startup until shutdown; they stop before the app's own shutdown hooks release the
    database."""
    stop = asyncio.Event()
    tasks: list[asyncio.Task[None]] = []

    async def start() -> None:
        tasks.extend(asyncio.create_task(runner.run(stop)) for runner in runners)

    async def finish() -> None:
        stop.set()
        await asyncio.gather(*tasks)

    app.on_startup.append(start)
    app.on_shutdown.insert(0, finish)


async def run_until_signalled(worker: Worker) -> None:
    """`tessera worker`: SIGINT or SIGTERM asks for a graceful stop."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for stop_signal in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(stop_signal, stop.set)
    await worker.run(stop)
