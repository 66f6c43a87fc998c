"""Evidence levels of a candidate (证据等级), from its evidence and the reviewers' decisions.

- ``lead`` (线索): records only, or DNA below the parentage threshold (add loci or the other
  parent: Chinese practice's "in between" band).
- ``dna_supported`` (DNA支持): CPI ≥ 10,000 with at most 2 inconsistent loci. A match with
  another relative (full or half sibling, grandparent, uncle or aunt, first cousin: a pairwise
  kinship LR) is DNA-supported only with LR ≥ 10,000 **and** at most 0.01 unrelated profiles
  expected to score as high in the database searched; otherwise it stays a lead. Inconsistent
  loci never exclude a relative (siblings may share no allele at a locus).
- ``confirmed`` (已确认): the re-test agrees and an analyst signed.
- ``excluded`` (已排除): 3 or more inconsistent loci in any DNA comparison, or a reviewer
  rejected the candidate with a reason.

At database scale a CPI of 10,000 is not proof (see docs/kinship.md): the level says what the
evidence supports, the expected number of unrelated hits at that score is shown beside it, and
a person decides.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

CPI_SUPPORT = 10_000.0
#: Pairwise relatives (other than parents): LR and expected-false-hit bounds for dna_supported.
KINSHIP_SUPPORT = 10_000.0
KINSHIP_MAX_FALSE_HITS = 0.01
PAIRWISE = ("full-siblings", "half-siblings", "grandparent", "avuncular", "first-cousins")
MAX_INCONSISTENT_SUPPORT = 2
EXCLUDING_INCONSISTENT = 3
# Order of levels in a list: confirmed first, excluded last.
LEVEL_ORDER = {"confirmed": 3, "dna_supported": 2, "lead": 1, "excluded": 0}


@dataclass(frozen=True)
class DnaScore:
    """What a kinship comparison returned for one candidate."""

    lr: float
    inconsistent_loci: int
    relationship: str = "parent-child"
    expected_false_hits: float = 0.0

    @property
    def log10_lr(self) -> float:
        return math.log10(self.lr) if self.lr > 0 else -math.inf


def dna_level(score: DnaScore) -> str:
    """The level one DNA comparison supports on its own."""
    if score.relationship in PAIRWISE:
        if score.lr >= KINSHIP_SUPPORT and score.expected_false_hits <= KINSHIP_MAX_FALSE_HITS:
            return "dna_supported"
        return "lead"
    if score.inconsistent_loci >= EXCLUDING_INCONSISTENT:
        return "excluded"
    if score.lr >= CPI_SUPPORT and score.inconsistent_loci <= MAX_INCONSISTENT_SUPPORT:
        return "dna_supported"
    return "lead"


def retest_agrees(score: DnaScore) -> bool:
    """A re-test agrees when it supports parentage again on its own."""
    return dna_level(score) == "dna_supported"


def candidate_level(*, dna: Iterable[DnaScore], decision: str | None, retest: str | None) -> str:
    """The candidate's level from all of its DNA scores and the decisions taken on it."""
    if decision == "rejected":
        return "excluded"
    scores = list(dna)
    levels = {dna_level(s) for s in scores}
    if "excluded" in levels or retest == "disagrees":
        return "excluded"
    if decision == "confirmed":
        return "confirmed"
    if "dna_supported" in levels:
        return "dna_supported"
    return "lead"


def rank_score(level: str, *, log10_lr: float | None, match_weight: float | None) -> float:
    """A sort key: level first, then the DNA likelihood ratio, then the records' match weight."""
    dna = (
        0.0 if log10_lr is None or not math.isfinite(log10_lr) else max(-99.0, min(99.0, log10_lr))
    )
    records = 0.0 if match_weight is None else max(-99.0, min(99.0, match_weight))
    return LEVEL_ORDER[level] * 1e6 + dna * 1e3 + records
