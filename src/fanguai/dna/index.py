"""The in-memory, purpose-bound search indexes of the DNA store (R-DNA-3).

Indexes per database and process, never one: the **reference** side (fathers and mothers of
missing children, and couples registered together; and one index per relation for the other
relatives: full siblings, half siblings, grandparents, uncles and aunts, first cousins) and the
**unknown** side (children of unknown origin, rescued victims, other unidentified persons). A
specimen is only ever searched against the other side.

Life cycle:

- **Built lazily** the first time a process searches a database: every active profile is
  decrypted (the only place profiles are decrypted in bulk) and loaded, restricted to the loci
  the frequency table has (``computable``: a stored locus without frequencies is never used);
  nothing is written back anywhere, and the decrypted profiles live only inside the index.
- **Kept in sync** by the actions that change the store. An import or withdrawal applies its
  changes to this process's indexes while it runs (``Staged``), undoing them if the action
  fails, and writes one ``dna_index_change`` row per change in the same transaction. Other
  processes replay those rows (``refresh``) before each search. Replaying is idempotent and
  always covers the last ``WINDOW`` changes, so a change committed late, out of id order,
  is still seen.
- **Verified** after each search: a hit whose specimen or couple is not active in the
  database is dropped and removed from the index.

The indexes are keyed by the session's bind (the engine in production, the connection in
tests), held weakly, and guarded by one re-entrant lock: a writing action holds it from
before its transaction begins until after it commits, so searches never see half an import.
"""

from __future__ import annotations

import json
import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fanguai.crypto.fields import FieldCrypto
from fanguai.dna.models import (
    PARENT_KINDS,
    RELATIONS,
    UNKNOWN_KINDS,
    Couple,
    DnaProfile,
    IndexChange,
    Specimen,
)
from fanguai.kinship import FrequencyTable, KinshipSettings, SearchIndex, builtin_table

#: The store's frequency table and settings (recorded with every stored match).
TABLE_NAME = "norstr-east-asia"
SETTINGS = KinshipSettings(mutation_model="stepwise", rate=0.002, rate_female=0.0005, theta=0.01)
#: A profile with fewer typed loci cannot be searched.
MIN_LOCI = 12
#: How far back each refresh replays the change log.
WINDOW = 256


def store_table() -> FrequencyTable:
    """The frequency table of the store (built in, loaded once)."""
    return builtin_table(TABLE_NAME)


def computable(profile: dict[str, str], table: FrequencyTable | None = None) -> dict[str, str]:
    """The part of a profile that is searched and computed with: the loci the store's table
    has frequencies for. A locus it lacks (D6S1043 in norSTR) is stored and shown, never used."""
    table = table or store_table()
    return {locus: g for locus, g in profile.items() if table.has_locus(locus)}


def seal_profile(
    crypto: FieldCrypto, specimen: Specimen, profile: dict[str, str], column: str = "genotypes"
) -> str:
    """Encrypt a canonical profile under the specimen's data key, bound to specimen and column."""
    return crypto.encrypt(
        json.dumps(profile, sort_keys=True),
        subject_id=specimen.key_subject,
        table="dna_profile",
        column=column,
        row_id=specimen.public_id,
    )


def open_profile(
    crypto: FieldCrypto, specimen: Specimen, token: str, column: str = "genotypes"
) -> dict[str, str]:
    """Decrypt a profile sealed by ``seal_profile`` (``SubjectShredded`` once shredded)."""
    text = crypto.decrypt(
        token,
        subject_id=specimen.key_subject,
        table="dna_profile",
        column=column,
        row_id=specimen.public_id,
    )
    return json.loads(text)


def open_computable(
    crypto: FieldCrypto, specimen: Specimen, token: str, column: str = "genotypes"
) -> dict[str, str]:
    """``open_profile`` restricted to the loci with frequencies (``computable``)."""
    return computable(open_profile(crypto, specimen, token, column))


