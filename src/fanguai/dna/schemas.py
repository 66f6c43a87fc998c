"""API shapes of the DNA store. Matches name specimens only: IDs, LRs and the match class."""

from __future__ import annotations

import json
import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from fanguai.dna.models import CandidateMatch, Couple, Retest, RevealGrant, Specimen


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ImportCreate(_Strict):
    """A lab file to import (the CSV text in the body, never in a URL)."""

    layout: Literal["long", "wide"]
    csv: str = Field(min_length=1, max_length=4_000_000)
    kit: str = Field(min_length=1, max_length=60)
    lab: str | None = Field(None, max_length=80)


class SpecimenCreate(_Strict):
    """One typed specimen."""

    kind: str = Field(min_length=1, max_length=16)
    profile: dict[str, str | list[str]]
    kit: str = Field(min_length=1, max_length=60)
    lab: str | None = Field(None, max_length=80)
    lab_ref: str | None = Field(None, max_length=40)
    couple_with: str | None = Field(None, max_length=36)
    # kind ``relative`` only: relation to the missing child (full-siblings, half-siblings,
    # grandparent, avuncular, first-cousins, or a Chinese name such as 全同胞)
    relation: str | None = Field(None, max_length=20)


class ReasonBody(_Strict):
    reason: str = Field(min_length=4, max_length=500)


class RetestCreate(_Strict):
    """A fresh sample's profile; ``specimen``: which specimen of the match it is from."""

    profile: dict[str, str | list[str]]
    specimen: str | None = Field(None, max_length=36)


class SpecimenRead(BaseModel):
    id: str
    kind: str
    side: str
    kit: str
    lab: str
    lab_ref: str
    status: str
    loci: int | None = None
    created_at: str
    relation: str | None = None  # a relative's relation to the missing child


class SpecimenPage(BaseModel):
    items: list[SpecimenRead]
    total: int


class SpecimenDetail(SpecimenRead):
    profile: dict[str, str] | None  # None once shredded
    couples: list[str]


class MatchRead(BaseModel):
    """A candidate match: specimen IDs, LR and class (never a person)."""

    id: str
    relationship: str
    child: str
    parents: list[str]
    couple: str | None
    query: str
    lr: float
    log10_lr: float
    inconsistent_loci: int
    loci_compared: int
    expected_false_hits: float
    rank: int
    match_class: str
    engine_version: str
    frequency_table: str
    settings: dict[str, Any]
    status: str
    created_at: str


class LocusRead(BaseModel):
    locus: str
    lr: float
    consistent: bool
    informative: bool
    genotypes: dict[str, str | None]


class MatchDetailRead(MatchRead):
    loci: list[LocusRead]
    recomputed_lr: float
    recomputed_log10_lr: float | None


class NoticeRead(BaseModel):
    locus: str
    code: str  # no_frequencies: stored, not searched
    message: str


class ImportRead(BaseModel):
    id: str
    specimens: dict[str, str]  # lab number → specimen ID
    matches: int
    notices: list[NoticeRead] = []


class RetestRead(BaseModel):
    id: str
    match: str
    specimen: str
    lr: float
    log10_lr: float | None
    inconsistent_loci: int
    match_class: str
    agrees: bool
    discordant_loci: int
    engine_version: str
    created_at: str


class GrantRead(BaseModel):
    id: str
    specimen: str
    reason: str
    status: str
    expires_at: str | None


class LinkRead(BaseModel):
    specimen: str
    subject_type: str
    subject_id: str
    relation: str


def specimen_read(specimen: Specimen, loci: int | None = None) -> SpecimenRead:
    return SpecimenRead(
        id=specimen.public_id,
        kind=specimen.kind,
        side=specimen.side,
        kit=specimen.kit,
        lab=specimen.lab,
        lab_ref=specimen.lab_ref,
        status=specimen.status,
        loci=loci,
        created_at=specimen.created_at.isoformat(),
        relation=specimen.relation,
    )


def _parents(match: CandidateMatch) -> tuple[list[str], Couple | None]:
    if match.couple is not None:
        return [match.couple.father.public_id, match.couple.mother.public_id], match.couple
    return [match.parent.public_id] if match.parent else [], None


def match_read(match: CandidateMatch) -> dict[str, Any]:
    """A match as the API shows it: specimen IDs, LR, class, provenance."""
    parents, couple = _parents(match)
    return {
        "id": match.public_id,
        "relationship": match.relationship,
        "child": match.child.public_id,
        "parents": parents,
        "couple": couple.public_id if couple else None,
        "query": match.query.public_id,
        "lr": match.lr,
        "log10_lr": match.log10_lr,
        "inconsistent_loci": match.inconsistent_loci,
        "loci_compared": match.loci_compared,
        "expected_false_hits": match.expected_false_hits,
        "rank": match.rank,
        "match_class": match.match_class,
        "engine_version": match.engine_version,
        "frequency_table": match.frequency_table,
        "settings": json.loads(match.settings),
        "status": match.status,
        "created_at": match.created_at.isoformat(),
    }


def retest_read(row: Retest, match: CandidateMatch, specimen: Specimen) -> RetestRead:
    return RetestRead(
        id=row.public_id,
        match=match.public_id,
        specimen=specimen.public_id,
        lr=row.lr,
        log10_lr=row.log10_lr,
        inconsistent_loci=row.inconsistent_loci,
        match_class=row.match_class,
        agrees=row.agrees,
        discordant_loci=row.discordant_loci,
        engine_version=row.engine_version,
        created_at=row.created_at.isoformat(),
    )


def grant_read(grant: RevealGrant) -> GrantRead:
    return GrantRead(
        id=grant.public_id,
        specimen=grant.specimen.public_id,
        reason=grant.reason,
        status=grant.status,
        expires_at=grant.expires_at.isoformat() if grant.expires_at else None,
    )


def finite(value: float) -> float | None:
    """JSON has no infinity: None for an LR of 0's log."""
    return value if math.isfinite(value) else None
