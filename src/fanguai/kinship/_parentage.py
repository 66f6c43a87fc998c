"""Per-locus likelihood ratios (the fast paths). Genotypes are pairs of allele indices.

``p`` is the locus' frequency vector, ``mm``/``mf`` the male/female transmission matrices
(identity without a mutation model), ``theta`` the Balding–Nichols coefficient. Every function
returns P(data | related) / P(data | unrelated) for one locus; ``_pedigree`` is the slow
reference these are tested against.
"""

from __future__ import annotations

import numpy as np

Genotype = tuple[int, int]

#: κ = (κ0, κ1, κ2) of the pairwise relationships (non-inbred).
KAPPA = {
    "parent-child": (0.0, 1.0, 0.0),
    "full-siblings": (0.25, 0.5, 0.25),
    "half-siblings": (0.5, 0.5, 0.0),
    "grandparent": (0.5, 0.5, 0.0),
    "avuncular": (0.5, 0.5, 0.0),
    "first-cousins": (0.75, 0.25, 0.0),
}


def counts(n: int, *genotypes: Genotype) -> np.ndarray:
    c = np.zeros(n)
    for g in genotypes:
        c[g[0]] += 1
        c[g[1]] += 1
    return c


def urn_next(p: np.ndarray, seen: np.ndarray, theta: float) -> np.ndarray:
    """Distribution of the next founder allele given the alleles already seen (Balding–Nichols).

    Pr(a) = (m_a θ + (1−θ) p_a) / (1 + (n−1) θ), n alleles seen, m_a of them ``a``.
    """
    n_seen = float(seen.sum())
    return (theta * seen + (1.0 - theta) * p) / (1.0 + (n_seen - 1.0) * theta)


def genotype_given(g: Genotype, p: np.ndarray, seen: np.ndarray, theta: float) -> float:
    """P(an unrelated person has genotype ``g`` | alleles ``seen``), θ-corrected."""
    i, j = g
    first = urn_next(p, seen, theta)[i]
    seen2 = seen.copy()
    seen2[i] += 1
    second = urn_next(p, seen2, theta)[j]
    return float(first * second * (1.0 if i == j else 2.0))


def child_probability(u: np.ndarray, v: np.ndarray, g: Genotype) -> float:
    """P(child genotype ``g``) when its paternal allele ~ ``u`` and maternal allele ~ ``v``."""
    i, j = g
    if i == j:
        return float(u[i] * v[i])
    return float(u[i] * v[j] + u[j] * v[i])


def transmitted(g: Genotype, m: np.ndarray) -> np.ndarray:
    """Distribution of the allele a parent with genotype ``g`` passes on, after mutation."""
    return 0.5 * (m[g[0]] + m[g[1]])


def shares_allele(a: Genotype, b: Genotype) -> bool:
    return bool(set(a) & set(b))


def can_form(child: Genotype, x: Genotype, y: Genotype) -> bool:
    """Can ``child`` get one allele from ``x`` and the other from ``y`` (no mutation)?"""
    c1, c2 = child
    return (c1 in x and c2 in y) or (c2 in x and c1 in y)


