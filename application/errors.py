"""Application errors: what a use case can say beyond the domain's rules."""

from __future__ import annotations

from domain.errors import DomainError


class NotFound(DomainError):
    code = "not_found"


class AlreadyExists(DomainError):
    code = "already_exists"


class InvalidRequest(DomainError):
    """Parameters that cannot be interpreted at all (a corrupt cursor, an inverted range)."""

    code = "invalid_request"


class Unavailable(DomainError):
    """A dependency (database, provider) is down; the caller may safely retry."""

    code = "unavailable"


class ProviderError(DomainError):
    """The provider refused or failed the call for certain: nothing moved."""

    code = "provider_error"


class ProviderOutcomeUnknown(Unavailable):
    """The provider call timed out or broke off: it may or may not have happened. Re-running
    it with the same idempotency key is safe and finds out."""


class ProviderNotConfigured(DomainError):
    code = "provider_not_configured"


class InvalidSignature(DomainError):
    """A webhook's signature, timestamp or signing headers do not verify; nothing is recorded."""

    code = "invalid_signature"


class Unauthenticated(DomainError):
    """No API key, or one that is unknown or revoked. Says nothing about which."""

    code = "unauthenticated"


class Forbidden(DomainError):
    """The API key is valid but its scope does not cover the request."""

    code = "forbidden"
