"""Expected false hits: how many unrelated profiles score at least a given LR.

Model: the query and the stored people are unrelated, each drawn from the table's frequencies
(normalised to sum to 1) under Hardy–Weinberg, loci independent. At one locus the index of such
a pair takes few values: the per-locus distribution is the exact list of (value, probability)
over every genotype combination, with the values computed by the engine's own formulas and
settings (θ, mutation, floor). Loci are combined by convolution:

- exactly (every combination of per-locus values enumerated) when there are at most
  ``EXACT_LIMIT`` combinations;
- otherwise on a grid of ``GRID`` in log10 units, each per-locus log10 value rounded *up* to the
  grid and values below ``LOW`` raised to it. The combined score is then never below the true
  one, so the tail probability (and the expected count) is an upper bound, above the exact one
  by at most the probability of the scores within ``loci · GRID`` below the threshold.

For ``parents`` at loci with many alleles under stepwise mutation the (father, mother) classes
would number in the hundreds of thousands per child genotype; there the transmission
probabilities are rounded up by at most a quarter grid step (and raised to ``FEATURE_FLOOR``),
which again only raises values, and the locus is binned at once.

``expected = database_size · P(log10 LR ≥ log10_lr − 1e-9)``.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from fanguai.kinship._frequencies import FrequencyTable, as_table
from fanguai.kinship._loci import normalise_locus
from fanguai.kinship._mutation import mutation_matrix
from fanguai.kinship._parentage import (
    KAPPA,
    PairwiseMatrices,
    duo_values,
    kappa_values,
    parents_values,
    pedigree_values,
)
from fanguai.kinship._settings import KinshipSettings
from fanguai.kinship.errors import InvalidCase, InvalidSettings

GRID = 1e-3
LOW = -8.0
EXACT_LIMIT = 200_000
TOLERANCE = 1e-9
SURVIVAL_CACHE = 64
CHUNK = 64
PAIR_BUDGET = 20_000  # (father class × mother class) pairs per child genotype, listed exactly
FEATURE_FLOOR = 1e-15

PAIRWISE = tuple(r for r in KAPPA if r != "parent-child")
RELATIONSHIPS = {"parent-child": "parent-child", "parents": "parents", **{r: r for r in PAIRWISE}}


@dataclass(frozen=True)
class LocusDistribution:
    """Distinct positive per-locus values (log10) and their probabilities; ``zero``: P(LR=0).

    ``bins``: set when the locus was binned onto the grid directly (values rounded up), which
    rules out the exact combination.
    """

    log10: np.ndarray
    weight: np.ndarray
    zero: float
    bins: np.ndarray | None = None

    def grid_bins(self) -> np.ndarray:
        if self.bins is not None:
            return self.bins
        return np.ceil(np.maximum(self.log10, LOW) / GRID).astype(np.int64)


def _genotypes(n: int) -> tuple[np.ndarray, np.ndarray]:
    gj, gi = np.tril_indices(n)
    return gi, gj


def _merge(values: np.ndarray, weights: np.ndarray) -> LocusDistribution:
    zero = float(weights[values == 0].sum())
    positive = values > 0
    distinct, inverse = np.unique(values[positive], return_inverse=True)
    weight = np.bincount(inverse, weights=weights[positive], minlength=len(distinct))
    return LocusDistribution(np.log10(distinct), weight, zero)


def _locus_setup(table: FrequencyTable, settings: KinshipSettings, locus: str):
    mutation = settings.mutation_model != "none"
    alleles, p = table.vector(locus, (), settings.floor, mutation)
    model = settings.mutation_model
    mm = mutation_matrix(model, settings.male_rate, alleles, p, locus)
    mf = mutation_matrix(model, settings.female_rate, alleles, p, locus)
    q = p / p.sum()
    gi, gj = _genotypes(len(p))
    w = q[gi] * q[gj] * np.where(gi == gj, 1.0, 2.0)
    return p, mm, mf, gi, gj, w


def _duo_distribution(table, settings, locus, kind) -> LocusDistribution:
    p, mm, mf, gi, gj, w = _locus_setup(table, settings, locus)
    mp, mo = (mm, mf) if kind == "parent-child" else (mf, mm)
    values, weights = [], []
    for start in range(0, len(gi), CHUNK):
        ci, cj, wc = gi[start : start + CHUNK], gj[start : start + CHUNK], w[start : start + CHUNK]
        v = duo_values(ci[:, None], cj[:, None], gi[None, :], gj[None, :], p, mp, mo,
                       settings.theta)  # fmt: skip
        values.append(v.ravel())
        weights.append((wc[:, None] * w[None, :]).ravel())
    return _merge(np.concatenate(values), np.concatenate(weights))


def _pairwise_distribution(table, settings, locus, relationship) -> LocusDistribution:
    """Every pair of unrelated genotypes (a, b) with the values ``kinship_lr`` gives them: the
    κ formula without a mutation model, the pedigree likelihood (θ = 0) with one."""
    p, mm, mf, gi, gj, w = _locus_setup(table, settings, locus)
    mats = PairwiseMatrices(p, mm, mf) if settings.mutation_model != "none" else None
    values, weights = [], []
    for start in range(0, len(gi), CHUNK):
        ai, aj, wa = gi[start : start + CHUNK], gj[start : start + CHUNK], w[start : start + CHUNK]
        a = (ai[:, None], aj[:, None])
        b = (gi[None, :], gj[None, :])
        if mats is None:
            v = kappa_values(relationship, *a, *b, p, settings.theta)
        else:
            v = pedigree_values(relationship, *a, *b, p, mats)
        values.append(np.broadcast_to(v, (len(ai), len(gi))).ravel())
        weights.append((wa[:, None] * w[None, :]).ravel())
    return _merge(np.concatenate(values), np.concatenate(weights))


def _classes(features: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Genotypes with equal features give equal values: one representative each, weights summed."""
    _, first, inverse = np.unique(features, axis=0, return_index=True, return_inverse=True)
    return first, np.bincount(inverse.ravel(), weights=w, minlength=len(first))


