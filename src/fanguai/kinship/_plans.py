"""Per-query lookup tables: the exact per-locus value of every genotype code of a locus.

A value is computed exactly as ``duo_lr`` / ``parents_lr`` compute it for one pair: the locus'
frequency vector is the table's alleles plus the off-table alleles of the people compared (at
the floor, renormalised under a mutation model, as ``FrequencyTable.vector`` does), and the
formulas are the shared elementwise ones of ``_parentage``. Under a mutation model the vector
(and so the value) depends on which off-table alleles the pair carries, so codes are grouped by
those alleles; without one, values do not depend on the vector's other alleles and one group
serves all.
"""

from __future__ import annotations

from collections import OrderedDict, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from fanguai.kinship._frequencies import FrequencyTable
from fanguai.kinship._index import LocusCoder
from fanguai.kinship._mutation import mutation_matrix
from fanguai.kinship._parentage import (
    KAPPA,
    PairwiseMatrices,
    duo_values,
    kappa_values,
    parents_values,
    pedigree_values,
)
from fanguai.kinship._scan import Luts
from fanguai.kinship._settings import KinshipSettings

Genotype = tuple[str, str]

#: What the stored profiles are, relative to the query, per kind of per-locus value.
#: ``parent-child``: the pair's parent transmits with the male rate; ``mother-child``: with the
#: female rate (a mother alone in a couple); ``parents``: father and mother both typed; the
#: pairwise relationships (``full-siblings``, …): a relative of the query (``kinship_lr``).
PAIRWISE = tuple(r for r in KAPPA if r != "parent-child")
KINDS = ("parent-child", "mother-child", "parents", *PAIRWISE)


@dataclass(frozen=True)
class Vector:
    alleles: list[str]
    position: dict[str, int]
    p: np.ndarray
    male: np.ndarray
    female: np.ndarray
    _positions: dict = field(default_factory=dict, compare=False, repr=False)

    def matrices(self) -> PairwiseMatrices:
        """The pedigree matrices of this vector (pairwise relationships with mutation)."""
        cached = self._positions.get("pairwise")
        if cached is None:
            cached = PairwiseMatrices(self.p, self.male, self.female)
            self._positions["pairwise"] = cached
        return cached

    def positions(self, coder: LocusCoder) -> np.ndarray:
        """Index allele code → position in this vector (−1 where absent, e.g. code 0's −1)."""
        n = len(coder.alleles)
        cached = self._positions.get(n)
        if cached is None:
            cached = np.array([self.position.get(a, -1) for a in coder.alleles] + [-1])
            self._positions[n] = cached
        return cached


class Vectors:
    """Frequency vectors and mutation matrices per (locus, off-table alleles), cached."""

    LIMIT = 1024

    def __init__(self, table: FrequencyTable, settings: KinshipSettings) -> None:
        self.table = table
        self.settings = settings
        self.mutation = settings.mutation_model != "none"
        self._cache: dict[tuple[str, frozenset[str]], Vector] = {}

    def get(self, locus: str, extra: frozenset[str]) -> Vector:
        key = (locus, extra)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        s = self.settings
        alleles, p = self.table.vector(locus, extra, s.floor, self.mutation)
        model = s.mutation_model
        vector = Vector(
            alleles=alleles,
            position={a: i for i, a in enumerate(alleles)},
            p=p,
            male=mutation_matrix(model, s.male_rate, alleles, p, locus),
            female=mutation_matrix(model, s.female_rate, alleles, p, locus),
        )
        if len(self._cache) >= self.LIMIT:
            self._cache.clear()
        self._cache[key] = vector
        return vector


def off_table(coder: LocusCoder, alleles: Sequence[str]) -> frozenset[str]:
    return frozenset(a for a in alleles if coder.index.get(a, coder.n_table) >= coder.n_table)


