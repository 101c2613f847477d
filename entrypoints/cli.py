"""The `tessera` command: the same container and use cases as the HTTP API, for a terminal."""

from __future__ import annotations

import asyncio
import os
import logging
import signal
import socket
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any, NoReturn, TypeVar
from urllib.parse import urlsplit
from uuid import UUID

import click
import msgspec
import uvicorn

from adapters.postgres import migrator
from adapters.postgres.embedded import start_embedded, stop_embedded
from application import commands
from application.use_cases.create_api_key import IssuedApiKey
from domain.api_keys import ApiKey, ApiKeyScope
from domain.errors import DomainError
from domain.money import Money
from domain.orders import OrderStatus
from domain.payments import PROVIDERS
from domain.webhooks import WebhookStatus
from entrypoints.config import ConfigError, Settings
from entrypoints.container import Container, Storage, build_container, close_container
from entrypoints.demo import DemoFailed, Journey, journey_text, sell_one_pass, served
from entrypoints.http.schemas import (
    OrderListOut,
    OrderOut,
    PaymentOut,
    PlaceOrderIn,
    ProductListOut,
    ProductOut,
    RefundOut,
    WireError,
    decode_json,
    timestamp,
)
from entrypoints.http.webhooks import WebhookEventListOut, WebhookEventOut
from entrypoints.logs import configure_logging
from entrypoints.serving import serving_app, worker_process_environment
from entrypoints.worker import run_until_signalled

T = TypeVar("T")
ACTOR = "cli"
SERVE_ACTOR = "system:serve"
DEMO_ACTOR = "cli:demo"
logger = logging.getLogger("tessera.cli")

EXIT_CODES = {
    "usage": 2,
    "invalid_config": 2,
    "invalid_request": 2,
    "invalid_signature": 2,
    "malformed_json": 2,
    "validation_failed": 2,
    "currency_mismatch": 2,
    "not_found": 3,
    "unauthenticated": 7,
    "forbidden": 7,
    "already_exists": 4,
    "invalid_state": 4,
    "sold_out": 4,
    "idempotency_in_progress": 4,
    "idempotency_key_reused": 2,
    "unavailable": 5,
    "provider_error": 6,
    "provider_not_configured": 6,
    "amount_exceeds_refundable": 2,
}
"""Error code -> process exit code; anything unlisted exits 1."""
EXPIRY_BATCH = 100


class _Tessera(click.Group):
    """Every failure ends the same way: one line on stderr, `error: <code>: <message>`."""

    def main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **kwargs)
        try:
            result = super().main(*args, standalone_mode=False, **kwargs)
        except click.ClickException as exc:
            _fail("usage", exc.format_message())
        except click.Abort:
            _fail("aborted", "interrupted")
        except DomainError as exc:
            _fail(exc.code, exc.message)
        except WireError as exc:
            _fail(exc.code, exc.detail)
        except ConfigError as exc:
            _fail("invalid_config", str(exc))
        except Exception as exc:
            logger.debug("unexpected error", exc_info=exc)
            _fail("internal_error", f"{type(exc).__name__}: {exc}")
        sys.exit(result if isinstance(result, int) else 0)


def _fail(code: str, message: str) -> NoReturn:
    click.echo(f"error: {code}: {' '.join(message.split())}", err=True)
    sys.exit(EXIT_CODES.get(code, 1))


json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON, in the HTTP API's shapes.")


@click.group(cls=_Tessera)
@click.pass_context
def main(ctx: click.Context) -> None:
    """Tessera: catalog, orders and payments."""
    settings = Settings.from_env().with_kept_sandbox_secret()
    configure_logging(settings.log_format, logging.WARNING)
    ctx.obj = settings


# -- serve ---------------------------------------------------------------------------------


class _Stop(Exception):
    """SIGINT/SIGTERM once uvicorn has shut down gracefully and handed the signal back."""


