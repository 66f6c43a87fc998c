"""Searching new specimens against the other side, and what a stored match says.

Every new specimen is searched at once, against the other side only (R-DNA-3):

- a child of unknown origin, rescued victim or unidentified person → the fathers and mothers
  (``parent-child``) and the couples registered together (``parents``);
- a father or mother → the unknown side, as their child (``parent-child``);
- a couple, when its second parent arrives → the unknown side, as their child (``parents``);
- another relative (sibling, grandparent, uncle or aunt, cousin) → the unknown side, with its
  relation (``kinship_search``: full-siblings, …); a new unknown specimen searches the relatives
  of each relation too.

Within one import the reference side is indexed first, then its parents and couples search
the unknown side as it was, then the new unknown specimens search the whole reference side:
each pair is compared once.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from fanguai.dna.index import TABLE_NAME, Staged
from fanguai.dna.models import (
    PARENT_KINDS,
    RELATIONS,
    UNKNOWN_KINDS,
    CandidateMatch,
    Couple,
    Specimen,
)
from fanguai.kinship import (
    KinshipResult,
    KinshipSettings,
    SearchHit,
    duo_lr,
    kinship_lr,
    parents_lr,
)

TOP_K = 20
MAX_INCONSISTENT = 2
MIN_LR = 1.0
#: Relatives other than parents: matches are reported from LR 10 (nothing excludes a relative,
#: so a lower bound keeps the unrelated noise out of the stored leads).
KIN_MIN_LR = 10.0
CLASSES = ("strong", "supported", "inconclusive", "excluded")
KIN_CLASSES = ("kin-strong", "kin-lead", "kin-weak")


def kin_class(lr: float) -> str:
    """The class of a pairwise relative's LR: ``kin-strong`` (LR ≥ 10⁴), ``kin-lead``
    (10² ≤ LR < 10⁴), ``kin-weak`` (below; reported from ``KIN_MIN_LR``). Read with the
    expected false hits: a grandparent or half sibling rarely reaches 10⁴ with 20 loci."""
    log10 = math.log10(lr) if lr > 0 and math.isfinite(lr) else (math.inf if lr > 0 else -99)
    if log10 >= 4:
        return "kin-strong"
    if log10 >= 2:
        return "kin-lead"
    return "kin-weak"


def match_class(lr: float, inconsistent_loci: int, relationship: str = "parent-child") -> str:
    """The class of a likelihood ratio, after Chinese parentage practice.

    ``excluded``: LR 0 or 3 or more inconsistent loci; ``supported``: CPI ≥ 10⁴;
    ``strong``: CPI ≥ 10⁶; ``inconclusive`` in between (add loci or the other parent). At
    database scale the class is read together with the expected false hits. Other relatives
    (``relationship`` pairwise): ``kin_class``.
    """
    if relationship in RELATIONS:
        return kin_class(lr)
    if lr <= 0 or inconsistent_loci >= 3:
        return "excluded"
    log10 = math.log10(lr) if math.isfinite(lr) else math.inf
    if log10 >= 6:
        return "strong"
    if log10 >= 4:
        return "supported"
    return "inconclusive"


@dataclass
class NewSpecimen:
    """A specimen this action registers, with its profile (plain, in memory only)."""

    specimen: Specimen
    profile: dict[str, str]


@dataclass
class NewCouple:
    couple: Couple
    father: dict[str, str]
    mother: dict[str, str]
    query: Specimen  # the parent whose arrival completed the couple


@dataclass
class _Search:
    """One search's outcome: who searched, what the hits are, the index size it covered."""

    query: Specimen
    relationship: str
    hits: list[SearchHit]
    hit_is: str  # child | parent | couple | relative
    size: int
    couple: Couple | None = None  # the searching couple (hits are their children)


