"""Mutation (transmission) matrices and the AABB μ/A shortcut.

``M[i, j]`` is the probability that a parental allele ``i`` reaches the child as ``j``; every row
sums to 1. The Mendelian ½ (which of the parent's two alleles is passed on) is applied separately.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from fanguai.kinship._loci import allele_number
from fanguai.kinship.errors import InvalidSettings


def mutation_matrix(
    model: str, rate: float, alleles: Sequence[str], p: np.ndarray, locus: str = "?"
) -> np.ndarray:
    """The transmission matrix of ``model`` at one locus (``p`` must sum to 1 for proportional).

    - ``none``: identity.
    - ``equal``: ``M_ii = 1 − r``, ``M_ij = r/(n−1)`` (identity when ``n = 1``).
    - ``proportional``: ``(1−a)·I + a·1·pᵀ``, ``a = r / Σ p_i(1−p_i)``; needs
      ``r ≤ (1−Σp²)/(1−min p)`` (else ``InvalidSettings`` naming the locus).
    - ``stepwise`` (GB/T 37223 practice): ``M_ij = ½·r·0.1^(s−1)`` for an integer step distance
      ``s = |i−j| ≥ 1`` (½ for up/down; the Mendelian ½ is applied outside, giving the
      practice's 0.5·μ·0.5·0.1^(s−1) per parental allele). Alleles whose difference is not a
      whole number of repeats (9.3 vs 10) never mutate into each other. Rows are normalised by
      putting the remainder on the diagonal, ``M_ii = 1 − Σ_{j≠i} M_ij``.
    """
    n = len(alleles)
    if model == "none" or rate == 0.0 or n == 1:
        return np.eye(n)
    if model == "equal":
        m = np.full((n, n), rate / (n - 1))
        np.fill_diagonal(m, 1.0 - rate)
        return m
    if model == "proportional":
        heterozygosity = float(np.sum(p * (1.0 - p)))
        bound = (1.0 - float(np.sum(p * p))) / (1.0 - float(p.min()))
        if rate > bound * (1 + 1e-12):
            raise InvalidSettings(
                f"locus {locus}: proportional mutation rate {rate} exceeds the model's bound "
                f"{bound:.6g} for this locus' frequencies"
            )
        a = rate / heterozygosity
        return (1.0 - a) * np.eye(n) + a * np.outer(np.ones(n), p)
    if model == "stepwise":
        x = np.array([allele_number(a) for a in alleles])
        d = np.abs(x[:, None] - x[None, :])
        steps = np.rint(d)
        whole = (np.abs(d - steps) < 1e-9) & (steps >= 1)
        m = np.where(whole, 0.5 * rate * 0.1 ** np.maximum(steps - 1, 0), 0.0)
        diagonal = 1.0 - m.sum(axis=1)
        if np.any(diagonal < 0):
            raise InvalidSettings(f"locus {locus}: stepwise mutation rate {rate} is too large")
        np.fill_diagonal(m, diagonal)
        return m
    raise InvalidSettings(f"unknown mutation model {model!r}")


def exclusion_power(p: np.ndarray) -> float:
    """Motherless mean exclusion power A = Σ p_i²(1−p_i)² + Σ_{i<j} 2 p_i p_j (1−p_i−p_j)²."""
    p = np.asarray(p, dtype=float)
    single = float(np.sum(p**2 * (1 - p) ** 2))
    pair = 2 * np.outer(p, p) * (1 - p[:, None] - p[None, :]) ** 2
    return single + float(np.sum(np.triu(pair, k=1)))


def aabb_mutation_pi(rate: float, p: Sequence[float] | np.ndarray) -> float:
    """AABB shortcut for one inconsistent locus in a duo: PI = μ / A."""
    if not 0 < rate <= 1:
        raise InvalidSettings(f"setting 'rate' must be above 0 and at most 1, got {rate!r}")
    return rate / exclusion_power(np.asarray(p, dtype=float))