def duo_values(ca, cb, gi, gj, p: np.ndarray, mp: np.ndarray, mo: np.ndarray, theta: float):
    """Parent–child index, elementwise over child genotypes (ca, cb) and parents (gi, gj).

    The four index arguments are ints or integer arrays broadcast together; ``mp`` is the
    parent's matrix, ``mo`` the untyped other parent's. ``duo`` is this with one pair, so the
    search's lookup tables and ``duo_lr`` share one arithmetic (bit for bit). The untyped other
    parent's allele is ``v = (θ·(mo[i]+mo[j]) + (1−θ)·p·mo) / (1+θ)`` (the urn after the parent's
    two alleles, through ``mo``); the child's alleles are taken in allele order.
    """
    a, b = np.minimum(ca, cb), np.maximum(ca, cb)
    pm = (p[:, None] * mo).sum(axis=0)
    ua = 0.5 * (mp[gi, a] + mp[gj, a])
    ub = 0.5 * (mp[gi, b] + mp[gj, b])
    va = (theta * (mo[gi, a] + mo[gj, a]) + (1.0 - theta) * pm[a]) / (1.0 + theta)
    vb = (theta * (mo[gi, b] + mo[gj, b]) + (1.0 - theta) * pm[b]) / (1.0 + theta)
    hom = a == b
    numerator = np.where(hom, ua * va, ua * vb + ub * va)
    sa = (gi == a).astype(float) + (gj == a)
    sb = (gi == b).astype(float) + (gj == b)
    first = (theta * sa + (1.0 - theta) * p[a]) / (1.0 + theta)
    second = (theta * (sb + hom) + (1.0 - theta) * p[b]) / (1.0 + 2.0 * theta)
    return numerator / (first * second * np.where(hom, 1.0, 2.0))


def duo(
    child: Genotype, parent: Genotype, p: np.ndarray, mp: np.ndarray, mo: np.ndarray, theta: float
) -> float:
    """Parent–child index; ``mp`` is the parent's matrix, ``mo`` the untyped other parent's."""
    return float(duo_values(child[0], child[1], parent[0], parent[1], p, mp, mo, theta))


def trio(
    child: Genotype,
    father: Genotype,
    mother: Genotype,
    p: np.ndarray,
    mm: np.ndarray,
    mf: np.ndarray,
    theta: float,
) -> tuple[float, float]:
    """The alleged father's index given the mother: (numerator, denominator) likelihoods."""
    n = len(p)
    w = transmitted(mother, mf)
    numerator = child_probability(transmitted(father, mm), w, child)
    true_father = urn_next(p, counts(n, father, mother), theta) @ mm
    return numerator, child_probability(true_father, w, child)


def parents_values(
    ca, cb, fi, fj, mi, mj, p: np.ndarray, mm: np.ndarray, mf: np.ndarray, theta: float
):
    """Both alleged parents against an unrelated child, elementwise (broadcast) like
    ``duo_values``: child (ca, cb), father (fi, fj) through ``mm``, mother (mi, mj) through ``mf``.
    The unrelated child is drawn from the urn after the four parental alleles."""
    a, b = np.minimum(ca, cb), np.maximum(ca, cb)
    ufa = 0.5 * (mm[fi, a] + mm[fj, a])
    ufb = 0.5 * (mm[fi, b] + mm[fj, b])
    uma = 0.5 * (mf[mi, a] + mf[mj, a])
    umb = 0.5 * (mf[mi, b] + mf[mj, b])
    hom = a == b
    numerator = np.where(hom, ufa * uma, ufa * umb + ufb * uma)
    sa = (fi == a).astype(float) + (fj == a) + (mi == a) + (mj == a)
    sb = (fi == b).astype(float) + (fj == b) + (mi == b) + (mj == b)
    first = (theta * sa + (1.0 - theta) * p[a]) / (1.0 + 3.0 * theta)
    second = (theta * (sb + hom) + (1.0 - theta) * p[b]) / (1.0 + 4.0 * theta)
    return numerator / (first * second * np.where(hom, 1.0, 2.0))


def parents(
    child: Genotype,
    father: Genotype,
    mother: Genotype,
    p: np.ndarray,
    mm: np.ndarray,
    mf: np.ndarray,
    theta: float,
) -> float:
    """Both alleged parents against an unrelated child."""
    c, f, m = child, father, mother
    return float(parents_values(c[0], c[1], f[0], f[1], m[0], m[1], p, mm, mf, theta))


