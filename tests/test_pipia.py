"""I5: the data inventory of docs/pipia.md agrees with the data-classification annotations.

The models annotate sensitive columns with ``info={"classification": ..., "encryption": ...}``
(and, where known, ``purpose`` and ``retention``). The personal-information protection impact
assessment (PIPL Arts. 55-56) lists every such column, one table row each, whose first cell is
exactly `` `table.column` ``. These tests read both and fail on any drift: a classified column
missing from the document, a row for a column that no longer exists, or an encryption class
that the document states differently from the model.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import Column, Text

from fanguai.models import Base

PIPIA = Path(__file__).resolve().parents[1] / "docs" / "pipia.md"

# The inventory table's header, exactly as docs/pipia.md writes it.
HEADER = [
    "Field",
    "Holds",
    "Classification",
    "Purpose",
    "Legal basis",
    "Encryption",
    "Retention",
    "Who may see it",
]
ENCRYPTION_CLASSES = {"field", "blind_index", "hash", "none"}
# Classes the model declares and the document may only repeat (a hash or plain storage is
# something the document states; field encryption and blind indexes come from the annotations).
DECLARED_ONLY = {"field", "blind_index"}
CLASSIFICATIONS = {"sensitive", "secret", "personal"}
RETENTION_CLASSES = {"case", "account", "session", "audit", "throttle"}
# Columns the assessment must cover even though they carry no annotation: credentials, the
# audit log's client addresses and the session token hashes.
ALSO_REQUIRED = {
    "staff_user.password_hash",
    "staff_user.totp_secret",
    "staff_user.recovery_codes",
    "user_session.token_hash",
    "audit_event.client",
}

_FIELD = re.compile(r"^`([a-z_][a-z0-9_]*)\.([a-z_][a-z0-9_]*)`$")
_LEADING_CODE = re.compile(r"^`([a-z_]+)`")


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def _inventory() -> dict[str, dict[str, str]]:
    """The rows of the inventory table, keyed by ``table.column``."""
    lines = PIPIA.read_text(encoding="utf-8").splitlines()
    start = next(
        i for i, line in enumerate(lines) if line.startswith("|") and _cells(line) == HEADER
    )
    rows: dict[str, dict[str, str]] = {}
    duplicates = []
    for line in lines[start + 2 :]:  # skip the header and its |---| line
        if not line.startswith("|"):
            break
        cells = _cells(line)
        assert len(cells) == len(HEADER), f"wrong number of cells: {line}"
        match = _FIELD.match(cells[0])
        assert match, f"the first cell must be `table.column`: {cells[0]!r}"
        key = f"{match.group(1)}.{match.group(2)}"
        if key in rows:
            duplicates.append(key)
        rows[key] = dict(zip(HEADER, cells, strict=True))
    assert not duplicates, f"listed twice: {duplicates}"
    assert rows, "the inventory table is empty"
    return rows


def _columns() -> dict[str, Column]:
    return {
        f"{table.name}.{column.name}": column
        for table in Base.metadata.tables.values()
        for column in table.columns
    }


def _classified() -> dict[str, Column]:
    return {key: c for key, c in _columns().items() if "classification" in c.info}


def _plain(cell: str) -> str:
    return cell.strip().strip("`").strip()


def _leading_code(cell: str) -> str | None:
    match = _LEADING_CODE.match(cell)
    return match.group(1) if match else None


@pytest.fixture(scope="module")
def inventory() -> dict[str, dict[str, str]]:
    return _inventory()


def test_the_models_annotate_some_columns_at_all() -> None:
    # Guard against a metadata that lost its annotations: the checks below would pass vacuously.
    classified = _classified()
    assert "person.id_card" in classified and "staff_user.totp_secret" in classified


def test_every_classified_column_is_in_the_inventory_with_a_purpose_and_a_retention(
    inventory: dict[str, dict[str, str]],
) -> None:
    missing = sorted(set(_classified()) - set(inventory))
    assert missing == [], f"classified in the models but not listed in docs/pipia.md: {missing}"
    for key in _classified():
        row = inventory[key]
        for heading in ("Holds", "Purpose", "Legal basis", "Retention", "Who may see it"):
            assert _plain(row[heading]) not in ("", "-", "—"), f"{key}: empty {heading!r}"


def test_the_encryption_class_in_the_inventory_is_the_one_the_model_declares(
    inventory: dict[str, dict[str, str]],
) -> None:
    # A classified column without a row is reported by the test above.
    stated = {key: _plain(row["Encryption"]) for key, row in inventory.items()}
    wrong = {
        key: (stated[key], column.info.get("encryption"))
        for key, column in _classified().items()
        if key in stated and stated[key] != column.info.get("encryption")
    }
    assert wrong == {}, f"document vs model encryption class: {wrong}"


def test_the_inventory_claims_field_encryption_or_a_blind_index_only_where_the_model_does(
    inventory: dict[str, dict[str, str]],
) -> None:
    columns = _columns()
    for key, row in inventory.items():
        stated = _plain(row["Encryption"])
        assert stated in ENCRYPTION_CLASSES, f"{key}: unknown encryption class {stated!r}"
        if stated in DECLARED_ONLY:
            declared = columns[key].info.get("encryption") if key in columns else None
            assert declared == stated, (
                f"{key}: the document says {stated!r}, the model does not declare it"
            )


def test_the_classification_and_retention_codes_repeat_the_annotations(
    inventory: dict[str, dict[str, str]],
) -> None:
    columns = _columns()
    for key, row in inventory.items():
        info = columns[key].info if key in columns else {}  # stale rows: reported elsewhere
        classification = _leading_code(row["Classification"])
        assert classification in CLASSIFICATIONS, f"{key}: classification code {classification!r}"
        if "classification" in info:
            assert classification == info["classification"], key
        retention = _leading_code(row["Retention"])
        assert retention in RETENTION_CLASSES, f"{key}: retention code {retention!r}"
        if "retention" in info:
            assert retention == info["retention"], key


def test_every_row_of_the_inventory_names_a_column_that_exists(
    inventory: dict[str, dict[str, str]],
) -> None:
    stale = sorted(set(inventory) - set(_columns()))
    assert stale == [], f"docs/pipia.md lists columns the models do not have: {stale}"


def test_credentials_client_addresses_and_session_hashes_are_inventoried_too(
    inventory: dict[str, dict[str, str]],
) -> None:
    assert ALSO_REQUIRED <= _columns().keys(), sorted(ALSO_REQUIRED - _columns().keys())
    assert sorted(ALSO_REQUIRED - set(inventory)) == []


def test_every_annotated_column_states_both_its_classification_and_its_encryption() -> None:
    half = sorted(
        key
        for key, column in _columns().items()
        if ("classification" in column.info) != ("encryption" in column.info)
    )
    assert half == [], f"annotated with only one of classification/encryption: {half}"


def test_every_field_encrypted_column_is_text_because_tokens_are_long() -> None:
    encrypted = {k: c for k, c in _columns().items() if c.info.get("encryption") == "field"}
    assert encrypted, "no field-encrypted column found"
    not_text = sorted(k for k, c in encrypted.items() if not isinstance(c.type, Text))
    assert not_text == [], f"field-encrypted columns must be Text: {not_text}"
