"""Brute-force pedigree likelihood: the slow, obviously-correct reference for small cases.

Founders' genotypes are drawn jointly under Hardy–Weinberg (θ = 0) or the Balding–Nichols urn
(θ > 0); each child receives one allele from each parent (½ each), passed through the parent's
transmission matrix. Untyped people are summed out by enumerating every unordered genotype, so
the cost is (n(n+1)/2)^(untyped people): keep n and the pedigree small. Property tests compare the
fast paths in ``_parentage`` with this.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import product

import numpy as np


@dataclass(frozen=True)
class Person:
    name: str
    sex: str = "male"  # "male" or "female": chooses the transmission matrix
    father: str | None = None
    mother: str | None = None


def _founder_joint(genotypes: Sequence[tuple[int, int]], p: Sequence[float], theta: float) -> float:
    """Joint probability of the founders' unordered genotypes (exchangeable urn)."""
    n = len(p)
    seen = [0] * n
    total = 0
    prob = 1.0
    for i, j in genotypes:
        for a in (i, j):
            prob *= (theta * seen[a] + (1.0 - theta) * p[a]) / (1.0 + (total - 1) * theta)
            seen[a] += 1
            total += 1
        if i != j:
            prob *= 2.0
    return prob


def pedigree_likelihood(
    persons: Sequence[Person],
    genotypes: Mapping[str, tuple[int, int]],
    p: Sequence[float] | np.ndarray,
    male: np.ndarray | None = None,
    female: np.ndarray | None = None,
    theta: float = 0.0,
) -> float:
    """P(typed genotypes) for one locus. ``persons`` parents first; genotypes as allele indices."""
    pv = [float(x) for x in p]
    n = len(pv)
    mm = np.eye(n) if male is None else np.asarray(male)
    mf = mm if female is None else np.asarray(female)
    matrix = {"male": mm.tolist(), "female": mf.tolist()}
    by_name = {x.name: x for x in persons}
    founders = [x.name for x in persons if x.father is None and x.mother is None]
    children = [x for x in persons if x.father is not None]
    untyped = [x.name for x in persons if x.name not in genotypes]
    options = [(i, j) for i in range(n) for j in range(i, n)]
    total = 0.0
    for combo in product(options, repeat=len(untyped)):
        g = {k: tuple(sorted(v)) for k, v in genotypes.items()}
        g.update(zip(untyped, combo, strict=True))
        prob = _founder_joint([g[f] for f in founders], pv, theta)
        for child in children:
            if prob == 0.0:
                break
            vectors = []
            for parent in (child.father, child.mother):
                pg = g[parent]
                rows = matrix[by_name[parent].sex]
                vectors.append([0.5 * (rows[pg[0]][x] + rows[pg[1]][x]) for x in range(n)])
            u, v = vectors
            i, j = g[child.name]
            prob *= u[i] * v[i] if i == j else u[i] * v[j] + u[j] * v[i]
        total += prob
    return total


def _people(*specs: tuple[str, str, str | None, str | None]) -> list[Person]:
    return [Person(name, sex, father, mother) for name, sex, father, mother in specs]


#: The pedigrees behind each relationship (the typed people are named in ``TYPED``).
PEDIGREES: dict[str, list[Person]] = {
    "parent-child": _people(
        ("a", "male", None, None), ("w", "female", None, None), ("b", "male", "a", "w")
    ),
    "full-siblings": _people(
        ("f", "male", None, None),
        ("m", "female", None, None),
        ("a", "male", "f", "m"),
        ("b", "male", "f", "m"),
    ),
    "half-siblings": _people(
        ("f", "male", None, None),
        ("m1", "female", None, None),
        ("m2", "female", None, None),
        ("a", "male", "f", "m1"),
        ("b", "male", "f", "m2"),
    ),
    "grandparent": _people(
        ("a", "male", None, None),
        ("gm", "female", None, None),
        ("f", "male", "a", "gm"),
        ("w", "female", None, None),
        ("b", "male", "f", "w"),
    ),
    "avuncular": _people(
        ("gf", "male", None, None),
        ("gm", "female", None, None),
        ("a", "male", "gf", "gm"),
        ("f", "male", "gf", "gm"),
        ("w", "female", None, None),
        ("b", "male", "f", "w"),
    ),
    "first-cousins": _people(
        ("gf", "male", None, None),
        ("gm", "female", None, None),
        ("f1", "male", "gf", "gm"),
        ("f2", "male", "gf", "gm"),
        ("w1", "female", None, None),
        ("w2", "female", None, None),
        ("a", "male", "f1", "w1"),
        ("b", "male", "f2", "w2"),
    ),
}


def reference_pairwise_lr(
    relationship: str,
    a: tuple[int, int],
    b: tuple[int, int],
    p: Sequence[float] | np.ndarray,
    male: np.ndarray | None = None,
    female: np.ndarray | None = None,
    theta: float = 0.0,
) -> float:
    """L(relationship) / L(unrelated) for typed ``a`` and ``b`` by enumeration."""
    related = pedigree_likelihood(PEDIGREES[relationship], {"a": a, "b": b}, p, male, female, theta)
    unrelated = pedigree_likelihood(
        [Person("a"), Person("b")], {"a": a, "b": b}, p, male, female, theta
    )
    return related / unrelated
