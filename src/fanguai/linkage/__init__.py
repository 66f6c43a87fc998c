"""Record linkage: found persons of unknown identity against missing children.

A library over Splink (DuckDB by default, Spark on request): Chinese names compared exactly,
in tone-less pinyin with surname readings and heteronyms, and by syllable edit distance; birth
dates known to the day, month or year; sex; counties by distance; parents' names; marks. The
Fellegi–Sunter parameters are estimated from the records (u from random pairs, m by EM, the
prior by its fixed point on the scored pairs) and saved as JSON with ``LINKAGE_VERSION``; every
pair is explained field by field. See ``docs/linkage.md``.

The names below are loaded on first use, so that importing ``fanguai.linkage.cli`` (which every
``fanguai`` command does) does not load Splink, DuckDB and pypinyin.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fanguai.linkage._dates import DateRange, parse_date
    from fanguai.linkage._engine import (
        DEFAULT_THRESHOLD,
        ENGINES,
        MIN_RECORDS_TO_ESTIMATE,
        FieldWeight,
        Pair,
        estimate_model,
        link,
    )
    from fanguai.linkage._model import (
        LINKAGE_VERSION,
        FieldParameters,
        LevelParameters,
        LinkageModel,
        default_model,
    )
    from fanguai.linkage._names import name_pinyin, normalise_name
    from fanguai.linkage._records import FIELDS, Record, read_csv, validate_records
    from fanguai.linkage.errors import (
        EstimationFailed,
        FieldProblem,
        InvalidModel,
        InvalidRecords,
        InvalidSettings,
        LinkageError,
    )

_EXPORTS = {
    "fanguai.linkage._dates": ("DateRange", "parse_date"),
    "fanguai.linkage._engine": (
        "DEFAULT_THRESHOLD",
        "ENGINES",
        "MIN_RECORDS_TO_ESTIMATE",
        "FieldWeight",
        "Pair",
        "estimate_model",
        "link",
    ),
    "fanguai.linkage._model": (
        "LINKAGE_VERSION",
        "FieldParameters",
        "LevelParameters",
        "LinkageModel",
        "default_model",
    ),
    "fanguai.linkage._names": ("name_pinyin", "normalise_name"),
    "fanguai.linkage._records": ("FIELDS", "Record", "read_csv", "validate_records"),
    "fanguai.linkage.errors": (
        "EstimationFailed",
        "FieldProblem",
        "InvalidModel",
        "InvalidRecords",
        "InvalidSettings",
        "LinkageError",
    ),
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = [
    "DEFAULT_THRESHOLD",
    "ENGINES",
    "FIELDS",
    "LINKAGE_VERSION",
    "MIN_RECORDS_TO_ESTIMATE",
    "DateRange",
    "EstimationFailed",
    "FieldParameters",
    "FieldProblem",
    "FieldWeight",
    "InvalidModel",
    "InvalidRecords",
    "InvalidSettings",
    "LevelParameters",
    "LinkageError",
    "LinkageModel",
    "Pair",
    "Record",
    "__version__",
    "default_model",
    "estimate_model",
    "link",
    "name_pinyin",
    "normalise_name",
    "parse_date",
    "read_csv",
    "validate_records",
]


def __getattr__(name: str) -> Any:
    if name == "__version__":
        name = "LINKAGE_VERSION"
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'fanguai.linkage' has no attribute {name!r}")
    return getattr(import_module(module), name)


def __dir__() -> list[str]:
    return __all__