def _raise_stop(signum: int, frame: FrameType | None) -> None:
    raise _Stop


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--memory", is_flag=True, help="In-memory storage: nothing is kept.")
@click.option("--no-worker", is_flag=True, help="Do not process webhook events here (run `tessera worker`).")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="HTTP processes sharing the port (PostgreSQL only).")
@click.pass_obj
def serve(settings: Settings, host: str, port: int, memory: bool, no_worker: bool, workers: int) -> None:
    """Serve the HTTP API (embedded PostgreSQL when no database is configured)."""
    if memory and workers > 1:
        raise click.UsageError("--workers needs PostgreSQL: processes cannot share in-memory state")
    configure_logging(settings.log_format)
    for stop_signal in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stop_signal, _raise_stop)
    settings = settings.serving(host, port, keep=not memory)
    try:
        with _storage(settings, memory, migrate=True) as (storage, url, where):
            container = build_container(settings, storage, url)
            _print_initial_keys(asyncio.run(_bootstrap_keys(container)))
            processes = f", {workers} processes" if workers > 1 else ""
            click.echo(f"Tessera listening on http://{host}:{port} (database: {where}{processes})")
            if workers == 1:
                uvicorn.run(serving_app(container, worker=not no_worker), host=host, port=port, log_config=None,
                            access_log=False)
            else:
                # Each process builds its own app: uvicorn imports the factory there.
                os.environ.update(worker_process_environment(settings, url or "", worker=not no_worker))
                uvicorn.run("entrypoints.serving:worker_process_app", factory=True, workers=workers, host=host,
                            port=port, log_config=None, access_log=False)
    except _Stop:
        pass


async def _bootstrap_keys(container: Container, actor: str = SERVE_ACTOR) -> list[IssuedApiKey]:
    try:
        return await container.bootstrap_api_keys()(actor)
    finally:
        # The pool's connections belong to this event loop; uvicorn serves from another.
        await close_container(container)


def _print_initial_keys(issued: list[IssuedApiKey]) -> None:
    if not issued:
        return
    click.echo("No API keys existed, so these were created. Their secrets are shown this once only:")
    for item in issued:
        click.echo(f"  {item.key.scope.value} API key ({item.key.id}): {item.secret}")


@main.command()
@click.pass_obj
def worker(settings: Settings) -> None:
    """Process webhook events until SIGINT/SIGTERM; run as many as you like on one database."""
    configure_logging(settings.log_format)
    click.echo("Tessera worker processing webhook events")
    _execute(settings, lambda c: run_until_signalled(c.worker()))


# -- demo ----------------------------------------------------------------------------------


@main.command()
@click.option("--memory", is_flag=True, help="In-memory storage: nothing is kept.")
@click.option("--port", default=0, show_default=True, type=click.IntRange(0, 65535), help="0: any free port.")
@json_option
@click.pass_obj
def demo(settings: Settings, memory: bool, port: int, as_json: bool) -> None:
    """Sell one pass end to end over HTTP (product, order, sandbox checkout, approval, webhook)
    on a server of its own, and print the order's journey."""
    with socket.create_server(("127.0.0.1", port)) as listener:
        port = listener.getsockname()[1]
        base_url = f"http://127.0.0.1:{port}"
        # Its own address, never a configured public URL: the sandbox's webhooks must come back here.
        settings = replace(settings, public_url=base_url).serving("127.0.0.1", port, keep=not memory)
        with _storage(settings, memory, migrate=True) as (storage, url, where):
            container = build_container(settings, storage, url)
            # Like serve: the first start of an installation hands out its keys, demo or not.
            initial_keys = [] if memory else asyncio.run(_bootstrap_keys(container, DEMO_ACTOR))
            if not as_json:
                click.echo(f"Tessera demo on {base_url} (database: {where})")
                _print_initial_keys(initial_keys)
            try:
                journey = asyncio.run(_demo_sale(container, listener, base_url))
            except DemoFailed as exc:
                _fail("demo_failed", str(exc))
    out = {"order": journey.order, "audit": journey.audit,
           "initial_api_keys": [_created_key_out(issued) for issued in initial_keys]}
    _emit(as_json, out, "\n" + journey_text(journey))


