"""Request bodies and response checks shared by the end-to-end tests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx

PROBLEM_FIELDS = {"type", "title", "status", "detail", "code"}


def product(sku: str = "day-pass", *, unit_amount: int = 5000, currency: str = "USD", capacity: int | None = 100,
            **extra: Any) -> dict[str, Any]:
    return {"sku": sku, "name": sku.replace("-", " ").title(), "kind": "day_pass", "unit_amount": unit_amount,
            "currency": currency, "capacity": capacity, **extra}


def order(*items: tuple[str, int], email: str = "ana@example.com", currency: str = "USD", **extra: Any) -> dict[str, Any]:
    return {
        "customer": {"email": email, "first_name": "Ana"},
        "currency": currency,
        "items": [{"sku": sku, "quantity": quantity} for sku, quantity in items],
        **extra,
    }


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """An RFC 9457 document with our stable code, and nothing of the server's insides."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert PROBLEM_FIELDS <= body.keys(), body
    assert (body["status"], body["code"]) == (status, code), body
    assert "Traceback" not in response.text and 'File "' not in response.text
    assert response.headers["x-request-id"]
    return body


def field_names(problem: dict[str, Any]) -> list[str]:
    return [error["field"] for error in problem.get("errors", [])]


def instant(value: str) -> datetime:
    """Parses a response timestamp, which must carry its UTC offset."""
    moment = datetime.fromisoformat(value)
    assert moment.utcoffset() is not None and moment.utcoffset().total_seconds() == 0, value
    return moment
