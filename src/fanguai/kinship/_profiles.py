"""Profiles: canonical locus → genotype (two alleles), missing loci allowed."""

from __future__ import annotations

from collections.abc import Mapping

from fanguai.kinship._loci import IGNORED_LOCI, normalise_locus, parse_genotype
from fanguai.kinship.errors import MalformedAllele

Profile = dict[str, tuple[str, str]]


def parse_profile(data: Mapping[str, object], role: str = "profile") -> Profile:
    """Validate a profile ``{"D3S1358": "15/16", ...}``.

    ``None``/``""`` is not accepted as "missing": leave the locus out instead. Amelogenin is
    dropped (not an autosomal STR). A locus given twice under different spellings is an error.
    """
    if not isinstance(data, Mapping):
        raise MalformedAllele(f"{role}: a profile must map locus names to genotypes")
    profile: Profile = {}
    for raw_locus, value in data.items():
        locus = normalise_locus(raw_locus)
        if locus in IGNORED_LOCI:
            continue
        if locus in profile:
            raise MalformedAllele(f"{role}: locus {locus} is given twice ({raw_locus!r})")
        try:
            profile[locus] = parse_genotype(locus, value)
        except MalformedAllele as exc:
            raise MalformedAllele(f"{role}: {exc}") from None
    return profile