async def _demo_sale(container: Container, listener: socket.socket, base_url: str) -> Journey:
    """The app served exactly as `serve` runs it, worker and sandbox sender alongside."""
    try:
        async with _demo_key(container) as secret, served(serving_app(container, worker=True), listener):
            return await sell_one_pass(base_url, secret)
    finally:
        # The app's shutdown released the database already, unless it never started.
        await close_container(container)


@asynccontextmanager
async def _demo_key(container: Container) -> AsyncIterator[str]:
    """An admin key for the demo's requests, revoked afterwards: its secret is never shown."""
    command = commands.CreateApiKey(name="tessera demo", scope=ApiKeyScope.ADMIN.value, actor=DEMO_ACTOR)
    issued = await container.create_api_key()(command)
    try:
        yield issued.secret
    finally:
        await container.revoke_api_key()(commands.RevokeApiKey(key_id=issued.key.id, actor=DEMO_ACTOR))


# -- db ------------------------------------------------------------------------------------


@main.group()
def db() -> None:
    """Database migrations."""


@db.command("upgrade")
@click.argument("revision", default="head")
@click.pass_obj
def db_upgrade(settings: Settings, revision: str) -> None:
    """Upgrade the schema to REVISION (default: head)."""
    with _database_url(settings, migrate=False) as url:
        migrator.upgrade(url, revision)
        click.echo(f"database at {migrator.current_revision(url) or 'base'}")


@db.command("downgrade")
@click.argument("revision")
@click.pass_obj
def db_downgrade(settings: Settings, revision: str) -> None:
    """Downgrade the schema to REVISION ('base' drops everything)."""
    with _database_url(settings, migrate=False) as url:
        migrator.downgrade(url, revision)
        click.echo(f"database at {migrator.current_revision(url) or 'base'}")


@db.command("status")
@json_option
@click.pass_obj
def db_status(settings: Settings, as_json: bool) -> None:
    """The schema's revision against the newest one."""
    with _database_url(settings, migrate=False) as url:
        current, head = migrator.current_revision(url), migrator.head_revision()
    verdict = "up to date" if current == head else "behind: run `tessera db upgrade`"
    status = {"current": current, "head": head, "up_to_date": current == head}
    _emit(as_json, status, f"current: {current or 'base'}\nhead:    {head}\n{verdict}")


@db.command("sql")
@click.option("--from", "from_rev", default=None, help="Revision the database is at (default: empty).")
@click.option("--to", "to_rev", default="head", show_default=True)
def db_sql(from_rev: str | None, to_rev: str) -> None:
    """Print the SQL an upgrade would run, without touching any database."""
    click.echo(migrator.offline_sql(from_rev, to_rev), nl=False)


# -- keys ----------------------------------------------------------------------------------


class ApiKeyOut(msgspec.Struct):
    id: UUID
    name: str
    scope: str
    prefix: str
    created_at: str
    revoked_at: str | None

    @classmethod
    def of(cls, key: ApiKey) -> ApiKeyOut:
        return cls(id=key.id, name=key.name, scope=key.scope.value, prefix=key.prefix,
                   created_at=timestamp(key.created_at),
                   revoked_at=timestamp(key.revoked_at) if key.revoked_at else None)


class CreatedApiKeyOut(ApiKeyOut):
    secret: str


@main.group()
def keys() -> None:
    """API keys (`Authorization: Bearer <secret>`)."""


@keys.command("create")
@click.option("--name", required=True)
@click.option("--scope", required=True, type=click.Choice([s.value for s in ApiKeyScope]))
@json_option
@click.pass_obj
def keys_create(settings: Settings, name: str, scope: str, as_json: bool) -> None:
    """Create a key; its secret is the last line printed, and is never shown again."""
    command = commands.CreateApiKey(name=name, scope=scope, actor=ACTOR)
    issued = _execute(settings, lambda c: c.create_api_key()(command))
    out = _created_key_out(issued)
    _emit(as_json, out, f"{_key_line(out)}\nsecret (shown once, store it now):\n{issued.secret}")


