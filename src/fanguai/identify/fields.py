"""Encrypted fields of the identification tables, and the person record behind each subject.

Every encrypted column here is sealed under the data key of the person it describes (the found
person, or the long-missing child), so erasing that person shreds these values too.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import date

from fanguai.crypto.fields import FieldCrypto
from fanguai.db import new_public_id
from fanguai.people.models import Person


@dataclass(frozen=True)
class Sealer:
    """Encrypts and decrypts the columns of one row under one person's data key."""

    crypto: FieldCrypto
    subject_id: str
    table: str
    row_id: str

    def seal(self, column: str, value: str | None) -> str | None:
        """The ``fg1:`` token for ``value`` (None or "" stays None)."""
        if value is None or value == "":
            return None
        return self.crypto.encrypt(
            value, subject_id=self.subject_id, table=self.table, column=column, row_id=self.row_id
        )

    def open(self, column: str, token: str | None) -> str | None:
        """The plain value of a token sealed for this row and column."""
        if token is None:
            return None
        return self.crypto.decrypt(
            token, subject_id=self.subject_id, table=self.table, column=column, row_id=self.row_id
        )


def sealer_for(crypto: FieldCrypto, person: Person, table: str, row_id: str) -> Sealer:
    """The sealer of a row that belongs to ``person``."""
    return Sealer(crypto, person.subject_id, table, row_id)


@dataclass(frozen=True)
class Identity:
    """What the people table holds for a found or missing person (unknown is None)."""

    kind: str
    name: str | None = None
    former_names: tuple[str, ...] = ()
    sex: str = "unknown"
    birth_date: date | None = None
    age_min: int | None = None
    age_max: int | None = None
    county_code: str | None = None


def new_person(crypto: FieldCrypto, *, owner_unit_id: int, identity: Identity) -> Person:
    """A person row with its identity fields sealed (added by the caller inside its action)."""
    public_id = new_public_id()
    sealer = Sealer(crypto, f"person:{uuid.uuid4()}", "person", public_id)
    seal = sealer.seal
    return Person(
        public_id=public_id,
        subject_id=sealer.subject_id,
        owner_unit_id=owner_unit_id,
        kind=identity.kind,
        sex=identity.sex,
        age_min=identity.age_min,
        age_max=identity.age_max,
        county_code=identity.county_code,
        name=seal("name", identity.name),
        former_names=seal(
            "former_names",
            json.dumps(list(identity.former_names), ensure_ascii=False)
            if identity.former_names
            else None,
        ),
        birth_date=seal(
            "birth_date", identity.birth_date.isoformat() if identity.birth_date else None
        ),
    )


def person_field(crypto: FieldCrypto, person: Person, column: str) -> str | None:
    """A decrypted identity field of a person (None when empty or erased)."""
    if person.erased_at is not None:
        return None
    return Sealer(crypto, person.subject_id, "person", person.public_id).open(
        column, getattr(person, column)
    )


def person_birth_date(crypto: FieldCrypto, person: Person) -> date | None:
    """The person's (claimed) birth date."""
    raw = person_field(crypto, person, "birth_date")
    return date.fromisoformat(raw) if raw else None
