"""Allele-frequency tables: norSTR/Familias text, NIST-style CSV, plain dicts, built-ins."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np

from fanguai.kinship._loci import allele_number, normalise_locus, parse_allele
from fanguai.kinship.errors import KinshipError, MissingFrequencies

BUILTIN_TABLES = {"norstr-east-asia": "norstr-east-asia-v2023.txt"}


def _frequency(where: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise MissingFrequencies(f"{where}: frequency {value!r} is not a number")
    try:
        f = float(value)
    except ValueError:
        raise MissingFrequencies(f"{where}: frequency {value!r} is not a number") from None
    if not math.isfinite(f) or not 0.0 <= f <= 1.0:
        raise MissingFrequencies(f"{where}: frequency {value!r} must be between 0 and 1")
    return f


@dataclass(frozen=True)
class FrequencyTable:
    """Allele frequencies per canonical locus name. Build with the ``from_*`` constructors."""

    loci: Mapping[str, Mapping[str, float]]
    name: str = "custom"
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Mapping[object, object]], name: str = "custom"):
        """``{"D3S1358": {"15": 0.3453, ...}, ...}``; locus names and alleles are normalised."""
        if not isinstance(data, Mapping):
            raise MissingFrequencies("frequency table must map locus names to allele frequencies")
        loci: dict[str, dict[str, float]] = {}
        for raw_locus, alleles in data.items():
            locus = normalise_locus(raw_locus)
            if not isinstance(alleles, Mapping) or not alleles:
                raise MissingFrequencies(
                    f"frequency table, locus {locus}: expected a non-empty allele→frequency map"
                )
            target = loci.setdefault(locus, {})
            for raw_allele, freq in alleles.items():
                allele = parse_allele(locus, raw_allele)
                target[allele] = _frequency(
                    f"frequency table, locus {locus}, allele {allele}", freq
                )
        return cls(loci=loci, name=name)

    @classmethod
    def from_norstr(cls, text: str, name: str = "custom") -> FrequencyTable:
        """norSTR/Familias text: locus line, ``allele<TAB>frequency`` lines, blank line."""
        data: dict[str, dict[str, object]] = {}
        locus: str | None = None
        for number, line in enumerate(text.splitlines(), start=1):
            stripped = line.strip()
            if not stripped:
                locus = None
                continue
            parts = stripped.split("\t") if "\t" in stripped else stripped.split()
            if locus is None:
                try:
                    locus = normalise_locus(stripped)
                except KinshipError as exc:
                    raise MissingFrequencies(f"line {number}: {exc}") from None
                data.setdefault(locus, {})
                continue
            if len(parts) != 2:
                raise MissingFrequencies(
                    f"line {number}, locus {locus}: expected 'allele<TAB>frequency', got {line!r}"
                )
            try:
                allele = parse_allele(locus, parts[0].strip())
                data[locus][allele] = _frequency(
                    f"line {number}, locus {locus}, allele {allele}", parts[1].strip()
                )
            except KinshipError as exc:
                raise type(exc)(f"line {number}: {exc}") from None
        return cls.from_dict(data, name=name)

    @classmethod
    def from_csv(cls, text: str, population: str, name: str | None = None) -> FrequencyTable:
        """NIST-style ``population,locus,allele,count,total_alleles,frequency`` rows."""
        reader = csv.DictReader(io.StringIO(text))
        needed = {"population", "locus", "allele", "frequency"}
        if reader.fieldnames is None or not needed <= set(reader.fieldnames):
            raise MissingFrequencies(
                "frequency CSV needs the columns population, locus, allele, frequency"
            )
        data: dict[str, dict[str, object]] = {}
        populations: set[str] = set()
        for row_number, row in enumerate(reader, start=2):
            populations.add(row["population"])
            if row["population"] != population:
                continue
            try:
                locus = normalise_locus(row["locus"])
                allele = parse_allele(locus, row["allele"])
                data.setdefault(locus, {})[allele] = _frequency(
                    f"locus {locus}, allele {allele}", row["frequency"]
                )
            except KinshipError as exc:
                raise type(exc)(f"row {row_number}: {exc}") from None
        if not data:
            raise MissingFrequencies(
                f"frequency CSV has no rows for population {population!r} "
                f"(populations: {', '.join(sorted(populations))})"
            )
        return cls.from_dict(data, name=name or population)

    @classmethod
    def from_file(cls, path: str | Path, population: str | None = None) -> FrequencyTable:
        p = Path(path)
        text = p.read_text(encoding="utf-8")
        if p.suffix.lower() == ".csv":
            if population is None:
                raise MissingFrequencies(f"{p.name}: a CSV table needs a population")
            return cls.from_csv(text, population)
        return cls.from_norstr(text, name=p.stem)

    def has_locus(self, locus: str) -> bool:
        return normalise_locus(locus) in self.loci

    def locus_frequencies(self, locus: str) -> Mapping[str, float]:
        canonical = normalise_locus(locus)
        try:
            return self.loci[canonical]
        except KeyError:
            raise MissingFrequencies(
                f"frequency table {self.name!r} has no locus {canonical}"
            ) from None

    def vector(
        self, locus: str, extra: Iterable[str], floor: float, renormalise: bool
    ) -> tuple[list[str], np.ndarray]:
        """The locus' alleles (sorted, plus ``extra`` at the floor) and their frequencies.

        Alleles listed with frequency 0 and alleles not listed get ``floor``. With
        ``renormalise`` the vector is scaled to sum to 1 (mutation models need a distribution).
        """
        table = self.locus_frequencies(locus)
        freqs = {a: (f if f > 0 else floor) for a, f in table.items()}
        for allele in extra:
            freqs.setdefault(allele, floor)
        alleles = sorted(freqs, key=allele_number)
        p = np.array([freqs[a] for a in alleles], dtype=float)
        if renormalise:
            p = p / p.sum()
        return alleles, p


def builtin_table(name: str) -> FrequencyTable:
    """A table shipped with the engine, loaded on first use (``norstr-east-asia``)."""
    if name not in BUILTIN_TABLES:
        raise MissingFrequencies(
            f"no built-in frequency table {name!r} (built in: {', '.join(BUILTIN_TABLES)})"
        )
    return _load_builtin(name)


@cache
def _load_builtin(name: str) -> FrequencyTable:
    text = (
        resources.files("fanguai.kinship")
        .joinpath("data", BUILTIN_TABLES[name])
        .read_text(encoding="utf-8")
    )
    return FrequencyTable.from_norstr(text, name=name)


def as_table(frequencies: object) -> FrequencyTable:
    """A ``FrequencyTable``, a built-in's name, or a plain dict."""
    if isinstance(frequencies, FrequencyTable):
        return frequencies
    if isinstance(frequencies, str):
        return builtin_table(frequencies)
    if isinstance(frequencies, Mapping):
        return FrequencyTable.from_dict(frequencies)
    raise MissingFrequencies(
        "frequencies must be a table, a built-in table name or a locus→allele→frequency map"
    )
