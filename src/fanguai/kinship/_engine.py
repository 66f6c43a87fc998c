"""Case-level likelihood ratios: validation, per-locus dispatch, CPI, W, breakdown."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from fanguai.kinship import _parentage as fast
from fanguai.kinship._frequencies import FrequencyTable, as_table
from fanguai.kinship._loci import parse_genotype
from fanguai.kinship._mutation import mutation_matrix
from fanguai.kinship._profiles import Profile, parse_profile
from fanguai.kinship._settings import ENGINE_VERSION, KinshipSettings
from fanguai.kinship.errors import (
    InconsistentMother,
    InvalidCase,
    InvalidSettings,
    MissingFrequencies,
)

PAIRWISE = ("full-siblings", "half-siblings", "grandparent", "avuncular", "first-cousins")
ROLES: dict[str, tuple[str, ...]] = {
    "parent-child": ("child", "parent"),
    "trio": ("child", "parent", "mother"),
    "parents": ("child", "father", "mother"),
    **{r: ("a", "b") for r in PAIRWISE},
}
RELATIONSHIPS = tuple(ROLES)


@dataclass(frozen=True)
class LocusResult:
    locus: str
    lr: float
    consistent: bool
    informative: bool

    def to_dict(self) -> dict[str, Any]:
        return {"locus": self.locus, "lr": self.lr, "consistent": self.consistent}


@dataclass(frozen=True)
class KinshipResult:
    relationship: str
    lr: float
    log10_lr: float  # -inf when lr == 0
    inconsistent_loci: int
    loci: tuple[LocusResult, ...]
    settings: KinshipSettings
    engine_version: str = ENGINE_VERSION

    @property
    def probability(self) -> float:
        """Posterior probability of the relationship with prior ½: W = LR/(LR+1)."""
        return probability_of_parentage(self.lr)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: ``log10_lr`` is ``None`` when the LR is 0."""
        return {
            "lr": self.lr,
            "log10_lr": self.log10_lr if math.isfinite(self.log10_lr) else None,
            "inconsistent_loci": self.inconsistent_loci,
            "loci": [x.to_dict() for x in self.loci],
            "engine_version": self.engine_version,
            "settings": self.settings.to_dict(),
        }


def probability_of_parentage(lr: float, prior: float = 0.5) -> float:
    """W = LR·π / (LR·π + 1 − π); with π = ½, W = CPI/(CPI+1)."""
    if not 0 < prior < 1:
        raise InvalidSettings(f"prior must be between 0 and 1, got {prior!r}")
    if math.isinf(lr):
        return 1.0
    return lr * prior / (lr * prior + 1.0 - prior)


def combine(values: Iterable[float]) -> tuple[float, float]:
    """The LR and log10 LR of per-locus values given in locus-name order.

    The order is fixed so that a case's LR does not depend on the order its loci were listed
    in (floating-point products are not associative), and so that the search reproduces it.
    """
    values = list(values)
    log10 = sum(math.log10(v) if v > 0 else -math.inf for v in values)
    return math.prod(values), log10


def genotype_probability(genotype: object, frequencies: Mapping[str, float], theta: float = 0.0):
    """P(one person's genotype), θ-corrected: AA → p(θ+(1−θ)p); AB → 2(1−θ)p_A p_B."""
    settings = KinshipSettings(theta=theta)
    a, b = parse_genotype("?", genotype)
    alleles = sorted({a, b})
    p = np.array([float(frequencies[x]) for x in alleles])
    g = (alleles.index(a), alleles.index(b))
    return fast.genotype_given(g, p, np.zeros(len(p)), settings.theta)


def _check_roles(relationship: str, profiles: Mapping[str, Any]) -> None:
    if relationship not in ROLES:
        raise InvalidCase(
            f"unknown relationship {relationship!r} (one of {', '.join(RELATIONSHIPS)})"
        )
    if not isinstance(profiles, Mapping):
        raise InvalidCase("profiles must map roles to profiles")
    wanted = ROLES[relationship]
    unknown = sorted(set(profiles) - set(wanted))
    if unknown:
        raise InvalidCase(
            f"relationship {relationship}: unknown role {unknown[0]!r} (roles: {', '.join(wanted)})"
        )
    missing = [r for r in wanted if r not in profiles]
    if missing:
        raise InvalidCase(f"relationship {relationship}: profile {missing[0]!r} is missing")


def compute_lr(
    relationship: str,
    profiles: Mapping[str, Mapping[str, object]],
    frequencies: FrequencyTable | Mapping | str,
    settings: KinshipSettings | None = None,
) -> KinshipResult:
    """The likelihood ratio of ``relationship`` versus unrelated, locus by locus.

    Roles: ``child``+``parent`` (parent-child), ``child``+``parent``+``mother`` (trio: the
    alleged father's index given the mother), ``child``+``father``+``mother`` (parents), ``a``+``b``
    (pairwise; ``a`` is the grandparent / uncle where it matters).
    """
    settings = settings or KinshipSettings()
    _check_roles(relationship, profiles)
    parsed: dict[str, Profile] = {r: parse_profile(profiles[r], r) for r in ROLES[relationship]}
    table = as_table(frequencies)
    if relationship in PAIRWISE and settings.mutation_model != "none" and settings.theta > 0:
        raise InvalidSettings(
            f"relationship {relationship}: theta must be 0 with a mutation model "
            "(θ with mutation is implemented for parent-child, trio and parents only)"
        )
    loci: list[str] = []
    for profile in parsed.values():
        loci.extend(x for x in profile if x not in loci)
    results = [_locus(relationship, locus, parsed, table, settings) for locus in loci]
    lr, log10 = combine(r.lr for r in sorted(results, key=lambda r: r.locus))
    return KinshipResult(
        relationship=relationship,
        lr=lr,
        log10_lr=log10,
        inconsistent_loci=sum(not r.consistent for r in results),
        loci=tuple(results),
        settings=settings,
    )


