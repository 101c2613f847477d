"""Settings come from TESSERA_ variables, then a .env file; bad values fail in one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from entrypoints.config import ConfigError, Settings


def test_defaults_without_any_variable(tmp_path: Path) -> None:
    settings = Settings.from_env({}, env_file=tmp_path / "missing.env")
    assert settings == Settings()
    assert (settings.database_url, settings.data_dir, settings.order_prefix) == (None, Path(".tessera"), "TSR")
    assert (settings.order_ttl, settings.checkout_ttl, settings.max_body_bytes) == (3600, 1800, 262144)
    assert settings.log_format == "console"


def test_environment_wins_over_the_env_file(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("TESSERA_ORDER_PREFIX=FEST\nTESSERA_ORDER_TTL=60\nTESSERA_STRIPE_SECRET_KEY=sk_test_1\n")
    settings = Settings.from_env({"TESSERA_ORDER_TTL": "120", "TESSERA_LOG_FORMAT": "json",
                                  "TESSERA_DATABASE_URL": "postgresql://u@db:5432/tessera"}, env_file=env_file)
    assert (settings.order_prefix, settings.order_ttl, settings.log_format) == ("FEST", 120, "json")
    assert settings.stripe_secret_key == "sk_test_1"
    assert settings.database_url == "postgresql://u@db:5432/tessera"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("TESSERA_ORDER_TTL", "an hour"),
        ("TESSERA_CHECKOUT_TTL", "0"),
        ("TESSERA_MAX_BODY_BYTES", "-1"),
        ("TESSERA_LOG_FORMAT", "xml"),
        ("TESSERA_ORDER_PREFIX", "tsr-"),
        ("TESSERA_DATABASE_URL", "mysql://db/tessera"),
        ("TESSERA_PUBLIC_URL", "tessera.example.com"),
        ("TESSERA_SANDBOX_WEBHOOK_SECRET", "whsec_not base64!"),
        ("TESSERA_SANDBOX_WEBHOOK_SECRET", "whsec_c2VjcmV0,whsec_%%%"),
        ("TESSERA_WEBHOOK_MAX_ATTEMPTS", "0"),
    ],
)
def test_invalid_values_name_the_variable(variable: str, value: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as error:
        Settings.from_env({variable: value}, env_file=tmp_path / "missing.env")
    assert str(error.value).startswith(variable) and "\n" not in str(error.value)


def test_rolled_webhook_secrets_and_retry_limit_are_read(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {"TESSERA_SANDBOX_WEBHOOK_SECRET": "whsec_b2xk, whsec_bmV3", "TESSERA_WEBHOOK_MAX_ATTEMPTS": "5"},
        env_file=tmp_path / "missing.env",
    )
    assert (settings.sandbox_webhook_secret, settings.webhook_max_attempts) == ("whsec_b2xk, whsec_bmV3", 5)
