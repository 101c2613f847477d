"""Free-form metadata, bounded like Stripe's so it cannot be abused as storage."""

from __future__ import annotations

from typing import Any

from domain.errors import ValidationFailed

MAX_KEYS = 50
MAX_KEY_LENGTH = 40
MAX_VALUE_LENGTH = 500


def validate_metadata(metadata: dict[str, Any] | None, field_name: str = "metadata") -> dict[str, str]:
    if metadata is None:
        return {}
    if len(metadata) > MAX_KEYS:
        raise ValidationFailed.on(field_name, f"at most {MAX_KEYS} keys")
    cleaned: dict[str, str] = {}
    for key, value in metadata.items():
        if not isinstance(key, str) or not 1 <= len(key) <= MAX_KEY_LENGTH:
            raise ValidationFailed.on(field_name, f"keys must be 1..{MAX_KEY_LENGTH} characters")
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise ValidationFailed.on(f"{field_name}.{key}", "values must be strings or numbers")
        text = str(value)
        if len(text) > MAX_VALUE_LENGTH:
            raise ValidationFailed.on(f"{field_name}.{key}", f"at most {MAX_VALUE_LENGTH} characters")
        cleaned[key] = text
    return cleaned
