"""Kinship engine: parentage and kinship likelihood ratios with mutation and θ.

Pure library (numpy, numba for the search kernel, and the standard library; Dask only for
``DaskExecutor``). See ``docs/kinship.md``.
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
from fanguai.kinship._expected import expected_false_hits
from fanguai.kinship._frequencies import FrequencyTable, builtin_table
from fanguai.kinship._loci import normalise_locus, parse_genotype
from fanguai.kinship._mutation import aabb_mutation_pi, exclusion_power, mutation_matrix
from fanguai.kinship._profiles import parse_profile
from fanguai.kinship._search import SearchHit, SearchIndex
from fanguai.kinship._settings import ENGINE_VERSION, KinshipSettings
from fanguai.kinship.errors import (
    InconsistentMother,
    InsufficientLoci,
    InvalidCase,
    InvalidSettings,
    KinshipError,
    MalformedAllele,
    MissingFrequencies,
    UnknownLocus,
)

__version__ = ENGINE_VERSION


def __getattr__(name: str):
    if name == "DaskExecutor":  # imports dask.distributed only when asked for
        from fanguai.kinship._dask import DaskExecutor

        return DaskExecutor
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "ENGINE_VERSION",
    "DaskExecutor",
    "PAIRWISE",
    "RELATIONSHIPS",
    "FrequencyTable",
    "InconsistentMother",
    "InsufficientLoci",
    "InvalidCase",
    "InvalidSettings",
    "KinshipError",
    "KinshipResult",
    "KinshipSettings",
    "LocusResult",
    "MalformedAllele",
    "MissingFrequencies",
    "SearchHit",
    "SearchIndex",
    "UnknownLocus",
    "__version__",
    "aabb_mutation_pi",
    "builtin_table",
    "compute_lr",
    "duo_lr",
    "exclusion_power",
    "expected_false_hits",
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