def search_new(
    session: Session,
    stage: Staged,
    specimens: Sequence[NewSpecimen],
    couples: Sequence[NewCouple],
    *,
    now: datetime,
) -> list[CandidateMatch]:
    """Index what this action registers and store the candidate matches of its searches."""
    indexes = stage.indexes
    for item in specimens:
        if item.specimen.kind in PARENT_KINDS or item.specimen.relation in RELATIONS:
            stage.add(item.specimen, item.profile)
    for c in couples:
        stage.add_couple(c.couple, c.father, c.mother)
    options = {"top_k": TOP_K, "max_inconsistent": MAX_INCONSISTENT, "min_lr": MIN_LR}
    searches: list[_Search] = []
    unknown, reference = indexes.unknown, indexes.reference
    for item in specimens:
        if item.specimen.kind in PARENT_KINDS:
            hits = unknown.duo_search(item.profile, query_role="parent", **options)
            searches.append(_Search(item.specimen, "parent-child", hits, "child", len(unknown)))
    for c in couples:
        hits = unknown.couple_search(c.father, c.mother, **options)
        searches.append(_Search(c.query, "parents", hits, "child", len(unknown), c.couple))
    kin = {"top_k": TOP_K, "min_lr": KIN_MIN_LR}
    for item in specimens:
        relation = item.specimen.relation
        if item.specimen.kind == "relative" and relation in RELATIONS:
            hits = unknown.kinship_search(item.profile, relation, query_role="a", **kin)
            searches.append(_Search(item.specimen, relation, hits, "child", len(unknown)))
    for item in specimens:
        if item.specimen.kind in UNKNOWN_KINDS:
            hits = reference.duo_search(item.profile, **options)
            searches.append(_Search(item.specimen, "parent-child", hits, "parent", len(reference)))
            hits = reference.parents_search(item.profile, **options)
            searches.append(_Search(item.specimen, "parents", hits, "couple", reference.couples))
            for relation, relatives in indexes.relatives.items():
                if not len(relatives):
                    continue
                hits = relatives.kinship_search(item.profile, relation, query_role="b", **kin)
                searches.append(_Search(item.specimen, relation, hits, "relative", len(relatives)))
    for item in specimens:
        if item.specimen.kind in UNKNOWN_KINDS:
            stage.add(item.specimen, item.profile)
    matches: list[CandidateMatch] = []
    for search in searches:
        matches += _store(session, stage, search, now)
    return matches


def _resolve(session: Session, stage: Staged, keys: list[str], hit_is: str) -> dict[str, object]:
    """The active specimens or couples behind hit keys; others are dropped from the index."""
    if not keys:
        return {}
    model = Couple if hit_is == "couple" else Specimen
    rows: dict[str, object] = {
        row.public_id: row
        for row in session.execute(
            select(model).where(model.public_id.in_(keys), model.status == "active")
        ).scalars()
    }
    for key in keys:
        if key not in rows:
            stage.indexes.remove(key)  # gone from the database: a stale index entry
    return rows


def _store(session: Session, stage: Staged, search: _Search, now: datetime) -> list[CandidateMatch]:
    found = _resolve(session, stage, [h.key for h in search.hits], search.hit_is)
    used = stage.indexes.settings
    if search.relationship in RELATIONS:
        used = stage.indexes.unknown.pairwise_settings  # θ = 0 under mutation (kinship_lr)
    settings = json.dumps(used.to_dict(), sort_keys=True)
    stored = []
    for hit in search.hits:
        other = found.get(hit.key)
        if other is None:
            continue
        match = CandidateMatch(
            query=search.query,
            relationship=search.relationship,
            lr=hit.lr,
            log10_lr=hit.log10_lr,
            inconsistent_loci=hit.inconsistent_loci,
            loci_compared=hit.loci_compared,
            expected_false_hits=hit.expected_false_hits,
            rank=len(stored) + 1,
            match_class=match_class(hit.lr, hit.inconsistent_loci, search.relationship),
            engine_version=hit.engine_version,
            frequency_table=TABLE_NAME,
            settings=settings,
            indexed=search.size,
            created_at=now,
        )
        if search.hit_is == "child":
            match.child = other  # type: ignore[assignment]
            if search.couple is not None:
                match.couple = search.couple
            else:
                match.parent = search.query
        else:
            match.child = search.query
            if search.hit_is == "couple":
                match.couple = other  # type: ignore[assignment]
            else:
                match.parent = other  # type: ignore[assignment]
        session.add(match)
        stored.append(match)
    return stored


def settings_of(match: CandidateMatch) -> KinshipSettings:
    """The settings a stored match was computed with."""
    return KinshipSettings.from_dict(json.loads(match.settings))


def recompute(
    relationship: str,
    child: dict[str, str],
    parents: Sequence[dict[str, str]],
    table,  # type: ignore[no-untyped-def]
    settings: KinshipSettings,
) -> KinshipResult:
    """The LR with its per-locus breakdown (``duo_lr`` / ``parents_lr`` / ``kinship_lr``) for
    a stored match; for a relative, ``parents[0]`` is the relative (``a`` of ``kinship_lr``)."""
    if relationship in RELATIONS:
        return kinship_lr(relationship, parents[0], child, table, settings)
    if relationship == "parents":
        father, mother = parents
        return parents_lr(child, father, mother, table, settings)
    return duo_lr(child, parents[0], table, settings)