def groups(
    vectors: Vectors, coder: LocusCoder, query: Sequence[str], code_arrays: Sequence[np.ndarray]
) -> list[tuple[Vector, np.ndarray]]:
    """Split elements (positions in the code arrays) by the vector their values need."""
    n = len(code_arrays[0])
    base = off_table(coder, query)
    everything = np.arange(n)
    if not vectors.mutation:
        extra = base | frozenset(coder.alleles[coder.n_table :])
        return [(vectors.get(coder.locus, extra), everything)]
    others = [coder.index[a] for a in coder.alleles[coder.n_table :] if a not in base]
    if not others:
        return [(vectors.get(coder.locus, base), everything)]
    flagged = np.zeros(len(coder.alleles) + 1, bool)  # the last entry is code 0's −1
    flagged[others] = True
    special = np.zeros(n, bool)
    for codes in code_arrays:
        special |= flagged[coder.gi[codes]] | flagged[coder.gj[codes]]
    by_extra: dict[frozenset[str], list[int]] = defaultdict(list)
    for e in np.flatnonzero(special):
        extra = base.union(*(coder.off_table(int(codes[e])) for codes in code_arrays))
        by_extra[extra].append(int(e))
    result = [(vectors.get(coder.locus, base), np.flatnonzero(~special))]
    result += [(vectors.get(coder.locus, x), np.array(e)) for x, e in by_extra.items()]
    return result


def _alleles(vector: Vector, coder: LocusCoder, codes: np.ndarray):
    pos = vector.positions(coder)
    return pos[coder.gi[codes]], pos[coder.gj[codes]]


def duo_for_codes(
    vectors: Vectors, coder: LocusCoder, query: Genotype, codes: np.ndarray, kind: str, role: str
) -> np.ndarray:
    """Duo values of ``query`` against stored ``codes`` (all non-zero).

    ``role`` is the query's: ``child`` (stored people are parents) or ``parent`` (stored people
    are children). ``kind`` chooses the parent's matrix: ``parent-child`` (male) or
    ``mother-child`` (female).
    """
    theta = vectors.settings.theta
    out = np.empty(len(codes))
    for v, idx in groups(vectors, coder, query, [codes]):
        gi, gj = _alleles(v, coder, codes[idx])
        x, y = v.position[query[0]], v.position[query[1]]
        mp, mo = (v.male, v.female) if kind == "parent-child" else (v.female, v.male)
        if role == "child":
            out[idx] = duo_values(x, y, gi, gj, v.p, mp, mo, theta)
        else:
            out[idx] = duo_values(gi, gj, x, y, v.p, mp, mo, theta)
    return out


def parents_for_codes(
    vectors: Vectors,
    coder: LocusCoder,
    child: Genotype,
    fathers: np.ndarray,
    mothers: np.ndarray,
) -> np.ndarray:
    """Parents values of a query child against stored (father, mother) code pairs."""
    theta = vectors.settings.theta
    out = np.empty(len(fathers))
    for v, idx in groups(vectors, coder, child, [fathers, mothers]):
        fi, fj = _alleles(v, coder, fathers[idx])
        mi, mj = _alleles(v, coder, mothers[idx])
        x, y = v.position[child[0]], v.position[child[1]]
        out[idx] = parents_values(x, y, fi, fj, mi, mj, v.p, v.male, v.female, theta)
    return out


def children_of_couple(
    vectors: Vectors, coder: LocusCoder, father: Genotype, mother: Genotype, codes: np.ndarray
) -> np.ndarray:
    """Parents values of a query couple against stored children ``codes``."""
    theta = vectors.settings.theta
    out = np.empty(len(codes))
    for v, idx in groups(vectors, coder, [*father, *mother], [codes]):
        ci, cj = _alleles(v, coder, codes[idx])
        f = v.position[father[0]], v.position[father[1]]
        m = v.position[mother[0]], v.position[mother[1]]
        out[idx] = parents_values(ci, cj, *f, *m, v.p, v.male, v.female, theta)
    return out


def pairwise_for_codes(
    vectors: Vectors,
    coder: LocusCoder,
    query: Genotype,
    codes: np.ndarray,
    relationship: str,
    role: str,
) -> np.ndarray:
    """Pairwise kinship values (``kinship_lr``) of ``query`` against stored ``codes``.

    ``role`` is the query's in ``kinship_lr(relationship, a, b)``: ``a`` (the stored people
    are ``b``) or ``b``. Without a mutation model the κ formula (θ-corrected), with one the
    pedigree likelihood (θ = 0), exactly as ``compute_lr`` chooses.
    """
    theta = vectors.settings.theta
    out = np.empty(len(codes))
    for v, idx in groups(vectors, coder, query, [codes]):
        gi, gj = _alleles(v, coder, codes[idx])
        x, y = v.position[query[0]], v.position[query[1]]
        a, b = ((x, y), (gi, gj)) if role == "a" else ((gi, gj), (x, y))
        if vectors.mutation:
            out[idx] = pedigree_values(relationship, *a, *b, v.p, v.matrices())
        else:
            out[idx] = kappa_values(relationship, *a, *b, v.p, theta)
    return out


