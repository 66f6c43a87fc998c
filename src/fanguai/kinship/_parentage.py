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


def _ordered(i, j):
    return np.minimum(i, j), np.maximum(i, j)


def kappa_values(relationship: str, ai, aj, bi, bj, p: np.ndarray, theta: float):
    """LR = κ0 + κ1·P1 + κ2·P2 (no mutation), θ-corrected, elementwise over genotypes a (ai, aj)
    and b (bi, bj) broadcast together (ints or integer arrays). ``kappa_lr`` is this with one
    pair, so the search's lookup tables and ``kinship_lr`` share one arithmetic.

    P1 is the duo index of b as the child of a; P2 = 1/P(b | a's two alleles) when b = a, else 0.
    """
    k0, k1, k2 = KAPPA[relationship]
    a1, a2 = _ordered(ai, aj)
    b1, b2 = _ordered(bi, bj)
    eye = np.eye(len(p))
    p1 = duo_values(b1, b2, a1, a2, p, eye, eye, theta)
    hom = a1 == a2
    same = (a1 == b1) & (a2 == b2)
    first = (theta * np.where(hom, 2.0, 1.0) + (1.0 - theta) * p[a1]) / (1.0 + theta)
    second = (theta * np.where(hom, 3.0, 1.0) + (1.0 - theta) * p[a2]) / (1.0 + 2.0 * theta)
    given = first * second * np.where(hom, 1.0, 2.0)
    p2 = np.where(same, 1.0 / given, 0.0)
    return k0 + k1 * p1 + k2 * p2


def kappa_lr(relationship: str, a: Genotype, b: Genotype, p: np.ndarray, theta: float) -> float:
    """LR = κ0 + κ1·P1 + κ2·P2 (no mutation), θ-corrected P1 and P2."""
    return float(kappa_values(relationship, a[0], a[1], b[0], b[1], p, theta))


def _founder_transmissions(p: np.ndarray, m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Ordered founder genotypes: weights w (n²) and transmitted distributions T (n² × n)."""
    n = len(p)
    w = np.outer(p, p).ravel()
    t = (0.5 * (m[:, None, :] + m[None, :, :])).reshape(n * n, n)
    return w, t


class PairwiseMatrices:
    """What the pedigree likelihoods of one locus need, computed once per (p, mm, mf).

    ``hf``/``hm``: joint distribution of the alleles two children of one untyped father
    (mother) receive (n × n); ``v`` (``pm``): the allele an untyped female founder passes on;
    ``pf``: a male founder's; the rest are products for the grandparent, avuncular and
    first-cousin pedigrees.
    """

    def __init__(self, p: np.ndarray, mm: np.ndarray, mf: np.ndarray) -> None:
        w, tf = _founder_transmissions(p, mm)
        _, tm = _founder_transmissions(p, mf)
        self.hf = tf.T @ (w[:, None] * tf)
        self.hm = tm.T @ (w[:, None] * tm)
        self.v = p @ mf
        self.pf, self.pm = p @ mm, p @ mf
        self.m2 = mm @ mm
        self.vm = self.v @ mm
        self.xf, self.xm = self.hf @ mm, self.hm @ mm
        self.qf, self.qm = mm.T @ self.hf @ mm, mm.T @ self.hm @ mm
        self.sf, self.sm = (tf.T @ w) @ mm, (tm.T @ w) @ mm


def pedigree_values(relationship: str, ai, aj, bi, bj, p: np.ndarray, mats: PairwiseMatrices):
    """Pairwise LR from the pedigree likelihood with mutation (θ = 0), elementwise over
    genotypes a (ai, aj) and b (bi, bj) broadcast together; ``pedigree_pairwise`` is this with
    one pair. Pedigrees as in ``pedigree_pairwise``.
    """
    a1, a2 = _ordered(ai, aj)
    b1, b2 = _ordered(bi, bj)
    ha = (a1 != a2).astype(float)
    hb = (b1 != b2).astype(float)
    hw_a = p[a1] * p[a2] * (1.0 + ha)
    hw_b = p[b1] * p[b2] * (1.0 + hb)
    v = mats.v

    def bilinear(q: np.ndarray):
        """selector(v, a)ᵀ · q · selector(v, b)."""
        return (
            v[a2] * v[b2] * q[a1, b1]
            + hb * v[a2] * v[b1] * q[a1, b2]
            + ha * (v[a1] * v[b2] * q[a2, b1] + hb * v[a1] * v[b1] * q[a2, b2])
        )

    def dot_a(x: np.ndarray):
        return v[a2] * x[a1] + ha * v[a1] * x[a2]

    def dot_b(x: np.ndarray):
        return v[b2] * x[b1] + hb * v[b1] * x[b2]

    if relationship == "grandparent":
        u1 = 0.25 * (mats.m2[a1, b1] + mats.m2[a2, b1]) + 0.5 * mats.vm[b1]
        u2 = 0.25 * (mats.m2[a1, b2] + mats.m2[a2, b2]) + 0.5 * mats.vm[b2]
        numerator = np.where(hb > 0, u1 * v[b2] + u2 * v[b1], u1 * v[b1])
        return numerator / hw_b
    if relationship == "full-siblings":
        hf, hm = mats.hf, mats.hm
        joint = (
            hf[a1, b1] * hm[a2, b2]
            + hb * hf[a1, b2] * hm[a2, b1]
            + ha * (hf[a2, b1] * hm[a1, b2] + hb * hf[a2, b2] * hm[a1, b1])
        )
    elif relationship == "half-siblings":
        joint = bilinear(mats.hf)
    elif relationship == "avuncular":

        def xcb(x: np.ndarray, i):
            return v[b2] * x[i, b1] + hb * v[b1] * x[i, b2]

        pf, pm = mats.pf, mats.pm
        joint = 0.5 * (xcb(mats.xf, a1) * pm[a2] + pf[a1] * xcb(mats.xm, a2)) + ha * 0.5 * (
            xcb(mats.xf, a2) * pm[a1] + pf[a2] * xcb(mats.xm, a1)
        )
    elif relationship == "first-cousins":
        joint = 0.25 * (
            bilinear(mats.qf)
            + dot_a(mats.sf) * dot_b(mats.sm)
            + dot_a(mats.sm) * dot_b(mats.sf)
            + bilinear(mats.qm)
        )
    else:
        raise ValueError(relationship)
    return joint / (hw_a * hw_b)


def pedigree_pairwise(
    relationship: str, a: Genotype, b: Genotype, p: np.ndarray, mm: np.ndarray, mf: np.ndarray
) -> float:
    """Pairwise LR from the pedigree likelihood with mutation (θ = 0), as Familias does.

    Pedigrees: full siblings share father (male) and mother (female); half siblings share the
    father; ``a`` is the paternal grandfather of ``b``; ``a`` is a brother of ``b``'s father;
    first cousins are children of two brothers. Wives marrying in are untyped female founders.
    """
    if relationship == "parent-child":
        return duo(b, a, p, mm, mf, 0.0)
    mats = PairwiseMatrices(p, mm, mf)
    return float(pedigree_values(relationship, a[0], a[1], b[0], b[1], p, mats))
