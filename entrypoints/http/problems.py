"""Every error as an RFC 9457 problem document, from ONE table of error codes.

Domain and application errors carry their `code`; Litestar's own exceptions (routing,
body size, request parsing) are given one here. Registered once, through Litestar's
problem-details plugin, for the whole app.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from litestar.exceptions import (
    HTTPException,
    MethodNotAllowedException,
    NotFoundException,
    SerializationException,
    ValidationException,
)
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.openapi.datastructures import ResponseSpec
from litestar.plugins.problem_details import ProblemDetailsConfig, ProblemDetailsException, ProblemDetailsPlugin
from msgspec import UNSET, Struct, UnsetType

from domain.errors import DomainError, FieldError

logger = logging.getLogger("tessera.http")

PROBLEM_MEDIA_TYPE = "application/problem+json"

PROBLEMS: dict[str, tuple[int, str]] = {
    "invalid_request": (400, "Invalid request"),
    "malformed_json": (400, "Malformed JSON body"),
    "not_found": (404, "Not found"),
    "method_not_allowed": (405, "Method not allowed"),
    "already_exists": (409, "Already exists"),
    "invalid_state": (409, "Not allowed in the current state"),
    "sold_out": (409, "Sold out"),
    "payload_too_large": (413, "Payload too large"),
    "unsupported_media_type": (415, "Unsupported media type"),
    "validation_failed": (422, "Validation failed"),
    "currency_mismatch": (422, "Currency mismatch"),
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


class TransportError(Exception):
    """A request refused before any use case ran (wrong media type, no body)."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


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


def problem_responses(*codes: str) -> dict[int, ResponseSpec]:
    """OpenAPI entries for the problems a route can answer with, besides those every API
    route can (`invalid_request`, `unavailable`)."""
    by_status: dict[int, list[str]] = {}
    for code in ("invalid_request", "unavailable", *codes):
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
                TransportError: lambda exc: _problem(exc.code, exc.detail),
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
    if PROBLEMS.get(exc.code, (422,))[0] >= 500:
        logger.warning("%s: %s", exc.code, exc.message)
    return _problem(exc.code, exc.message, exc.errors)


def _from_framework(exc: HTTPException) -> ProblemDetailsException:
    if isinstance(exc, ValidationException):
        return _from_validation(exc)
    if isinstance(exc.__cause__, SerializationException):
        return _problem("malformed_json", exc.detail)
    code = next((c for cls, c in _FRAMEWORK_CODES.items() if isinstance(exc, cls)), None)
    if code is not None:
        return _problem(code, exc.detail, headers=exc.headers)
    if exc.status_code >= 500:
        return _from_unexpected(exc)
    return _problem("invalid_request", exc.detail, headers=exc.headers)


def _from_unexpected(exc: Exception) -> ProblemDetailsException:
    logger.error("unhandled error", exc_info=exc)
    return _problem("internal_error", "The server failed to answer this request; the error has been logged.")


def _from_validation(exc: ValidationException) -> ProblemDetailsException:
    """Litestar reports msgspec's first failure per argument; the body is argument `data`."""
    reports = exc.extra if isinstance(exc.extra, list) else []
    errors = [_field_error(report) for report in reports]
    if reports and all(report.get("source") == "body" for report in reports):
        return _problem("validation_failed", "The request body does not match the expected schema.", errors)
    return _problem("invalid_request", "Query or path parameters are not valid.", errors)


_MISSING = re.compile(r"Object missing required field `(.+)`")
_UNKNOWN = re.compile(r"Object contains unknown field `(.+)`")


def _field_error(report: dict[str, Any]) -> FieldError:
    """Names the offending field by its path in the document, e.g. `items[0].quantity`."""
    key = "" if report.get("key", "data") == "data" else str(report["key"])
    message = str(report.get("message", "is not valid"))
    for pattern, meaning in ((_MISSING, "is required"), (_UNKNOWN, "is not a known field")):
        if match := pattern.fullmatch(message):
            return FieldError(f"{key}.{match[1]}" if key else match[1], meaning)
    return FieldError(key or "body", message)