def _round_up(u: np.ndarray) -> np.ndarray:
    """Transmission probabilities rounded up onto a log grid (a quarter of ``GRID``), at least
    ``FEATURE_FLOOR``; zeros stay zero. Only raises parents values: the tail stays an upper
    bound."""
    step = GRID / 4
    up = 10.0 ** (np.ceil(np.log10(np.maximum(u, FEATURE_FLOOR)) / step) * step)
    return np.where(u > 0, up, 0.0)


def _side(m: np.ndarray, gi, gj, a, b, coarse: bool) -> np.ndarray:
    """What a parent's genotype contributes to a child (a, b): transmission of a and b (through
    ``m``), copies of a and b (θ)."""
    ua, ub = 0.5 * (m[gi, a] + m[gj, a]), 0.5 * (m[gi, b] + m[gj, b])
    if coarse:
        ua, ub = _round_up(ua), _round_up(ub)
    copies_a = (gi == a).astype(float) + (gj == a)
    copies_b = (gi == b).astype(float) + (gj == b)
    return np.stack([ua, ub, copies_a, copies_b], axis=1)


def _parents_values(features_f, features_m, a, b, p, theta) -> np.ndarray:
    """``parents_values`` from class features (for the rounded-up classes)."""
    ufa, ufb, cfa, cfb = (features_f[:, k][:, None] for k in range(4))
    uma, umb, cma, cmb = (features_m[:, k][None, :] for k in range(4))
    hom = a == b
    numerator = ufa * uma if hom else ufa * umb + ufb * uma
    first = (theta * (cfa + cma) + (1.0 - theta) * p[a]) / (1.0 + 3.0 * theta)
    second = (theta * (cfb + cmb + hom) + (1.0 - theta) * p[b]) / (1.0 + 4.0 * theta)
    return numerator / (first * second * (1.0 if hom else 2.0))


