"""Settings from the environment (`TESSERA_` prefix) and a `.env` file, checked once at start."""

from __future__ import annotations

import base64
import binascii
import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from urllib.parse import urlsplit

from dotenv import dotenv_values

from domain.errors import ValidationFailed
from domain.orders import validate_order_prefix

PREFIX = "TESSERA_"
LOG_FORMATS = ("console", "json")


class ConfigError(ValueError):
    """A setting is present but unusable; the message names the variable and is one line."""


@dataclass(frozen=True)
class Settings:
    database_url: str | None = None
    data_dir: Path = Path(".tessera")
    public_url: str | None = None
    order_prefix: str = "TSR"
    order_ttl: int = 3600
    checkout_ttl: int = 1800
    max_body_bytes: int = 262_144
    log_format: str = "console"
    stripe_secret_key: str | None = None
    stripe_webhook_secrets: str | None = None
    stripe_api_base: str | None = None
    paypal_client_id: str | None = None
    paypal_client_secret: str | None = None
    paypal_webhook_id: str | None = None
    paypal_api_base: str | None = None
    sandbox_webhook_secret: str | None = None
    webhook_max_attempts: int = 17
    idempotency_ttl: int = 86_400
    idempotency_lock_timeout: int = 60

    @property
    def sandbox_secret_file(self) -> Path:
        return self.data_dir / "sandbox_webhook_secret"

    def with_kept_sandbox_secret(self) -> "Settings":
        """The sandbox secret `serve` kept in the data folder, unless one is configured: commands
        run beside a server (capture, refund) then move sandbox payments too."""
        if self.sandbox_webhook_secret or not self.sandbox_secret_file.is_file():
            return self
        return replace(self, sandbox_webhook_secret=self.sandbox_secret_file.read_text().strip())

    def serving(self, host: str, port: int, *, keep: bool) -> "Settings":
        """The settings `serve` runs with: its own address as the public URL unless one is set,
        and a sandbox webhook secret unless one is set, so the sandbox provider works on a fresh
        machine. With `keep`, that secret is kept in the data folder for the next start."""
        secret = self.sandbox_webhook_secret or _local_sandbox_secret(self.sandbox_secret_file if keep else None)
        return replace(self, public_url=self.public_url or f"http://{host}:{port}", sandbox_webhook_secret=secret)

    @property
    def embedded_pgdata(self) -> Path:
        """The embedded PostgreSQL's own folder, so the data folder can hold other things too."""
        return self.data_dir / "postgres"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, env_file: str | Path | None = ".env") -> "Settings":
        """Real environment variables win over the `.env` file; blank values count as unset."""
        source = {**_read_env_file(env_file), **(os.environ if environ is None else environ)}
        values: dict[str, object] = {}
        for setting in fields(cls):
            name = PREFIX + setting.name.upper()
            if raw := (source.get(name) or "").strip():
                values[setting.name] = _PARSERS.get(setting.name, _text)(name, raw)
        return cls(**values)  # type: ignore[arg-type]


def _local_sandbox_secret(path: Path | None) -> str:
    if path is not None and path.is_file():
        return path.read_text().strip()
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secret)
    return secret


def _read_env_file(env_file: str | Path | None) -> dict[str, str]:
    if env_file is None or not Path(env_file).is_file():
        return {}
    return {key: value for key, value in dotenv_values(env_file).items() if value is not None}


def _text(name: str, raw: str) -> str:
    return raw


def _path(name: str, raw: str) -> Path:
    return Path(raw)


def _positive_int(name: str, raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise ConfigError(f"{name} must be a positive integer, got {raw!r}")
    return value


def _postgres_url(name: str, raw: str) -> str:
    parts = urlsplit(raw)
    if parts.scheme not in ("postgresql", "postgres", "postgresql+asyncpg") or not parts.netloc:
        raise ConfigError(f"{name} must be a postgresql://user@host:port/database URL")
    return raw


def _http_url(name: str, raw: str) -> str:
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"{name} must be an absolute http(s) URL, got {raw!r}")
    return raw.rstrip("/")


def _order_prefix(name: str, raw: str) -> str:
    try:
        return validate_order_prefix(raw)
    except ValidationFailed as exc:
        raise ConfigError(f"{name}: {exc.message}, got {raw!r}") from exc


def _webhook_secrets(name: str, raw: str) -> str:
    """Comma-separated Standard Webhooks secrets (`whsec_` + base64), checked now rather than
    on the first delivery, where a bad one would fail a provider's request."""
    for secret in (piece.strip() for piece in raw.split(",")):
        try:
            base64.b64decode(secret.removeprefix("whsec_"), validate=True)
        except (ValueError, binascii.Error):
            raise ConfigError(f"{name} must be comma-separated whsec_<base64> secrets") from None
    return raw


def _log_format(name: str, raw: str) -> str:
    if raw not in LOG_FORMATS:
        raise ConfigError(f"{name} must be one of {', '.join(LOG_FORMATS)}, got {raw!r}")
    return raw


_PARSERS: dict[str, Callable[[str, str], object]] = {
    "database_url": _postgres_url,
    "data_dir": _path,
    "public_url": _http_url,
    "order_prefix": _order_prefix,
    "order_ttl": _positive_int,
    "checkout_ttl": _positive_int,
    "max_body_bytes": _positive_int,
    "log_format": _log_format,
    "sandbox_webhook_secret": _webhook_secrets,
    "webhook_max_attempts": _positive_int,
    "idempotency_ttl": _positive_int,
    "idempotency_lock_timeout": _positive_int,
}
"""How each setting is read from its variable's text; the rest are plain strings."""
