"""The served application: the HTTP app with its background loops, in one process or in each
of `serve --workers N`'s processes."""

from __future__ import annotations

import os

from litestar import Litestar

from entrypoints.config import Settings
from entrypoints.container import Container, build_container
from entrypoints.http import create_app
from entrypoints.logs import configure_logging
from entrypoints.worker import Runner, run_alongside

NO_WORKER_ENV = "TESSERA_SERVE_NO_WORKER"
"""Set to 1 by `serve --no-worker --workers N` for its processes (not a setting of its own)."""


def serving_app(container: Container, *, worker: bool) -> Litestar:
    """The app with its background loops: the webhook worker unless it runs elsewhere, and the
    sandbox provider's webhook sender, which belongs to the provider living in this process.
    Both claim their work with SKIP LOCKED, so every process of `serve --workers N` runs them."""
    app = create_app(container)
    loops: list[Runner] = [container.worker()] if worker else []
    if "sandbox" in container.payment_gateways().offered:
        sender = container.sandbox_sender()
        loops.append(sender)
        app.on_shutdown.append(sender.aclose)
    run_alongside(app, *loops)
    return app


def worker_process_app() -> Litestar:
    """uvicorn's factory in each process of `serve --workers N`. `serve` has started and
    migrated the database and put everything a process needs in its environment."""
    settings = Settings.from_env()
    configure_logging(settings.log_format)
    return serving_app(build_container(settings, "postgres"), worker=os.environ.get(NO_WORKER_ENV) != "1")


def worker_process_environment(settings: Settings, database_url: str, *, worker: bool) -> dict[str, str]:
    """What `worker_process_app` reads: the database `serve` started (maybe the embedded one),
    and the public URL and sandbox secret `serve` settled on."""
    environment = {"TESSERA_DATABASE_URL": database_url, NO_WORKER_ENV: "0" if worker else "1"}
    if settings.public_url:
        environment["TESSERA_PUBLIC_URL"] = settings.public_url
    if settings.sandbox_webhook_secret:
        environment["TESSERA_SANDBOX_WEBHOOK_SECRET"] = settings.sandbox_webhook_secret
    return environment