def _parents_distribution(table, settings, locus) -> LocusDistribution:
    """Every child genotype against every (father, mother) class. Exact while the classes are
    few; beyond ``PAIR_BUDGET`` pairs per child (many alleles under stepwise mutation), the
    classes are rounded up (``_round_up``) and the locus is binned onto the grid at once."""
    p, mm, mf, gi, gj, w = _locus_setup(table, settings, locus)
    probe = np.linspace(0, len(gi) - 1, 5).astype(int)  # a few child genotypes, to decide
    pairs = [
        math.prod(len(_classes(_side(m, gi, gj, gi[c], gj[c], False), w)[0]) for m in (mm, mf))
        for c in probe
    ]
    coarse = max(pairs) > PAIR_BUDGET
    values, weights = [], []
    histogram = _Histogram()
    for a, b, wc in zip(gi, gj, w, strict=True):
        ff, fm = _side(mm, gi, gj, a, b, coarse), _side(mf, gi, gj, a, b, coarse)
        (rf, wf), (rm, wm) = _classes(ff, w), _classes(fm, w)
        weight = (wc * wf[:, None] * wm[None, :]).ravel()
        if coarse:
            histogram.add(_parents_values(ff[rf], fm[rm], a, b, p, settings.theta).ravel(), weight)
            continue
        v = parents_values(a, b, gi[rf][:, None], gj[rf][:, None], gi[rm][None, :],
                           gj[rm][None, :], p, mm, mf, settings.theta)  # fmt: skip
        values.append(v.ravel())
        weights.append(weight)
    if coarse:
        return histogram.distribution()
    return _merge(np.concatenate(values), np.concatenate(weights))


class _Histogram:
    """Per-locus values binned onto the grid (rounded up), for loci too large to list."""

    def __init__(self) -> None:
        self.low = 0
        self.counts = np.zeros(0)
        self.zero = 0.0

    def add(self, values: np.ndarray, weights: np.ndarray) -> None:
        self.zero += float(weights[values == 0].sum())
        positive = values > 0
        bins = np.ceil(np.maximum(np.log10(values[positive]), LOW) / GRID).astype(np.int64)
        if not len(bins):
            return
        low = min(int(bins.min()), self.low) if len(self.counts) else int(bins.min())
        high = max(int(bins.max()) + 1, self.low + len(self.counts))
        if low != self.low or high - low != len(self.counts):
            grown = np.zeros(high - low)
            grown[self.low - low : self.low - low + len(self.counts)] = self.counts
            self.low, self.counts = low, grown
        self.counts += np.bincount(bins - low, weights=weights[positive], minlength=high - low)

    def distribution(self) -> LocusDistribution:
        bins = np.flatnonzero(self.counts)
        return LocusDistribution(
            (bins + self.low) * GRID, self.counts[bins], self.zero, bins + self.low
        )


def locus_distribution(
    table: FrequencyTable, settings: KinshipSettings, locus: str, kind: str
) -> LocusDistribution:
    """Cached per (settings, locus, kind) in the table's cache."""
    key = ("false-hits", settings, locus, kind)
    hit = table._cache.get(key)
    if hit is None:
        if kind == "parents":
            hit = _parents_distribution(table, settings, locus)
        elif kind in PAIRWISE:
            hit = _pairwise_distribution(table, settings, locus, kind)
        else:
            hit = _duo_distribution(table, settings, locus, kind)
        table._cache[key] = hit
    return hit


@dataclass(frozen=True)
class _Exact:
    log10: np.ndarray
    weight: np.ndarray

    def tail(self, x: float) -> float:
        return float(self.weight[self.log10 >= x - TOLERANCE].sum())


@dataclass(frozen=True)
class _Grid:
    low: int  # grid index of survival[0]
    survival: np.ndarray  # P(score index ≥ low + i)

    def tail(self, x: float) -> float:
        i = math.ceil((x - TOLERANCE) / GRID) - self.low
        if i <= 0:
            return float(self.survival[0])
        return float(self.survival[i]) if i < len(self.survival) else 0.0