@keys.command("list")
@json_option
@click.pass_obj
def keys_list(settings: Settings, as_json: bool) -> None:
    """Every key, revoked ones too; secrets are not stored, so not shown."""
    listed = [ApiKeyOut.of(key) for key in _execute(settings, lambda c: c.list_api_keys()())]
    _emit(as_json, listed, "\n".join(_key_line(key) for key in listed) or "no API keys")


@keys.command("revoke")
@click.argument("key_id", type=click.UUID)
@json_option
@click.pass_obj
def keys_revoke(settings: Settings, key_id: UUID, as_json: bool) -> None:
    """Revoke a key: its secret stops working at once, for good."""
    command = commands.RevokeApiKey(key_id=key_id, actor=ACTOR)
    revoked = ApiKeyOut.of(_execute(settings, lambda c: c.revoke_api_key()(command)))
    _emit(as_json, revoked, _key_line(revoked))


@main.group()
def idempotency() -> None:
    """Idempotency keys."""


@idempotency.command("purge")
@click.pass_obj
def idempotency_purge(settings: Settings) -> None:
    """Delete keys past TESSERA_IDEMPOTENCY_TTL (run it from cron; expired keys are already unusable)."""
    purged = _execute(settings, lambda c: c.purge_idempotency_keys()())
    click.echo(f"purged {purged} idempotency keys")


def _created_key_out(issued: IssuedApiKey) -> CreatedApiKeyOut:
    return CreatedApiKeyOut(**msgspec.structs.asdict(ApiKeyOut.of(issued.key)), secret=issued.secret)


def _key_line(key: ApiKeyOut) -> str:
    state = f"revoked {key.revoked_at}" if key.revoked_at else "active"
    return "  ".join((str(key.id), key.prefix + "...", key.scope, key.name, f"created {key.created_at}", state))


# -- products ------------------------------------------------------------------------------


@main.group()
def products() -> None:
    """The catalog."""


@products.command("add")
@click.option("--sku", required=True)
@click.option("--name", required=True)
@click.option("--kind", required=True, help="full_festival, day_pass, workshop_only, social_only, vip, ...")
@click.option("--unit-amount", required=True, type=int, help="Price in the currency's minor unit (cents).")
@click.option("--currency", required=True)
@click.option("--capacity", type=int, default=None, help="How many may ever be sold (default: no limit).")
@click.option("--inactive", is_flag=True, help="Add it off sale.")
@json_option
@click.pass_obj
def products_add(settings: Settings, sku: str, name: str, kind: str, unit_amount: int, currency: str,
                 capacity: int | None, inactive: bool, as_json: bool) -> None:
    """Add a product to the catalog."""
    command = commands.AddProduct(sku=sku, name=name, kind=kind, unit_amount=unit_amount, currency=currency,
                                  capacity=capacity, active=not inactive, actor=ACTOR)
    product = ProductOut.of(_execute(settings, lambda c: c.add_product()(command)))
    _emit(as_json, product, _product_line(product))


@products.command("list")
@click.option("--limit", default=100, show_default=True, type=int)
@click.option("--cursor", default=None)
@json_option
@click.pass_obj
def products_list(settings: Settings, limit: int, cursor: str | None, as_json: bool) -> None:
    """List the catalog by sku."""
    query = commands.ListProducts(limit=limit, cursor=cursor)
    page = ProductListOut.of(_execute(settings, lambda c: c.list_products()(query)))
    _emit(as_json, page, _lines([_product_line(p) for p in page.data], page.next_cursor, "no products"))


# -- orders --------------------------------------------------------------------------------


@main.group()
def orders() -> None:
    """Orders."""


@orders.command("place")
@click.option("--file", "path", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="JSON shaped like the body of POST /v1/orders.")
@json_option
@click.pass_obj
def orders_place(settings: Settings, path: Path, as_json: bool) -> None:
    """Place an order described in a JSON file."""
    command = decode_json(path.read_bytes(), PlaceOrderIn).to_command(ACTOR)
    order = OrderOut.of(_execute(settings, lambda c: c.place_order()(command)))
    _emit(as_json, order, _order_text(order))