def _locus(
    relationship: str,
    locus: str,
    parsed: Mapping[str, Profile],
    table: FrequencyTable,
    settings: KinshipSettings,
) -> LocusResult:
    typed = {role: prof[locus] for role, prof in parsed.items() if locus in prof}
    if relationship in PAIRWISE or relationship == "parent-child":
        first, second = ROLES[relationship][:2]
        needed = {first, second}
    else:
        needed = {"child"}
        if relationship == "trio":
            needed.add("parent")
        elif "father" not in typed and "mother" not in typed:
            needed.add("father")
    if not needed <= set(typed) or len(typed) < 2:
        return LocusResult(locus, 1.0, True, False)
    if not table.has_locus(locus):
        raise MissingFrequencies(
            f"locus {locus}: the frequency table {table.name!r} has no frequencies for it"
        )
    extra = {a for g in typed.values() for a in g}
    alleles, p = table.vector(locus, extra, settings.floor, settings.mutation_model != "none")
    index = {a: i for i, a in enumerate(alleles)}
    g = {role: (index[x[0]], index[x[1]]) for role, x in typed.items()}
    model = settings.mutation_model
    mm = mutation_matrix(model, settings.male_rate, alleles, p, locus)
    mf = mutation_matrix(model, settings.female_rate, alleles, p, locus)
    theta = settings.theta

    if relationship in PAIRWISE:
        a, b = g["a"], g["b"]
        if model == "none":
            lr = fast.kappa_lr(relationship, a, b, p, theta)
        else:
            lr = fast.pedigree_pairwise(relationship, a, b, p, mm, mf)
        return LocusResult(locus, lr, True, True)

    child = g["child"]
    if relationship == "parent-child":
        parent = g["parent"]
        lr = fast.duo(child, parent, p, mm, mf, theta)
        return LocusResult(locus, lr, fast.shares_allele(child, parent), True)
    if relationship == "trio":
        father = g["parent"]
        if "mother" not in g:
            lr = fast.duo(child, father, p, mm, mf, theta)
            return LocusResult(locus, lr, fast.shares_allele(child, father), True)
        mother = g["mother"]
        num, den = fast.trio(child, father, mother, p, mm, mf, theta)
        if den == 0.0:
            raise InconsistentMother(
                f"locus {locus}: the mother {'/'.join(typed['mother'])} cannot have given the "
                f"child {'/'.join(typed['child'])} an allele under mutation model {model!r}"
            )
        return LocusResult(locus, num / den, fast.can_form(child, father, mother), True)
    # parents
    if "father" in g and "mother" in g:
        father, mother = g["father"], g["mother"]
        lr = fast.parents(child, father, mother, p, mm, mf, theta)
        return LocusResult(locus, lr, fast.can_form(child, father, mother), True)
    if "father" in g:
        lr = fast.duo(child, g["father"], p, mm, mf, theta)
        return LocusResult(locus, lr, fast.shares_allele(child, g["father"]), True)
    lr = fast.duo(child, g["mother"], p, mf, mm, theta)
    return LocusResult(locus, lr, fast.shares_allele(child, g["mother"]), True)


def duo_lr(child, parent, frequencies, settings: KinshipSettings | None = None) -> KinshipResult:
    """Parent–child (motherless) paternity index over all loci."""
    return compute_lr("parent-child", {"child": child, "parent": parent}, frequencies, settings)


def trio_lr(child, alleged_father, mother, frequencies, settings=None) -> KinshipResult:
    """The alleged father's index given the mother."""
    profiles = {"child": child, "parent": alleged_father, "mother": mother}
    return compute_lr("trio", profiles, frequencies, settings)


def parents_lr(child, father, mother, frequencies, settings=None) -> KinshipResult:
    """Both alleged parents against an unrelated child."""
    profiles = {"child": child, "father": father, "mother": mother}
    return compute_lr("parents", profiles, frequencies, settings)


def kinship_lr(relationship: str, a, b, frequencies, settings=None) -> KinshipResult:
    """A pairwise relationship (full/half siblings, grandparent, avuncular, first cousins)."""
    if relationship not in PAIRWISE and relationship != "parent-child":
        raise InvalidCase(
            f"unknown pairwise relationship {relationship!r} (one of {', '.join(PAIRWISE)})"
        )
    if relationship == "parent-child":
        return duo_lr(b, a, frequencies, settings)
    return compute_lr(relationship, {"a": a, "b": b}, frequencies, settings)
