"""The `tessera` command against the test database, through click's runner."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from application.commands import AddProduct, CustomerDetails, OrderItem, PlaceOrder, RecordWebhook, StartCheckout
from entrypoints.cli import main
from entrypoints.config import Settings
from entrypoints.container import build_container, close_container
from tests.e2e.wire import order
from tests.support import sandbox_delivery

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


def test_payments_from_the_command_line(tessera: Tessera, clean_database: str, tmp_path: Path) -> None:
    """A sandbox payment authorized by its buyer, then captured and refunded by an operator.
    The CLI finds the sandbox secret `serve` keeps in the data folder."""
    data_dir = tmp_path / "data"
    settings = Settings(data_dir=data_dir).serving("127.0.0.1", 8000, keep=True)
    payment_id = asyncio.run(_authorized_payment(settings, clean_database))
    env = {"TESSERA_DATA_DIR": str(data_dir)}

    shown = json.loads(_ok(tessera("payments", "show", payment_id, "--json", **env)).stdout)
    assert (shown["status"], shown["amount"]) == ("authorized", 10000)
    reconciled = json.loads(_ok(tessera("reconcile", "--provider", "sandbox", "--json", **env)).stdout)
    assert reconciled == {"checked": 1, "changed": 0}  # the provider agrees: authorized
    _failed(tessera("reconcile", "--provider", "stripe", **env), 6, "error: provider_not_configured:")
    captured = _ok(tessera("payments", "capture", payment_id, "--amount", "6000", **env)).stdout
    assert "captured" in captured and "60.00 USD" in captured
    _failed(tessera("payments", "capture", payment_id, **env), 4, "error: invalid_state:")
    refund = json.loads(_ok(tessera("payments", "refund", payment_id, "--amount", "1000", "--reason", "late", "--json",
                                    **env)).stdout)
    assert (refund["amount"], refund["status"], refund["reason"]) == (1000, "succeeded", "late")
    _failed(tessera("payments", "refund", payment_id, "--amount", "5001", **env), 2, "error: amount_exceeds_refundable:")
    _failed(tessera("payments", "cancel", payment_id, **env), 4, "error: invalid_state:")


async def _authorized_payment(settings: Settings, database_url: str) -> str:
    container = build_container(settings, "postgres", database_url)
    try:
        await container.add_product()(AddProduct("day-pass", "Day pass", "day_pass", 5000, "USD", "test"))
        placed = await container.place_order()(
            PlaceOrder(CustomerDetails("ana@example.com"), "USD", (OrderItem("day-pass", 2),), "test")
        )
        checkout = await container.start_checkout()(StartCheckout(placed.order.id, "sandbox", "test", "manual"))
        provider_id = checkout.payment.provider_payment_id or ""
        await container.sandbox_provider().approve(provider_id)
        # No server runs to receive the provider's webhook: hand Tessera the event it would send.
        data = {"payment_id": provider_id, "amount": 10000, "currency": "USD"}
        body, headers = sandbox_delivery(settings.sandbox_webhook_secret or "", "evt_cli", "payment.authorized", data=data)
        await container.record_webhook()(RecordWebhook("sandbox", body, headers))
        await container.process_webhooks()(10)
        return str(checkout.payment.id)
    finally:
        await close_container(container)


def test_several_processes_need_postgresql(tessera: Tessera) -> None:
    _failed(tessera("serve", "--memory", "--workers", "2"), 2, "error: usage: --workers needs PostgreSQL")
