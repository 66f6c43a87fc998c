"""Errors of the victim module: the domain errors, each with a message key for the pages."""

from __future__ import annotations

from fanguai.errors import Conflict, Forbidden, InvalidInput


class VictimInputError(InvalidInput):
    """Bad input (422): ``key`` names the Chinese message ``victims.error.<key>``."""

    def __init__(self, key: str, message: str, *, field: str | None = None) -> None:
        super().__init__(message, field=field)
        self.key = key


class VictimConflict(Conflict):
    """The change does not fit the file's state (409), e.g. a service for a closed file."""

    def __init__(self, key: str, message: str, *, field: str | None = None) -> None:
        super().__init__(message, field=field)
        self.key = key


class VictimForbidden(Forbidden):
    """A permission the actor lacks for this piece of the file (403)."""

    def __init__(self, key: str, message: str, *, field: str | None = None) -> None:
        super().__init__(message, field=field)
        self.key = key


# Pydantic error types → message keys (``victims.error.<key>``), for forms and the API alike.
_PYDANTIC_KEYS = {
    "missing": "required",
    "string_too_short": "required",
    "too_short": "required",
    "string_too_long": "too_long",
    "too_long": "too_many",
    "string_pattern_mismatch": "bad_format",
    "literal_error": "bad_choice",
    "enum": "bad_choice",
    "bool_parsing": "bad_choice",
    "bool_type": "bad_choice",
    "extra_forbidden": "unknown_field",
    "greater_than_equal": "out_of_range",
    "less_than_equal": "out_of_range",
    "greater_than": "out_of_range",
    "less_than": "out_of_range",
}


def pydantic_key(error_type: str) -> str:
    """The message key for a pydantic error type."""
    if error_type in _PYDANTIC_KEYS:
        return _PYDANTIC_KEYS[error_type]
    if error_type.startswith(("date", "datetime", "timezone")):
        return "bad_date"
    if error_type.startswith(("int", "float", "decimal")):
        return "bad_number"
    return "invalid"


def error_field(loc: tuple[object, ...]) -> str:
    """A pydantic error location as a dotted field name (``details.hospital``)."""
    return ".".join(str(part) for part in loc)
