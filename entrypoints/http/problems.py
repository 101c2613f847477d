"""Every error as an RFC 9457 problem document, from ONE table of error codes.

Domain and application errors carry their `code`, and so do bodies refused on the wire;
Litestar's own exceptions (routing, body size, parameters) are given one here. Registered once, through Litestar's
problem-details plugin, for the whole app.
"""

from __future__ import annotations

import logging
from typing import Any

from litestar.exceptions import (
    HTTPException,
    MethodNotAllowedException,
    NotFoundException,
    ValidationException,
)
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.openapi.datastructures import ResponseSpec
from litestar.plugins.problem_details import ProblemDetailsConfig, ProblemDetailsException, ProblemDetailsPlugin
from msgspec import UNSET, Struct, UnsetType

from domain.errors import DomainError, FieldError
from entrypoints.http.schemas import WireError

logger = logging.getLogger("tessera.http")

PROBLEM_MEDIA_TYPE = "application/problem+json"

PROBLEMS: dict[str, tuple[int, str]] = {
    "invalid_request": (400, "Invalid request"),
    "invalid_signature": (400, "Invalid signature"),
    "malformed_json": (400, "Malformed JSON body"),
    "unauthenticated": (401, "Unauthenticated"),
    "forbidden": (403, "Forbidden"),
    "not_found": (404, "Not found"),
    "method_not_allowed": (405, "Method not allowed"),
    "already_exists": (409, "Already exists"),
    "invalid_state": (409, "Not allowed in the current state"),
    "sold_out": (409, "Sold out"),
    "idempotency_in_progress": (409, "A request with this Idempotency-Key is in progress"),
    "payload_too_large": (413, "Payload too large"),
    "unsupported_media_type": (415, "Unsupported media type"),
    "validation_failed": (422, "Validation failed"),
    "currency_mismatch": (422, "Currency mismatch"),
    "idempotency_key_reused": (422, "Idempotency-Key reused"),
    "amount_exceeds_refundable": (422, "Amount exceeds what is refundable"),
    "provider_not_configured": (422, "Payment provider not configured"),
    "internal_error": (500, "Internal error"),
    "provider_error": (502, "Payment provider error"),
    "unavailable": (503, "Service unavailable"),
}
"""code -> (HTTP status, title). A business-rule code missing here is answered 422."""

_FRAMEWORK_CODES: dict[type[HTTPException], str] = {
    NotFoundException: "not_found",
    MethodNotAllowedException: "method_not_allowed",
    RequestEntityTooLarge: "payload_too_large",
}


class FieldErrorOut(Struct):
    field: str
    message: str


class ProblemOut(Struct):
    """What every error response carries (documentation of the problem shape)."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    errors: list[FieldErrorOut] | UnsetType = UNSET


BODY_PROBLEMS = ("malformed_json", "validation_failed", "payload_too_large", "unsupported_media_type")
"""What any route that reads a JSON body may answer before its use case runs."""


def problem_responses(*codes: str, api_key: bool = True) -> dict[int, ResponseSpec]:
    """OpenAPI entries for the problems a route can answer with, besides those every API
    route can (`invalid_request`, `unavailable`, and the API key guard's unless `api_key` is
    False: routes the guard lets through, see auth.OPEN)."""
    by_status: dict[int, list[str]] = {}
    guard = ("unauthenticated", "forbidden") if api_key else ()
    for code in ("invalid_request", "unavailable", *guard, *codes):
        by_status.setdefault(PROBLEMS[code][0], []).append(f"`{code}`")
    return {
        status: ResponseSpec(
            data_container=ProblemOut,
            description=f"Problem: {', '.join(names)}",
            media_type=PROBLEM_MEDIA_TYPE,
            generate_examples=False,
        )
        for status, names in by_status.items()
    }


def problem_details_plugin() -> ProblemDetailsPlugin:
    return ProblemDetailsPlugin(
        ProblemDetailsConfig(
            exception_to_problem_detail_map={
                DomainError: _from_domain_error,
                WireError: lambda exc: _problem(exc.code, exc.detail, exc.errors),
                HTTPException: _from_framework,
                Exception: _from_unexpected,
            }
        )
    )


def _problem(
    code: str,
    detail: str,
    errors: list[FieldError] | tuple[FieldError, ...] = (),
    headers: dict[str, str] | None = None,
) -> ProblemDetailsException:
    status, title = PROBLEMS.get(code, (422, code.replace("_", " ").capitalize()))
    extra: dict[str, Any] = {"code": code}
    if errors:
        extra["errors"] = [{"field": e.field, "message": e.message} for e in errors]
    return ProblemDetailsException(
        status_code=status,
        type_=f"urn:tessera:problem:{code}",
        title=title,
        detail=detail,
        extra=extra,
        headers=headers,
    )


def _from_domain_error(exc: DomainError) -> ProblemDetailsException:
    # RFC 9110: a 401 names the scheme that would authenticate the request.
    headers = {"WWW-Authenticate": "Bearer"} if exc.code == "unauthenticated" else None
    problem = _problem(exc.code, exc.message, exc.errors, headers)
    if problem.status_code >= 500:
        logger.warning("%s: %s", exc.code, exc.message)
    return problem


def _from_framework(exc: HTTPException) -> ProblemDetailsException:
    if isinstance(exc, ValidationException):
        return _from_parameters(exc)
    code = next((c for cls, c in _FRAMEWORK_CODES.items() if isinstance(exc, cls)), None)
    if code is not None:
        return _problem(code, exc.detail, headers=exc.headers)
    if exc.status_code >= 500:
        return _from_unexpected(exc)
    return _problem("invalid_request", exc.detail, headers=exc.headers)


def _from_unexpected(exc: Exception) -> ProblemDetailsException:
    logger.error("unhandled error", exc_info=exc)
    return _problem("internal_error", "The server failed to answer this request; the error has been logged.")


def _from_parameters(exc: ValidationException) -> ProblemDetailsException:
    """Query and path parameters Litestar could not convert (bodies are decoded before)."""
    reports = exc.extra if isinstance(exc.extra, list) else []
    errors = [FieldError(str(r.get("key", "")), str(r.get("message", "is not valid"))) for r in reports]
    return _problem("invalid_request", "Query or path parameters are not valid.", errors)
