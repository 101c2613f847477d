"""The `tessera` command against the test database, through click's runner."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from entrypoints.cli import main
from tests.e2e.wire import order

Tessera = Callable[..., Result]


@pytest.fixture
def tessera(clean_database: str) -> Tessera:
    """Runs `tessera ARGS` on the test database; keyword arguments are more environment."""
    runner = CliRunner()

    def run(*args: str, **env: str) -> Result:
        return runner.invoke(main, list(args), env={"TESSERA_DATABASE_URL": clean_database} | env)

    return run


def _ok(result: Result) -> Result:
    assert result.exit_code == 0, (result.exit_code, result.stderr)
    assert result.stderr == ""
    return result


def _failed(result: Result, exit_code: int, prefix: str) -> str:
    assert result.exit_code == exit_code, (result.exit_code, result.stdout, result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(prefix), result.stderr
    return lines[0]


def test_products_and_orders_from_the_command_line(tessera: Tessera, tmp_path: Path) -> None:
    added = _ok(tessera("products", "add", "--sku", "day-pass", "--name", "Day pass", "--kind", "day_pass",
                        "--unit-amount", "5000", "--currency", "USD", "--capacity", "100"))
    assert "day-pass" in added.stdout and "50.00 USD" in added.stdout

    listed = json.loads(_ok(tessera("products", "list", "--json")).stdout)
    assert [(p["sku"], p["unit_amount"], p["available"]) for p in listed["data"]] == [("day-pass", 5000, 100)]
    assert listed["next_cursor"] is None

    order_file = tmp_path / "order.json"
    order_file.write_text(json.dumps(order(("day-pass", 3), event={"id": "fest-2026", "date": "2026-05-15"})))
    placed = json.loads(_ok(tessera("orders", "place", "--file", str(order_file), "--json")).stdout)
    assert (placed["status"], placed["total"], placed["customer"]["email"]) == ("pending", 15000, "ana@example.com")

    shown = json.loads(_ok(tessera("orders", "show", placed["id"], "--json")).stdout)
    assert shown == placed
    text = _ok(tessera("orders", "show", placed["id"])).stdout
    assert placed["number"] in text and "150.00 USD" in text

    found = json.loads(_ok(tessera("orders", "list", "--email", "ana@example.com", "--json")).stdout)
    assert [o["id"] for o in found["data"]] == [placed["id"]]
    assert json.loads(_ok(tessera("orders", "list", "--status", "cancelled", "--json")).stdout)["data"] == []


def test_failures_are_one_line_on_stderr_with_an_exit_code(tessera: Tessera, tmp_path: Path) -> None:
    _failed(tessera("orders", "show", "0190d9a0-0000-7000-8000-000000000000"), 3, "error: not_found: ")
    _failed(tessera("orders", "show", "not-an-id"), 2, "error: usage: ")
    _failed(tessera("no-such-command"), 2, "error: usage: ")
    _failed(tessera("products", "list", TESSERA_ORDER_TTL="soon"), 2, "error: invalid_config: TESSERA_ORDER_TTL")

    bad_json = tmp_path / "bad.json"
    bad_json.write_text('{"customer": ')
    _failed(tessera("orders", "place", "--file", str(bad_json)), 2, "error: malformed_json: ")
    wrong_shape = tmp_path / "wrong.json"
    wrong_shape.write_text(json.dumps({"customer": {}, "currency": "USD", "items": []}))
    line = _failed(tessera("orders", "place", "--file", str(wrong_shape)), 2, "error: validation_failed: ")
    assert "email" in line

    sold_out = tmp_path / "sold-out.json"
    sold_out.write_text(json.dumps(order(("tiny", 2))))
    _ok(tessera("products", "add", "--sku", "tiny", "--name", "Tiny", "--kind", "vip", "--unit-amount", "1",
                "--currency", "USD", "--capacity", "1"))
    _failed(tessera("orders", "place", "--file", str(sold_out)), 4, "error: sold_out: ")


def test_database_unavailable(tessera: Tessera) -> None:
    _failed(tessera("products", "list", TESSERA_DATABASE_URL="postgresql://postgres@127.0.0.1:1/x"), 5,
            "error: unavailable: ")


def test_migrations_from_the_command_line(create_database: Callable[[], str]) -> None:
    runner = CliRunner()
    env = {"TESSERA_DATABASE_URL": create_database()}

    def status() -> dict[str, object]:
        return json.loads(_ok(runner.invoke(main, ["db", "status", "--json"], env=env)).stdout)

    head = status()["head"]
    assert status() == {"current": None, "head": head, "up_to_date": False}
    assert "CREATE TABLE orders" in _ok(runner.invoke(main, ["db", "sql"], env=env)).stdout
    assert status()["current"] is None

    _ok(runner.invoke(main, ["db", "upgrade"], env=env))
    assert status() == {"current": head, "head": head, "up_to_date": True}
    _ok(runner.invoke(main, ["db", "downgrade", "base"], env=env))
    assert status()["current"] is None
    _ok(runner.invoke(main, ["db", "upgrade", "head"], env=env))
    assert status()["up_to_date"] is True


def test_keys_create_list_and_revoke(tessera: Tessera) -> None:
    created = _ok(tessera("keys", "create", "--name", "shop", "--scope", "storefront"))
    secret = created.stdout.splitlines()[-1]
    assert secret.startswith("tsk_") and len(secret) > 40

    [listed] = json.loads(_ok(tessera("keys", "list", "--json")).stdout)
    assert (listed["name"], listed["scope"], listed["revoked_at"]) == ("shop", "storefront", None)
    assert secret.startswith(listed["prefix"]) and "secret" not in listed
    assert secret not in _ok(tessera("keys", "list")).stdout

    as_json = json.loads(_ok(tessera("keys", "create", "--name", "ops", "--scope", "admin", "--json")).stdout)
    assert as_json["secret"].startswith("tsk_") and as_json["scope"] == "admin"

    revoked = json.loads(_ok(tessera("keys", "revoke", listed["id"], "--json")).stdout)
    assert revoked["revoked_at"] is not None
    _failed(tessera("keys", "revoke", listed["id"]), 4, "error: invalid_state:")
    _failed(tessera("keys", "revoke", "0190d9a0-0000-7000-8000-000000000000"), 3, "error: not_found:")
    _failed(tessera("keys", "create", "--name", "x", "--scope", "root"), 2, "error: usage:")


def test_idempotency_purge(tessera: Tessera) -> None:
    assert _ok(tessera("idempotency", "purge")).stdout == "purged 0 idempotency keys\n"
