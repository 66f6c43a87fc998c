"""Errors of the record-linkage library. All are ``ValueError``s with one precise message."""

from __future__ import annotations

from dataclasses import dataclass


class LinkageError(ValueError):
    """Base class: bad input to the linkage library. ``str(exc)`` is the whole message."""

    @property
    def message(self) -> str:
        return str(self)


@dataclass(frozen=True)
class FieldProblem:
    """One bad value: where it is (source, row, record id) and what is wrong with it."""

    source: str
    row: int
    field: str
    problem: str
    record_id: str | None = None

    def __str__(self) -> str:
        where = f"{self.source} row {self.row}"
        if self.record_id:
            where += f" (id {self.record_id!r})"
        return f"{where}, field {self.field!r}: {self.problem}"


class InvalidRecords(LinkageError):
    """One or more input records are malformed; each problem names its row and field.

    ``row`` counts lines of a CSV file (the header is row 1) or, for records passed to the API,
    positions in the sequence starting at 1. ``problems`` lists at most ``MAX_REPORTED``.
    """

    MAX_REPORTED = 20

    def __init__(self, problems: list[FieldProblem], *, more: int = 0) -> None:
        if not problems:
            raise ValueError("InvalidRecords needs at least one problem")
        self.problems = list(problems)
        lines = [str(p) for p in self.problems]
        if more:
            lines.append(f"... and {more} more problem{'s' if more != 1 else ''}")
        super().__init__("\n".join(lines))

    @property
    def first(self) -> FieldProblem:
        return self.problems[0]


class InvalidModel(LinkageError):
    """A model JSON that cannot be read, or was made for other comparisons or another version."""


class EstimationFailed(LinkageError):
    """The records do not allow estimating the model (too few, or no pairs that agree)."""


class InvalidSettings(LinkageError):
    """A parameter out of range (threshold, engine, sample sizes)."""
