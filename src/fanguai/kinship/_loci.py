"""Locus names and allele designations: one canonical form used everywhere."""

from __future__ import annotations

import re

from fanguai.kinship.errors import MalformedAllele, UnknownLocus

# Canonical display names for loci whose spelling varies between kits and tables.
_DISPLAY = {
    "VWA": "vWA",
    "PENTAB": "Penta B",
    "PENTAC": "Penta C",
    "PENTAD": "Penta D",
    "PENTAE": "Penta E",
    "AMELOGENIN": "AMEL",
    "AMEL": "AMEL",
}
_LOCUS_CHARS = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.\-]{0,39}$")
_ALLELE = re.compile(r"^\d{1,3}(\.\d)?$")

#: Loci the engine ignores in profiles (not autosomal STRs).
IGNORED_LOCI = frozenset({"AMEL"})


def normalise_locus(name: object) -> str:
    """Canonical locus name: ``VWA``→``vWA``, ``PENTA_D``→``Penta D``, ``th 01``→``TH01``."""
    if not isinstance(name, str) or not _LOCUS_CHARS.match(name.strip()):
        raise UnknownLocus(f"locus name {name!r} is not a valid STR locus name")
    key = re.sub(r"[\s_\-]+", "", name.strip()).upper()
    return _DISPLAY.get(key, key)


def parse_allele(locus: str, value: object) -> str:
    """An allele designation (``15``, ``9.3``) in canonical form, or ``MalformedAllele``."""
    if isinstance(value, bool):
        raise MalformedAllele(f"locus {locus}: allele {value!r} is not an STR allele")
    if isinstance(value, int):
        value = str(value)
    elif isinstance(value, float):
        value = repr(value)
        if value.endswith(".0"):
            value = value[:-2]
    if not isinstance(value, str) or not _ALLELE.match(value.strip()):
        raise MalformedAllele(f"locus {locus}: allele {value!r} is not an STR allele")
    s = value.strip()
    whole, _, frac = s.partition(".")
    whole = str(int(whole))
    return f"{whole}.{frac}" if frac else whole


def allele_number(allele: str) -> float:
    """The repeat number of a canonical allele (``9.3`` → 9.3)."""
    return float(allele)


def parse_genotype(locus: str, value: object) -> tuple[str, str]:
    """A genotype: ``"15/16"``, ``"15,16"``, ``["15", "16"]``, or ``"15"`` (homozygous 15/15).

    Returns the two alleles sorted by repeat number.
    """
    if isinstance(value, list | tuple):
        parts: list[object] = list(value)
    elif isinstance(value, str):
        text = value.strip()
        if not text:
            raise MalformedAllele(f"locus {locus}: empty genotype")
        parts = [p.strip() for p in re.split(r"[/,]", text)]
    elif isinstance(value, int | float) and not isinstance(value, bool):
        parts = [value]
    else:
        raise MalformedAllele(f"locus {locus}: genotype {value!r} is not a genotype")
    if len(parts) == 1:
        parts = parts * 2
    if len(parts) != 2:
        raise MalformedAllele(
            f"locus {locus}: genotype {value!r} has {len(parts)} alleles; expected 1 or 2"
        )
    try:
        a, b = (parse_allele(locus, p) for p in parts)
    except MalformedAllele:
        raise MalformedAllele(
            f"locus {locus}: genotype {value!r} is malformed "
            "(expected alleles such as 15/16 or 9.3/10)"
        ) from None
    return tuple(sorted((a, b), key=allele_number))  # type: ignore[return-value]
