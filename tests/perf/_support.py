"""Shared plumbing for benchmarks: a throwaway database, a served Tessera, percentiles."""

from __future__ import annotations

import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path

import httpx

from adapters.postgres import migrator
from adapters.postgres.embedded import start_embedded
from entrypoints.config import Settings
from entrypoints.container import build_container, close_container
from tests.support import database_on, free_port, issue_key, run_admin


def server_url() -> str:
    """TESSERA_TEST_DATABASE_URL's server, else an embedded PostgreSQL in a temp folder."""
    return os.environ.get("TESSERA_TEST_DATABASE_URL") or start_embedded(Path(tempfile.mkdtemp(prefix="tessera-bench-")))


@contextlib.asynccontextmanager
async def fresh_database():
    """A migrated database of its own, dropped afterwards."""
    base = server_url()
    name = f"tessera_bench_{uuid.uuid4().hex[:8]}"
    run_admin(base, f'CREATE DATABASE "{name}"')
    url = database_on(base, name)
    try:
        migrator.upgrade(url)
        yield url
    finally:
        run_admin(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def admin_key(database_url: str) -> str:
    """An admin API key's secret on that database: every /v1 route but the webhooks needs one."""
    container = build_container(Settings(), storage="postgres", database_url=database_url)
    try:
        return await issue_key(container)
    finally:
        await close_container(container)



@contextlib.contextmanager
def served(database_url: str, extra_env: Mapping[str, str] | None = None, workers: int = 1) -> Iterator[str]:
    """`tessera serve --workers N` in a child process on a free port (with `extra_env`); yields
    its base URL."""
    port = free_port()
    env = {**os.environ, "TESSERA_DATABASE_URL": database_url, "TESSERA_LOG_FORMAT": "json", **(extra_env or {})}
    tessera = Path(sys.executable).parent / "tessera"
    proc = subprocess.Popen(
        [str(tessera), "serve", "--port", str(port), "--workers", str(workers)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base, proc)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _wait_ready(base: str, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"tessera serve exited with {proc.returncode}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{base}/health/ready", timeout=1).status_code == 200:
                return
        time.sleep(0.2)
    raise RuntimeError("tessera serve was not ready within 60 s")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def median(values: list[float]) -> float:
    return statistics.median(values)
