"""Errors that name their message by catalogue key: English in the API, Chinese on the pages."""

from __future__ import annotations

from fanguai.errors import Conflict, DomainError, Forbidden, InvalidInput
from fanguai.web.i18n import translate


def _keyed(cls: type[DomainError], key: str, field: str | None, values: dict[str, object]):  # type: ignore[no-untyped-def]
    error = cls(translate(key, "en", **values), field=field)
    error.key = key  # type: ignore[attr-defined]
    error.values = values  # type: ignore[attr-defined]
    return error


def invalid(key: str, *, field: str, **values: object) -> InvalidInput:
    """A 422 for ``field`` whose message is the catalogue entry ``key``."""
    return _keyed(InvalidInput, key, field, values)


def conflict(key: str, *, field: str | None = None, **values: object) -> Conflict:
    """A 409 whose message is the catalogue entry ``key``."""
    return _keyed(Conflict, key, field, values)


def forbidden(key: str, **values: object) -> Forbidden:
    """A 403 whose message is the catalogue entry ``key``."""
    return _keyed(Forbidden, key, None, values)


def page_message(error: DomainError) -> str:
    """The Chinese message a page shows for a domain error."""
    key = getattr(error, "key", None)
    if key is not None:
        return translate(key, **getattr(error, "values", {}))
    return translate("progress.error.generic", detail=error.message)