def has_allele(coder: LocusCoder, codes: np.ndarray, allele: str) -> np.ndarray:
    a = coder.index.get(allele, -2)  # −2: matches no code (code 0 carries −1)
    return (coder.gi[codes] == a) | (coder.gj[codes] == a)


def shares(coder: LocusCoder, codes: np.ndarray, genotype: Genotype) -> np.ndarray:
    return has_allele(coder, codes, genotype[0]) | has_allele(coder, codes, genotype[1])


def can_form(
    coder: LocusCoder, child: Genotype, father: np.ndarray, mother: np.ndarray
) -> np.ndarray:
    """Mendelian compatibility of a child genotype with (father, mother) code pairs."""
    a, b = child
    fa, fb = has_allele(coder, father, a), has_allele(coder, father, b)
    ma, mb = has_allele(coder, mother, a), has_allele(coder, mother, b)
    return (fa & mb) | (fb & ma)


def child_formable(
    coder: LocusCoder, codes: np.ndarray, father: Genotype, mother: Genotype
) -> np.ndarray:
    """Can each stored child code get one allele from ``father`` and one from ``mother``?"""
    n = len(coder.alleles) + 1
    in_f = np.zeros(n, bool)
    in_m = np.zeros(n, bool)
    for allele in father:
        if allele in coder.index:
            in_f[coder.index[allele]] = True
    for allele in mother:
        if allele in coder.index:
            in_m[coder.index[allele]] = True
    gi, gj = coder.gi[codes], coder.gj[codes]
    return (in_f[gi] & in_m[gj]) | (in_f[gj] & in_m[gi])


@dataclass(frozen=True)
class ColumnTable:
    """One column of a query's tables: a value and an inconsistency per code (code 0: not
    typed, value 1, consistent), the kind of value, and the probability that an unrelated
    person is inconsistent there (the kernel visits the most excluding columns first)."""

    values: np.ndarray  # float64
    inconsistent: np.ndarray  # uint8
    kind: str
    exclusion: float
    alleles: tuple[int, int, int, int]  # stored bytes of F and M for the kernel's test
    wildcard: bool  # M is any allele


@dataclass
class Plan:
    """One query's exact tables, by column (only the columns the query types)."""

    tables: dict[int, ColumnTable]

    @property
    def columns(self) -> list[int]:
        return sorted(self.tables)


class TableCache:
    """Column tables by (column, query genotypes, role, allele-dictionary size): a table
    depends on nothing else for a given index, so queries sharing a genotype share it."""

    def __init__(self, limit: int = 20_000) -> None:
        self.limit = limit
        self._entries: OrderedDict[tuple, ColumnTable] = OrderedDict()

    def get(self, key: tuple, build) -> ColumnTable:
        hit = self._entries.get(key)
        if hit is not None:
            self._entries.move_to_end(key)
            return hit
        table = build()
        self._entries[key] = table
        if len(self._entries) > self.limit:
            self._entries.popitem(last=False)
        return table


def _column(
    coder: LocusCoder,
    values: np.ndarray,
    bad: np.ndarray,
    kind: str,
    f: Genotype,
    m: Genotype | None = None,
) -> ColumnTable:
    """A column table; the kernel's consistency test: one allele in ``f``, the other in ``m``
    (any allele when ``m`` is None)."""
    inconsistent = np.concatenate([[0], bad]).astype(np.uint8)
    exclusion = float(inconsistent @ coder.weights())
    stored = [coder.stored(a) for a in (*f, *(m or ("", "")))]
    return ColumnTable(
        np.concatenate([[1.0], values]), inconsistent, kind, exclusion, tuple(stored), m is None
    )


