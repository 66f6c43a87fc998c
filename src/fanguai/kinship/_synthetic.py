"""Seeded synthetic profiles drawn from a frequency table (benchmarks and tests).

People are drawn under Hardy–Weinberg from the table's frequencies (floor for listed zeros,
normalised); a child gets one allele of its parent (either, ½) and one from the population.
Alleles are numbered as a ``SearchIndex`` numbers a locus' table alleles (allele order).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from fanguai.kinship._frequencies import FrequencyTable
from fanguai.kinship._loci import allele_number
from fanguai.kinship.errors import InvalidSettings

#: The Chinese judicial paternity panel (19 STRs), in the order of shared/kinship/README.md.
CHINESE_PANEL = (
    "D19S433", "D5S818", "D21S11", "D18S51", "D6S1043", "D3S1358", "D13S317", "D7S820",
    "D16S539", "CSF1PO", "Penta D", "vWA", "D8S1179", "TPOX", "Penta E", "TH01", "D12S391",
    "D2S1338", "FGA",
)  # fmt: skip


def bench_loci(table: FrequencyTable, count: int) -> list[str]:
    """``count`` loci: the Chinese panel's loci that the table has, then the table's others."""
    names = [x for x in CHINESE_PANEL if table.has_locus(x)]
    names += [x for x in table.loci if x not in names]
    if not 1 <= count <= len(names):
        raise InvalidSettings(
            f"loci must be from 1 to {len(names)} (the loci of table {table.name!r}), got {count}"
        )
    return names[:count]


class Population:
    """Alleles and frequencies of some loci of a table, and seeded draws of people."""

    def __init__(self, table: FrequencyTable, loci: Sequence[str], floor: float) -> None:
        self.loci = list(loci)
        self.alleles: list[list[str]] = []
        self.p: list[np.ndarray] = []
        for locus in self.loci:
            freqs = table.locus_frequencies(locus)
            alleles = sorted(freqs, key=allele_number)
            p = np.array([freqs[a] if freqs[a] > 0 else floor for a in alleles])
            self.alleles.append(alleles)
            self.p.append(p / p.sum())

    def people(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``(n, loci, 2)`` allele numbers (int16), each pair sorted."""
        out = np.empty((n, len(self.loci), 2), np.int16)
        for k, p in enumerate(self.p):
            out[:, k, :] = rng.choice(len(p), size=(n, 2), p=p)
        out.sort(axis=2)
        return out

    def children(self, parents: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """One child of each parent (the other parent unrelated and untyped)."""
        n = len(parents)
        other = self.people(n, rng)[:, :, 0]
        pick = rng.integers(0, 2, size=(n, len(self.loci)))
        inherited = np.take_along_axis(parents, pick[:, :, None], axis=2)[:, :, 0]
        out = np.stack([inherited, other], axis=2).astype(np.int16)
        out.sort(axis=2)
        return out

    def profile(self, person: np.ndarray) -> dict[str, str]:
        return {
            locus: f"{self.alleles[k][person[k, 0]]}/{self.alleles[k][person[k, 1]]}"
            for k, locus in enumerate(self.loci)
        }

    def pairs(self, people: np.ndarray, columns: Sequence[str]) -> np.ndarray:
        """Stored allele bytes in a ``SearchIndex``'s column order (table alleles only)."""
        where = {x: k for k, x in enumerate(self.loci)}
        cols = [where[x] for x in columns]
        out = np.empty((len(people), 2 * len(cols)), np.uint8)
        out[:, 0::2] = people[:, cols, 0] + 1
        out[:, 1::2] = people[:, cols, 1] + 1
        return out