@orders.command("show")
@click.argument("order_id", type=click.UUID)
@json_option
@click.pass_obj
def orders_show(settings: Settings, order_id: UUID, as_json: bool) -> None:
    """Show one order."""
    order = OrderOut.of(_execute(settings, lambda c: c.get_order()(order_id)))
    _emit(as_json, order, _order_text(order))


@orders.command("list")
@click.option("--email", default=None)
@click.option("--status", type=click.Choice([s.value for s in OrderStatus]), default=None)
@click.option("--created-from", type=click.DateTime(), default=None, help="UTC, inclusive.")
@click.option("--created-to", type=click.DateTime(), default=None, help="UTC, exclusive.")
@click.option("--event-id", default=None)
@click.option("--limit", default=20, show_default=True, type=int)
@click.option("--cursor", default=None)
@json_option
@click.pass_obj
def orders_list(settings: Settings, email: str | None, status: str | None, created_from: datetime | None,
                created_to: datetime | None, event_id: str | None, limit: int, cursor: str | None,
                as_json: bool) -> None:
    """Search orders, newest first."""
    query = commands.SearchOrders(
        limit=limit, cursor=cursor, email=email, status=status, event_id=event_id,
        created_from=created_from.replace(tzinfo=UTC) if created_from else None,
        created_to=created_to.replace(tzinfo=UTC) if created_to else None,
    )
    page = OrderListOut.of(_execute(settings, lambda c: c.search_orders()(query)))
    _emit(as_json, page, _lines([_order_line(o) for o in page.data], page.next_cursor, "no orders"))


# -- webhooks ------------------------------------------------------------------------------


@main.group()
def webhooks() -> None:
    """The webhook inbox."""


@webhooks.command("list")
@click.option("--provider", default=None)
@click.option("--status", type=click.Choice([s.value for s in WebhookStatus]), default=None)
@click.option("--type", "event_type", default=None)
@click.option("--limit", default=20, show_default=True, type=int)
@click.option("--cursor", default=None)
@json_option
@click.pass_obj
def webhooks_list(settings: Settings, provider: str | None, status: str | None, event_type: str | None,
                  limit: int, cursor: str | None, as_json: bool) -> None:
    query = commands.ListWebhookEvents(limit=limit, cursor=cursor, provider=provider, status=status, type=event_type)
    page = WebhookEventListOut.of(_execute(settings, lambda c: c.list_webhook_events()(query)))
    _emit(as_json, page, _lines([_webhook_line(e) for e in page.data], page.next_cursor, "no webhook events"))


@webhooks.command("show")
@click.argument("event_id", type=click.UUID)
@json_option
@click.pass_obj
def webhooks_show(settings: Settings, event_id: UUID, as_json: bool) -> None:
    event = _execute(settings, lambda c: c.get_webhook_event()(event_id))
    lines = [_webhook_line(WebhookEventOut.of(event))]
    if event.last_error:
        lines.append(f"last error  {event.last_error}")
    lines.append(event.payload.decode(errors="replace"))
    _emit(as_json, WebhookEventOut.of(event), "\n".join(lines))


@webhooks.command("replay")
@click.argument("event_ids", type=click.UUID, nargs=-1)
@click.option("--status", type=click.Choice([s.value for s in WebhookStatus]), default=None,
              help="Replay every event in this status (e.g. dead) instead of the ids given.")
@click.pass_obj
def webhooks_replay(settings: Settings, event_ids: tuple[UUID, ...], status: str | None) -> None:
    if bool(event_ids) == bool(status):
        raise click.UsageError("give event ids or --status, not both")

    async def replay(container: Container) -> list[UUID]:
        ids = list(event_ids) or await _ids_in_status(container, status)
        for event_id in ids:
            await container.replay_webhook()(commands.ReplayWebhook(event_id=event_id, actor=ACTOR))
        return ids

    replayed = _execute(settings, replay)
    click.echo("\n".join(f"replayed {event_id}" for event_id in replayed) or "nothing to replay")