def duo_plan(
    vectors: Vectors,
    coders: list[LocusCoder],
    query: dict[int, Genotype],
    role: str,
    cache: TableCache,
) -> Plan:
    def build(coder: LocusCoder, genotype: Genotype) -> ColumnTable:
        codes = np.arange(1, coder.size)
        values = duo_for_codes(vectors, coder, genotype, codes, "parent-child", role)
        return _column(coder, values, ~shares(coder, codes, genotype), "parent-child", genotype)

    tables = {}
    for col, genotype in query.items():
        coder = coders[col]
        key = ("duo", col, genotype, role, coder.size)
        tables[col] = cache.get(key, lambda c=coder, g=genotype: build(c, g))
    return Plan(tables)


def couple_plan(
    vectors: Vectors,
    coders: list[LocusCoder],
    father: dict[int, Genotype],
    mother: dict[int, Genotype],
    cache: TableCache,
) -> Plan:
    """A couple as the query, stored profiles as their possible child."""

    def build(coder: LocusCoder, f: Genotype | None, m: Genotype | None) -> ColumnTable:
        codes = np.arange(1, coder.size)
        if f is not None and m is not None:
            values = children_of_couple(vectors, coder, f, m, codes)
            return _column(coder, values, ~child_formable(coder, codes, f, m), "parents", f, m)
        kind = "parent-child" if f is not None else "mother-child"
        parent = f if f is not None else m
        values = duo_for_codes(vectors, coder, parent, codes, kind, "parent")
        return _column(coder, values, ~shares(coder, codes, parent), kind, parent)

    tables = {}
    for col in set(father) | set(mother):
        coder, f, m = coders[col], father.get(col), mother.get(col)
        key = ("couple", col, f, m, coder.size)
        tables[col] = cache.get(key, lambda c=coder, f=f, m=m: build(c, f, m))
    return Plan(tables)


def pairwise_plan(
    vectors: Vectors,
    coders: list[LocusCoder],
    query: dict[int, Genotype],
    relationship: str,
    role: str,
    cache: TableCache,
) -> Plan:
    """A pairwise relative search: no locus is inconsistent (relatives may share nothing)."""

    def build(coder: LocusCoder, genotype: Genotype) -> ColumnTable:
        codes = np.arange(1, coder.size)
        values = pairwise_for_codes(vectors, coder, genotype, codes, relationship, role)
        inconsistent = np.zeros(coder.size, np.uint8)
        return ColumnTable(
            np.concatenate([[1.0], values]), inconsistent, relationship, 0.0, (0, 0, 0, 0), True
        )

    tables = {}
    for col, genotype in query.items():
        coder = coders[col]
        key = ("pairwise", relationship, col, genotype, role, coder.size)
        tables[col] = cache.get(key, lambda c=coder, g=genotype: build(c, g))
    return Plan(tables)


def build_luts(coders: list[LocusCoder], plans: Sequence[Plan]) -> Luts:
    """Stack the plans' tables for the kernel (float32 log10 values, uint8 flags), each query's
    columns ordered most excluding first."""
    sizes = np.array([c.size for c in coders], np.int64)
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    total = int(sizes.sum())
    shape = (len(plans), total)
    score = np.zeros(shape, np.float32)
    inconsistent = np.zeros(shape, np.uint8)
    compared = np.zeros(shape, np.uint8)
    order = np.zeros((len(plans), len(coders)), np.int64)
    exclusion = np.zeros((len(plans), len(coders)))
    alleles = np.zeros((len(plans), len(coders), 4), np.uint8)
    wildcard = np.zeros((len(plans), len(coders)), np.bool_)
    active = np.zeros(len(plans), np.int64)
    with np.errstate(divide="ignore"):
        for q, plan in enumerate(plans):
            for col, table in plan.tables.items():
                start, stop = offsets[col], offsets[col] + sizes[col]
                score[q, start:stop] = np.log10(table.values)
                inconsistent[q, start:stop] = table.inconsistent
                compared[q, start + 1 : stop] = 1
                alleles[q, col] = table.alleles
                wildcard[q, col] = table.wildcard
            ranked = sorted(plan.tables, key=lambda c: (-plan.tables[c].exclusion, c))
            order[q, : len(ranked)] = ranked
            exclusion[q, : len(ranked)] = [plan.tables[c].exclusion for c in ranked]
            active[q] = len(ranked)
    return Luts(offsets, order, active, exclusion, alleles, wildcard, score, inconsistent, compared)