def _exact(dists: Sequence[LocusDistribution]) -> _Exact:
    total, weight = np.zeros(1), np.ones(1)
    for d in dists:
        total = (total[:, None] + d.log10[None, :]).ravel()
        weight = (weight[:, None] * d.weight[None, :]).ravel()
    return _Exact(total, weight)


def _grid(dists: Sequence[LocusDistribution]) -> _Grid:
    hists, low = [], 0
    for d in dists:
        k = d.grid_bins()
        lo = int(k.min()) if len(k) else 0
        hists.append(np.bincount(k - lo, weights=d.weight) if len(k) else np.zeros(1))
        low += lo
    length = sum(len(h) - 1 for h in hists) + 1
    size = 1 << max(1, (length - 1).bit_length())
    spectrum = np.ones(size // 2 + 1, complex)
    for h in hists:
        spectrum *= np.fft.rfft(h, size)
    density = np.clip(np.fft.irfft(spectrum, size)[:length], 0.0, None)
    survival = np.cumsum(density[::-1])[::-1]
    return _Grid(low, survival)


def tail_probability(
    table: FrequencyTable,
    settings: KinshipSettings,
    parts: Sequence[tuple[str, str]],
    log10_lr: float,
    exact_limit: int = EXACT_LIMIT,
) -> float:
    """P(an unrelated pair scores log10 LR ≥ ``log10_lr``) over ``parts`` = (kind, locus)."""
    if math.isnan(log10_lr):
        raise InvalidSettings("log10_lr must be a number")
    if log10_lr == -math.inf:
        return 1.0
    return tail_model(table, settings, parts, exact_limit).tail(log10_lr)


def tail_model(
    table: FrequencyTable,
    settings: KinshipSettings,
    parts: Sequence[tuple[str, str]],
    exact_limit: int = EXACT_LIMIT,
) -> _Exact | _Grid:
    """The combined distribution over ``parts`` (cached per table, settings and parts)."""
    parts = tuple(sorted(parts, key=lambda part: part[1]))
    cache = table._cache.setdefault(("false-hits-survival", settings), OrderedDict())
    key = (parts, exact_limit)
    model = cache.get(key)
    if model is None:
        dists = [locus_distribution(table, settings, locus, kind) for kind, locus in parts]
        combinations = math.prod(len(d.log10) for d in dists)
        exact = combinations <= exact_limit and all(d.bins is None for d in dists)
        model = _exact(dists) if exact else _grid(dists)
        cache[key] = model
        if len(cache) > SURVIVAL_CACHE:
            cache.popitem(last=False)
    else:
        cache.move_to_end(key)
    return model


def expected_false_hits(
    table,
    settings: KinshipSettings | None,
    loci: Sequence[str],
    log10_lr: float,
    database_size: int,
    relationship: str = "parent-child",
) -> float:
    """Expected number of unrelated profiles in a database of ``database_size`` scoring at least
    ``log10_lr`` over ``loci`` (``parent-child``: one person against the query; ``parents``: a
    couple against a child; a pairwise relationship such as ``full-siblings``: one person, with
    ``kinship_lr``'s values). Exact from the frequency table; see the module docstring."""
    table = as_table(table)
    settings = settings or KinshipSettings()
    if relationship not in RELATIONSHIPS:
        raise InvalidCase(
            f"expected false hits: unknown relationship {relationship!r} "
            f"(one of {', '.join(RELATIONSHIPS)})"
        )
    if isinstance(database_size, bool) or not isinstance(database_size, int) or database_size < 0:
        raise InvalidSettings(
            f"database_size must be a whole number of at least 0, got {database_size!r}"
        )
    if isinstance(log10_lr, bool) or not isinstance(log10_lr, int | float):
        raise InvalidSettings(f"log10_lr must be a number, got {log10_lr!r}")
    names = [normalise_locus(x) for x in loci]
    if len(set(names)) != len(names):
        raise InvalidCase("expected false hits: a locus is listed twice")
    for name in names:
        table.locus_frequencies(name)  # MissingFrequencies naming the locus
    parts = [(relationship, name) for name in names]
    return database_size * tail_probability(table, settings, parts, float(log10_lr))
