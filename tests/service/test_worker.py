import asyncio
import logging

import pytest

from entrypoints.worker import Worker


class ScriptedBatches:
    """Stands in for ProcessDueWebhooks: raises for the first `failures` calls, then stops the worker."""

    def __init__(self, failures: int, stop: asyncio.Event) -> None:
        self.calls = 0
        self._failures = failures
        self._stop = stop

    async def __call__(self, batch_size: int) -> int:
        self.calls += 1
        if self.calls <= self._failures:
            raise ConnectionRefusedError("database down")
        self._stop.set()
        return 0


class NeverSignals:
    async def __aenter__(self) -> "NeverSignals":
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def wait(self) -> None:
        await asyncio.Event().wait()


async def test_an_outage_logs_one_traceback_and_one_recovery(caplog: pytest.LogCaptureFixture) -> None:
    stop = asyncio.Event()
    batches = ScriptedBatches(failures=3, stop=stop)
    worker = Worker(batches, NeverSignals(), [], poll_interval=0.001)  # type: ignore[arg-type]
    with caplog.at_level(logging.INFO, logger="tessera.worker"):
        await asyncio.wait_for(worker.run(stop), timeout=5)
    records = [r for r in caplog.records if r.name == "tessera.worker"]
    assert batches.calls == 4
    assert [(r.levelno, r.exc_info is not None) for r in records] == [(logging.ERROR, True), (logging.INFO, False)]
