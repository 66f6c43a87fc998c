"""Domain errors. Services raise these; the web layer maps them to HTTP answers in one place."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error a service or action raises on purpose."""

    status_code = 400
    code = "invalid"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(DomainError):
    """The object does not exist, or lies outside the actor's scope (indistinguishable)."""

    status_code = 404
    code = "not_found"

    def __init__(self, message: str = "not found", *, field: str | None = None) -> None:
        super().__init__(message, field=field)


class Forbidden(DomainError):
    """The actor lacks the permission for this kind of action."""

    status_code = 403
    code = "forbidden"


class NotAuthenticated(DomainError):
    """No valid session."""

    status_code = 401
    code = "not_authenticated"


class InvalidInput(DomainError):
    """Input that fails validation; ``field`` names the offending field when there is one."""

    status_code = 422
    code = "invalid_input"


class Conflict(DomainError):
    """The change collides with stored state (duplicate, stale version)."""

    status_code = 409
    code = "conflict"