async def _ids_in_status(container: Container, status: str | None) -> list[UUID]:
    ids: list[UUID] = []
    cursor: str | None = None
    while True:
        query = commands.ListWebhookEvents(limit=100, cursor=cursor, status=status)
        page = await container.list_webhook_events()(query)
        ids += [event.id for event in page.items]
        if (cursor := page.next_cursor) is None:
            return ids


# -- payments ------------------------------------------------------------------------------


@main.group()
def payments() -> None:
    """Payments: show, capture, cancel, refund."""


@payments.command("show")
@click.argument("payment_id", type=click.UUID)
@json_option
@click.pass_obj
def payments_show(settings: Settings, payment_id: UUID, as_json: bool) -> None:
    """Show one payment."""
    payment = PaymentOut.of(_execute(settings, lambda c: c.get_payment()(payment_id)))
    _emit(as_json, payment, _payment_text(payment))


@payments.command("capture")
@click.argument("payment_id", type=click.UUID)
@click.option("--amount", type=int, default=None, help="Minor units (default: all that was authorized).")
@json_option
@click.pass_obj
def payments_capture(settings: Settings, payment_id: UUID, amount: int | None, as_json: bool) -> None:
    """Capture an authorized payment, in full or in part, once."""
    command = commands.CapturePayment(payment_id, ACTOR, amount)
    payment = PaymentOut.of(_execute(settings, lambda c: c.capture_payment()(command)))
    _emit(as_json, payment, _payment_text(payment))


@payments.command("cancel")
@click.argument("payment_id", type=click.UUID)
@json_option
@click.pass_obj
def payments_cancel(settings: Settings, payment_id: UUID, as_json: bool) -> None:
    """Void a pending or authorized payment."""
    command = commands.CancelPayment(payment_id, ACTOR)
    payment = PaymentOut.of(_execute(settings, lambda c: c.cancel_payment()(command)))
    _emit(as_json, payment, _payment_text(payment))


@payments.command("refund")
@click.argument("payment_id", type=click.UUID)
@click.option("--amount", type=int, default=None, help="Minor units (default: all that is still refundable).")
@click.option("--reason", default=None)
@json_option
@click.pass_obj
def payments_refund(settings: Settings, payment_id: UUID, amount: int | None, reason: str | None, as_json: bool) -> None:
    """Refund a captured payment, in full or in part."""
    command = commands.RefundPayment(payment_id, ACTOR, amount, reason)
    refund = RefundOut.of(_execute(settings, lambda c: c.refund_payment()(command)))
    _emit(as_json, refund, _refund_line(refund))


@main.command()
@click.option("--provider", required=True, type=click.Choice(PROVIDERS))
@json_option
@click.pass_obj
def reconcile(settings: Settings, provider: str, as_json: bool) -> None:
    """Ask the provider where each open payment stands and record what Tessera missed."""
    result = _execute(settings, lambda c: c.reconcile_payments()(provider))
    _emit(as_json, {"checked": result.checked, "changed": result.changed},
          f"checked {result.checked} open {provider} payments, {result.changed} changed")


@main.group()
def checkout() -> None:
    """Checkout housekeeping."""


@checkout.command("expire")
@click.pass_obj
def checkout_expire(settings: Settings) -> None:
    """Cancel unpaid orders past their expiry and give their places back (the worker does this too)."""
    expired = _execute(settings, _expire_all)
    click.echo(f"expired {expired} unpaid order{'s' if expired != 1 else ''}")


async def _expire_all(container: Container) -> int:
    expire, total = container.expire_unpaid_orders(), 0
    while (count := await expire(EXPIRY_BATCH)) > 0:
        total += count
    return total


# -- plumbing ------------------------------------------------------------------------------


@contextmanager
def _database_url(settings: Settings, migrate: bool) -> Iterator[str]:
    """The configured database, or the embedded one (started, or joined if already running;
    migrated to head when `migrate`, since nobody else manages its schema)."""
    if settings.database_url:
        yield settings.database_url
        return
    url = start_embedded(settings.embedded_pgdata)
    try:
        if migrate:
            migrator.upgrade(url)
            logger.info("embedded PostgreSQL in %s, schema at %s", settings.data_dir, migrator.head_revision())
        yield url
    finally:
        stop_embedded(settings.embedded_pgdata)