def kappa_lr(relationship: str, a: Genotype, b: Genotype, p: np.ndarray, theta: float) -> float:
    """LR = κ0 + κ1·P1 + κ2·P2 (no mutation), θ-corrected P1 and P2."""
    k0, k1, k2 = KAPPA[relationship]
    n = len(p)
    eye = np.eye(n)
    p1 = duo(b, a, p, eye, eye, theta) if k1 else 0.0
    p2 = 0.0
    if k2 and a == b:
        p2 = 1.0 / genotype_given(b, p, counts(n, a), theta)
    return k0 + k1 * p1 + k2 * p2


def _hw(g: Genotype, p: np.ndarray) -> float:
    i, j = g
    return float(p[i] * p[j] * (1.0 if i == j else 2.0))


def _selector(v: np.ndarray, g: Genotype) -> np.ndarray:
    """``c`` with ``u·c = child_probability(u, v, g)``."""
    c = np.zeros(len(v))
    i, j = g
    if i == j:
        c[i] = v[i]
    else:
        c[i] += v[j]
        c[j] += v[i]
    return c


def _terms(g: Genotype) -> list[tuple[int, int]]:
    i, j = g
    return [(i, j)] if i == j else [(i, j), (j, i)]


def _founder_transmissions(p: np.ndarray, m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Ordered founder genotypes: weights w (n²) and transmitted distributions T (n² × n)."""
    n = len(p)
    w = np.outer(p, p).ravel()
    t = (0.5 * (m[:, None, :] + m[None, :, :])).reshape(n * n, n)
    return w, t


def pedigree_pairwise(
    relationship: str, a: Genotype, b: Genotype, p: np.ndarray, mm: np.ndarray, mf: np.ndarray
) -> float:
    """Pairwise LR from the pedigree likelihood with mutation (θ = 0), as Familias does.

    Pedigrees: full siblings share father (male) and mother (female); half siblings share the
    father; ``a`` is the paternal grandfather of ``b``; ``a`` is a brother of ``b``'s father;
    first cousins are children of two brothers. Wives marrying in are untyped female founders.
    """
    unrelated = _hw(a, p) * _hw(b, p)
    v = p @ mf  # allele passed on by an untyped female founder
    if relationship == "parent-child":
        return duo(b, a, p, mm, mf, 0.0)
    if relationship == "grandparent":
        u = 0.5 * (transmitted(a, mm) @ mm) + 0.5 * (v @ mm)
        return child_probability(u, v, b) / _hw(b, p)
    w, tf = _founder_transmissions(p, mm)
    _, tm = _founder_transmissions(p, mf)
    if relationship == "full-siblings":
        sf = tf.T @ (w[:, None] * tf)
        sm = tm.T @ (w[:, None] * tm)
        joint = sum(sf[i, k] * sm[j, ll] for i, j in _terms(a) for k, ll in _terms(b))
        return float(joint) / unrelated
    if relationship == "half-siblings":
        ca, cb = _selector(v, a), _selector(v, b)
        return float(np.sum(w * (tf @ ca) * (tf @ cb))) / unrelated
    if relationship == "avuncular":
        cb = _selector(v, b)
        alpha, beta = tf @ (mm @ cb), tm @ (mm @ cb)
        pf, pm = p @ mm, p @ mf
        joint = 0.0
        for i, j in _terms(a):
            joint += 0.5 * (
                np.sum(w * tf[:, i] * alpha) * pm[j] + pf[i] * np.sum(w * tm[:, j] * beta)
            )
        return float(joint) / unrelated
    if relationship == "first-cousins":
        ca, cb = _selector(v, a), _selector(v, b)
        aa, ba = tf @ (mm @ ca), tm @ (mm @ ca)
        ab, bb = tf @ (mm @ cb), tm @ (mm @ cb)
        joint = 0.25 * (
            np.sum(w * aa * ab)
            + np.sum(w * aa) * np.sum(w * bb)
            + np.sum(w * ba) * np.sum(w * ab)
            + np.sum(w * ba * bb)
        )
        return float(joint) / unrelated
    raise ValueError(relationship)
