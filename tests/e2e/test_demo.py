"""`tessera demo` through click's runner: a real server on a free port, driven over HTTP, with
the sandbox's webhook coming back over HTTP, on PostgreSQL and in memory."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from entrypoints.cli import main

Demo = Callable[..., Result]
JOURNEY = ("order.placed", "payment.created", "payment.captured", "order.completed")


@pytest.fixture
def demo(tmp_path: Path) -> Demo:
    """Runs `tessera demo ARGS`; keyword arguments are more environment. The data folder (where
    the sandbox's webhook secret is kept) is the test's own."""
    runner = CliRunner()

    def run(*args: str, **env: str) -> Result:
        return runner.invoke(main, ["demo", *args], env={"TESSERA_DATA_DIR": str(tmp_path)} | env)

    return run


def _ok(result: Result) -> str:
    assert result.exit_code == 0, (result.exit_code, result.stdout, result.stderr)
    assert result.stderr == ""
    return result.stdout


def _in_order(text: str, words: tuple[str, ...]) -> bool:
    positions = [text.find(word) for word in words]
    return -1 not in positions and positions == sorted(positions)


@pytest.mark.postgres
def test_the_demo_completes_an_order_on_postgres_again_and_again(demo: Demo, clean_database: str) -> None:
    first = _ok(demo(TESSERA_DATABASE_URL=clean_database))
    assert "No API keys existed" in first  # the installation's first start hands out its keys
    order_line = next(line for line in first.splitlines() if line.startswith("Order "))
    assert "  completed  100.00 USD" in order_line
    assert "payment captured, order completed" in first
    assert _in_order(first, JOURNEY)

    again = _ok(demo(TESSERA_DATABASE_URL=clean_database))  # a new sku each time
    assert "No API keys existed" not in again
    assert "order completed" in again and _in_order(again, JOURNEY)


def test_the_demo_in_memory_as_json(demo: Demo) -> None:
    journey = json.loads(_ok(demo("--memory", "--json")))
    order = journey["order"]
    assert (order["status"], order["amount_paid"]) == ("completed", 10000)
    assert [(p["provider"], p["status"]) for p in order["payments"]] == [("sandbox", "captured")]
    actions = [entry["action"] for entry in journey["audit"]]
    assert [action for action in actions if action in JOURNEY] == list(JOURNEY)
    assert {entry["entity_id"] for entry in journey["audit"]} == {order["id"], order["payments"][0]["id"]}
    assert journey["initial_api_keys"] == []


def test_a_refused_step_fails_in_one_line(demo: Demo) -> None:
    result = demo("--memory", TESSERA_MAX_BODY_BYTES="10")
    assert result.exit_code == 1, (result.stdout, result.stderr)
    [line] = result.stderr.splitlines()
    assert line.startswith("error: demo_failed: POST /v1/products answered 413: payload_too_large: "), line