@dataclass
class StoreIndexes:
    """The reference, relatives and unknown indexes of one database in this process."""

    table: FrequencyTable
    settings: KinshipSettings
    reference: SearchIndex = field(init=False)
    unknown: SearchIndex = field(init=False)
    # relation → the relatives of missing children with that relation to the child
    relatives: dict[str, SearchIndex] = field(init=False)
    # key → "reference" | "unknown" | "couple" | "relative:<relation>": where each key lives.
    where: dict[str, str] = field(default_factory=dict)
    loaded: bool = False
    watermark: int = 0
    lock: threading.RLock = field(default_factory=threading.RLock)

    def __post_init__(self) -> None:
        self.reference = SearchIndex(self.table, self.settings, min_loci=MIN_LOCI)
        self.unknown = SearchIndex(self.table, self.settings, min_loci=MIN_LOCI)
        self.relatives = {
            r: SearchIndex(self.table, self.settings, min_loci=MIN_LOCI) for r in RELATIONS
        }

    # -- changes -----------------------------------------------------------------------------

    def add(self, specimen: Specimen, profile: dict[str, str]) -> bool:
        """Index a specimen on its side (a relative by its relation); False if not indexed."""
        if specimen.public_id in self.where:
            return False
        where = _place(specimen)
        if where is None:
            return False
        if where.startswith("relative:"):
            self.relatives[specimen.relation].add(specimen.public_id, profile)  # type: ignore[index]
            self.where[specimen.public_id] = where
        elif specimen.kind in PARENT_KINDS:
            self.reference.add(specimen.public_id, profile)
            self.where[specimen.public_id] = "reference"
        elif specimen.kind in UNKNOWN_KINDS:
            self.unknown.add(specimen.public_id, profile)
            self.where[specimen.public_id] = "unknown"
        else:
            return False
        return True

    def add_couple(self, key: str, father: dict[str, str], mother: dict[str, str]) -> bool:
        if key in self.where:
            return False
        self.reference.add_couple(key, father, mother)
        self.where[key] = "couple"
        return True

    def remove(self, key: str) -> bool:
        """Take a specimen or couple out of whichever index holds it."""
        side = self.where.pop(key, None)
        if side is None:
            return False
        self._index_of(side).remove(key)
        return True

    def _index_of(self, where: str) -> SearchIndex:
        if where.startswith("relative:"):
            return self.relatives[where.split(":", 1)[1]]
        return self.unknown if where == "unknown" else self.reference

    def reset(self) -> None:
        """Empty both indexes (before a full build)."""
        self.__post_init__()
        self.where.clear()
        self.loaded = False


def _place(specimen: Specimen) -> str | None:
    """Which index holds a specimen: its side, ``relative:<relation>``, or None (a relative
    registered without a relation is stored, not searched)."""
    if specimen.kind in PARENT_KINDS:
        return "reference"
    if specimen.kind in UNKNOWN_KINDS:
        return "unknown"
    if specimen.relation in RELATIONS:
        return f"relative:{specimen.relation}"
    return None


_registry: weakref.WeakKeyDictionary[Any, StoreIndexes] = weakref.WeakKeyDictionary()
_registry_lock = threading.Lock()


def indexes_for(session: Session, crypto: FieldCrypto) -> StoreIndexes:
    """This process's indexes of the session's database: built on first use, then refreshed."""
    bind = session.get_bind()
    with _registry_lock:
        indexes = _registry.get(bind)
        if indexes is None:
            indexes = StoreIndexes(store_table(), SETTINGS)
            _registry[bind] = indexes
    with indexes.lock:
        if not indexes.loaded:
            _build(session, crypto, indexes)
        else:
            refresh(session, crypto, indexes)
    return indexes


def forget(session: Session) -> None:
    """Drop this process's indexes of the session's database (rebuilt on next use)."""
    with _registry_lock:
        _registry.pop(session.get_bind(), None)


def _active_profiles(session: Session, keys: list[str] | None = None):  # type: ignore[no-untyped-def]
    stmt = (
        select(Specimen, DnaProfile.genotypes)
        .join(DnaProfile, DnaProfile.specimen_id == Specimen.id)
        .where(Specimen.status == "active", DnaProfile.genotypes.is_not(None))
    )
    if keys is not None:
        stmt = stmt.where(Specimen.public_id.in_(keys))
    return session.execute(stmt).all()


