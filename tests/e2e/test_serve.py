"""`tessera serve` as people run it: embedded PostgreSQL, stopped by a signal, data kept."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.e2e.wire import order, product
from tests.support import free_port

pytestmark = pytest.mark.postgres
READY_WITHIN = 60.0



@contextmanager
def _serving(data_dir: Path, log: Path, stop_signal: signal.Signals, *options: str) -> Iterator[httpx.Client]:
    """Starts `tessera serve`, waits until ready, and on the way out stops it with `stop_signal`,
    requiring a clean exit."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TESSERA_")} | {"TESSERA_DATA_DIR": str(data_dir)}
    with log.open("ab") as output:
        process = subprocess.Popen(["uv", "run", "tessera", "serve", "--port", str(port), *options], env=env,
                                   stdout=output, stderr=subprocess.STDOUT)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            _wait_until_ready(client, process, log)
            client.headers["Authorization"] = f"Bearer {_initial_key(log, 'admin')}"
            yield client
        process.send_signal(stop_signal)
        assert process.wait(timeout=30) == 0, log.read_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def _wait_until_ready(client: httpx.Client, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + READY_WITHIN
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        try:
            if client.get("/health/ready").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.25)
    pytest.fail(f"not ready within {READY_WITHIN:g}s:\n{log.read_text()}")


def _initial_key(log: Path, scope: str) -> str:
    """The key the first start printed (later starts print none; the log keeps every start)."""
    found = re.search(rf"^  {scope} API key \(\S+\): (tsk_\S+)$", log.read_text(), re.MULTILINE)
    assert found, log.read_text()
    return found[1]


def test_serve_keeps_orders_across_restarts(tmp_path: Path) -> None:
    data_dir, log = tmp_path / "data", tmp_path / "serve.log"

    with _serving(data_dir, log, signal.SIGTERM) as api:
        assert api.post("/v1/products", json=product("day-pass")).status_code == 201
        placed = api.post("/v1/orders", json=order(("day-pass", 2)))
        assert placed.status_code == 201, placed.text
    assert "Tessera listening on http://127.0.0.1:" in log.read_text()
    assert not (data_dir / "postgres" / "postmaster.pid").exists(), "the embedded PostgreSQL is still running"

    with _serving(data_dir, log, signal.SIGINT) as api:
        assert api.get(f"/v1/orders/{placed.json()['id']}").json() == placed.json()
        storefront = {"Authorization": f"Bearer {_initial_key(log, 'storefront')}"}
        assert api.get(f"/v1/orders/{placed.json()['id']}", headers=storefront).status_code == 200
        assert api.get("/v1/products/day-pass", headers=storefront).status_code == 403
        assert api.get("/v1/products/day-pass").json()["sold"] == 2
    assert not (data_dir / "postgres" / "postmaster.pid").exists()
    assert log.read_text().count("API key (") == 2, "the second start printed keys again"


def test_serve_with_two_processes_shares_one_database(tmp_path: Path) -> None:
    data_dir, log = tmp_path / "data", tmp_path / "serve.log"
    with _serving(data_dir, log, signal.SIGINT, "--workers", "2") as api:
        assert api.post("/v1/products", json=product("day-pass", capacity=10)).status_code == 201
        # New connections land on either process; every order sees the one database.
        placed = [api.post("/v1/orders", json=order(("day-pass", 1)), headers={"Connection": "close"}) for _ in range(6)]
        assert [p.status_code for p in placed] == [201] * 6
        assert api.get("/v1/products/day-pass").json()["sold"] == 6
    text = log.read_text()
    assert "2 processes" in text and len(set(re.findall(r"Started server process \[(\d+)\]", text))) == 2
    assert not (data_dir / "postgres" / "postmaster.pid").exists(), "the embedded PostgreSQL is still running"
