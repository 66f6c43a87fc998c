"""Kinship engine: parentage and kinship likelihood ratios with mutation and θ.

Pure library (numpy and the standard library). See ``docs/kinship.md``.
"""

from fanguai.kinship._engine import (
    PAIRWISE,
    RELATIONSHIPS,
    KinshipResult,
    LocusResult,
    compute_lr,
    duo_lr,
    genotype_probability,
    kinship_lr,
    parents_lr,
    probability_of_parentage,
    trio_lr,
)
from fanguai.kinship._frequencies import FrequencyTable, builtin_table
from fanguai.kinship._loci import normalise_locus, parse_genotype
from fanguai.kinship._mutation import aabb_mutation_pi, exclusion_power, mutation_matrix
from fanguai.kinship._profiles import parse_profile
from fanguai.kinship._settings import ENGINE_VERSION, KinshipSettings
from fanguai.kinship.errors import (
    InconsistentMother,
    InvalidCase,
    InvalidSettings,
    KinshipError,
    MalformedAllele,
    MissingFrequencies,
    UnknownLocus,
)

__version__ = ENGINE_VERSION

__all__ = [
    "ENGINE_VERSION",
    "PAIRWISE",
    "RELATIONSHIPS",
    "FrequencyTable",
    "InconsistentMother",
    "InvalidCase",
    "InvalidSettings",
    "KinshipError",
    "KinshipResult",
    "KinshipSettings",
    "LocusResult",
    "MalformedAllele",
    "MissingFrequencies",
    "UnknownLocus",
    "__version__",
    "aabb_mutation_pi",
    "builtin_table",
    "compute_lr",
    "duo_lr",
    "exclusion_power",
    "genotype_probability",
    "kinship_lr",
    "mutation_matrix",
    "normalise_locus",
    "parents_lr",
    "parse_genotype",
    "parse_profile",
    "probability_of_parentage",
    "trio_lr",
]