def _build(session: Session, crypto: FieldCrypto, indexes: StoreIndexes) -> None:
    """Load every active profile (decrypted here, kept only inside the indexes)."""
    indexes.reset()
    watermark = session.execute(select(func.max(IndexChange.id))).scalar_one() or 0
    profiles: dict[int, dict[str, str]] = {}
    sides: dict[str, list[tuple[str, dict[str, str]]]] = {}
    for specimen, token in _active_profiles(session):
        profile = open_computable(crypto, specimen, token)
        profiles[specimen.id] = profile
        where = _place(specimen)
        if where is not None:
            sides.setdefault(where, []).append((specimen.public_id, profile))
    for side, items in sides.items():
        indexes._index_of(side).add_many(items)
        indexes.where.update((key, side) for key, _ in items)
    couples = session.execute(select(Couple).where(Couple.status == "active")).scalars()
    for couple in couples:
        father, mother = profiles.get(couple.father_id), profiles.get(couple.mother_id)
        if father is not None and mother is not None:
            indexes.add_couple(couple.public_id, father, mother)
    indexes.watermark = watermark
    indexes.loaded = True


def refresh(session: Session, crypto: FieldCrypto, indexes: StoreIndexes) -> int:
    """Replay the recent change log (changes other processes made); returns changes applied."""
    changes = session.execute(
        select(IndexChange)
        .where(IndexChange.id > indexes.watermark - WINDOW)
        .order_by(IndexChange.id)
    ).scalars()
    applied = 0
    for change in changes:
        applied += _replay(session, crypto, indexes, change)
        indexes.watermark = max(indexes.watermark, change.id)
    return applied


def _replay(
    session: Session, crypto: FieldCrypto, indexes: StoreIndexes, change: IndexChange
) -> int:
    if change.op in ("remove", "remove_couple"):
        return int(indexes.remove(change.key))
    if change.key in indexes.where:
        return 0
    if change.op == "add":
        rows = _active_profiles(session, [change.key])
        if not rows:
            return 0
        specimen, token = rows[0]
        return int(indexes.add(specimen, open_computable(crypto, specimen, token)))
    couple = session.execute(
        select(Couple).where(Couple.public_id == change.key, Couple.status == "active")
    ).scalar_one_or_none()
    if couple is None:
        return 0
    keys = [couple.father.public_id, couple.mother.public_id]
    parents = {s.id: (s, t) for s, t in _active_profiles(session, keys)}
    if len(parents) != 2:
        return 0
    father = open_computable(crypto, *parents[couple.father_id])
    mother = open_computable(crypto, *parents[couple.mother_id])
    return int(indexes.add_couple(couple.public_id, father, mother))


class Staged:
    """Index changes made by a running action: logged for other processes, undone on failure."""

    def __init__(self, session: Session, indexes: StoreIndexes) -> None:
        self.session = session
        self.indexes = indexes
        self._undo: list[Callable[[], object]] = []

    def add(self, specimen: Specimen, profile: dict[str, str]) -> None:
        if self.indexes.add(specimen, profile):
            key = specimen.public_id
            self._undo.append(lambda: self.indexes.remove(key))
            self.session.add(IndexChange(op="add", key=key))

    def add_couple(self, couple: Couple, father: dict[str, str], mother: dict[str, str]) -> None:
        if self.indexes.add_couple(couple.public_id, father, mother):
            key = couple.public_id
            self._undo.append(lambda: self.indexes.remove(key))
            self.session.add(IndexChange(op="add_couple", key=key))

    def remove(self, key: str, restore: Callable[[], object], *, couple: bool = False) -> None:
        """Take a specimen (or couple) out; ``restore`` puts it back if the action fails."""
        if self.indexes.remove(key):
            self._undo.append(restore)
            self.session.add(IndexChange(op="remove_couple" if couple else "remove", key=key))

    def rollback(self) -> None:
        for undo in reversed(self._undo):
            undo()
        self._undo.clear()


@contextmanager
def staged(session: Session, crypto: FieldCrypto) -> Iterator[Staged]:
    """Hold the indexes for a writing action; undo its index changes if it fails.

    Enter it *before* the action (``with staged(...) as stage, action(...):``) so that a
    failed commit is undone too, and so that the index lock is always taken before the
    database's write lock.
    """
    indexes = indexes_for(session, crypto)
    with indexes.lock:
        stage = Staged(session, indexes)
        try:
            yield stage
        except BaseException:
            stage.rollback()
            raise
