"""Profiles and lab files for the DNA tests, drawn from the store's table with a seed."""

from __future__ import annotations

import csv
import io
import random

from fanguai.dna.demo import DEMO_LOCI
from fanguai.dna.index import store_table

Genotypes = dict[str, tuple[str, str]]


class Family:
    """Seeded people: unrelated founders and their children (no mutation)."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)  # noqa: S311 - test data
        table = store_table()
        self.freqs = {x: list(table.locus_frequencies(x).items()) for x in DEMO_LOCI}

    def _allele(self, locus: str) -> str:
        alleles, weights = zip(*self.freqs[locus], strict=True)
        return self.rng.choices(alleles, weights=weights)[0]

    def person(self) -> Genotypes:
        return {x: _pair(self._allele(x), self._allele(x)) for x in DEMO_LOCI}

    def child(self, father: Genotypes | None, mother: Genotypes | None) -> Genotypes:
        return {
            x: _pair(
                self.rng.choice(father[x]) if father else self._allele(x),
                self.rng.choice(mother[x]) if mother else self._allele(x),
            )
            for x in DEMO_LOCI
        }


def _pair(a: str, b: str) -> tuple[str, str]:
    return tuple(sorted((a, b), key=float))  # type: ignore[return-value]


def as_profile(genotypes: Genotypes) -> dict[str, str]:
    return {x: "/".join(g) for x, g in genotypes.items()}


def wide(
    rows: list[tuple[str, str, str, Genotypes]], relations: dict[str, str] | None = None
) -> str:
    """(sample, kind, couple, genotypes) rows as a wide lab file; ``relations`` (sample →
    relation text) adds a ``relation`` column."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    extra = ["relation"] if relations is not None else []
    w.writerow(["sample", "kind", "couple", *extra, *DEMO_LOCI])
    for ref, kind, couple, g in rows:
        rel = [relations.get(ref, "")] if relations is not None else []
        w.writerow([ref, kind, couple, *rel, *("/".join(g[x]) for x in DEMO_LOCI)])
    return out.getvalue()


def long(rows: list[tuple[str, str, str, Genotypes]]) -> str:
    """(sample, kind, couple, genotypes) rows as a long lab file."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["Sample Name", "kind", "couple", "Marker", "Allele 1", "Allele 2"])
    for ref, kind, couple, g in rows:
        for x in DEMO_LOCI:
            w.writerow([ref, kind, couple, x, *g[x]])
    return out.getvalue()