@contextmanager
def _storage(settings: Settings, memory: bool, migrate: bool) -> Iterator[tuple[Storage, str | None, str]]:
    """(storage, database URL, a description of it for people)."""
    if memory:
        yield "memory", None, "in memory, nothing is kept"
        return
    with _database_url(settings, migrate) as url:
        where = _redacted(url) if settings.database_url else f"embedded PostgreSQL in {settings.data_dir}"
        yield "postgres", url, where


def _execute(settings: Settings, call: Callable[[Container], Awaitable[T]]) -> T:
    """Runs one use case call on PostgreSQL, in a fresh event loop, releasing the pool after."""
    with _storage(settings, memory=False, migrate=True) as (storage, url, _):
        container = build_container(settings, storage, url)

        async def run() -> T:
            try:
                return await call(container)
            finally:
                await close_container(container)

        return asyncio.run(run())


def _emit(as_json: bool, value: Any, text: str) -> None:
    click.echo(msgspec.json.encode(value).decode() if as_json else text)


def _lines(lines: list[str], next_cursor: str | None, empty: str) -> str:
    text = "\n".join(lines) or empty
    return f"{text}\nmore: --cursor {next_cursor}" if next_cursor else text


def _price(amount: int, currency: str) -> str:
    return Money(amount, currency).format()


def _product_line(product: ProductOut) -> str:
    stock = "no limit" if product.capacity is None else f"{product.sold}/{product.capacity} sold"
    state = "on sale" if product.active else "inactive"
    return "  ".join((product.sku, product.name, product.kind, _price(product.unit_amount, product.currency), stock, state))


def _order_line(order: OrderOut) -> str:
    total = _price(order.total, order.currency)
    return "  ".join((order.number, str(order.id), order.status, total, order.customer.email, order.created_at))


def _order_text(order: OrderOut) -> str:
    customer = order.customer
    names = " ".join(n for n in (customer.first_name, customer.last_name) if n)
    lines = [
        f"{order.number}  {order.status}  {_price(order.total, order.currency)}",
        f"id        {order.id}",
        f"customer  {customer.email}{f' ({names})' if names else ''}",
    ]
    if order.event:
        lines.append(f"event     {' '.join(str(v) for v in (order.event.id, order.event.name, order.event.date) if v)}")
    lines += [f"created   {order.created_at}", f"expires   {order.expires_at}", "items"]
    for item in order.items:
        lines.append(
            f"  {item.quantity} x {item.sku}  {item.name}  {_price(item.unit_amount, order.currency)}"
            f"  = {_price(item.total, order.currency)}"
        )
    return "\n".join(lines)


def _payment_text(payment: PaymentOut) -> str:
    lines = [
        f"{payment.id}  {payment.provider}  {payment.status}  {_price(payment.amount, payment.currency)}",
        f"order     {payment.order_id}",
        f"captured  {_price(payment.amount_captured, payment.currency)}",
        f"refunded  {_price(payment.amount_refunded, payment.currency)}",
        f"capture   {payment.capture_method}, attempts {payment.attempts}",
    ]
    if payment.provider_payment_id:
        lines.append(f"provider  {payment.provider_payment_id}")
    if isinstance(payment.approval_url, str):
        lines.append(f"approve   {payment.approval_url}")
    if payment.failure_reason:
        lines.append(f"failure   {payment.failure_reason}")
    return "\n".join(lines)


def _refund_line(refund: RefundOut) -> str:
    reason = f"  ({refund.reason})" if refund.reason else ""
    return f"{refund.id}  {refund.status}  {_price(refund.amount, refund.currency)}  payment {refund.payment_id}{reason}"


def _webhook_line(event: WebhookEventOut) -> str:
    return "  ".join((str(event.id), event.provider, event.provider_event_id, event.type, event.status,
                      f"attempts {event.attempts}", event.received_at))


def _redacted(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    user = f"{parts.username}@" if parts.username else ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{user}{host}{port}{parts.path}"
