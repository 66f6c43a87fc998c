"""Storage of the search index: two bytes per locus per profile.

Each locus has an allele dictionary (the table's alleles in allele order, then alleles met later
in stored profiles, in order of arrival). A stored genotype is the pair of its alleles' numbers
plus one, smaller first (``x <= y``; ``0, 0``: not typed), one byte each, so the kernel tests
consistency with byte comparisons. For lookup tables the genotype of allele numbers ``i <= j``
has code ``1 + j(j+1)/2 + i`` (code 0: not typed). New alleles only append, so stored values stay
valid. Rows live in tiles of ``BLOCK`` rows stored column by column (``x`` then ``y`` of each
locus); removed rows are zeroed and their slots reused.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field

import numpy as np

from fanguai.kinship._loci import IGNORED_LOCI, allele_number, normalise_locus, parse_genotype
from fanguai.kinship.errors import InvalidCase, MalformedAllele

MISSING = 0
CODE_DTYPE = np.uint8
MAX_ALLELES = 255  # allele numbers 1..255 in a byte; 0 is "not typed"
GROWTH = 1.5
BLOCK = 4096  # rows per tile


class LocusCoder:
    """The allele dictionary and genotype codes of one locus."""

    def __init__(self, locus: str, frequencies: Mapping[str, float], floor: float) -> None:
        self.locus = locus
        self.alleles: list[str] = sorted(frequencies, key=allele_number)
        self.n_table = len(self.alleles)
        p = np.array([frequencies[a] if frequencies[a] > 0 else floor for a in self.alleles])
        self._p = p / p.sum()
        self._weights: np.ndarray | None = None
        self.index = {a: i for i, a in enumerate(self.alleles)}
        # code 0 (not typed) gets the allele -1 on both sides: it never equals a real allele
        gj, gi = np.tril_indices(len(self.alleles))  # rows j, columns i <= j, in code order
        self.gi = np.concatenate([[-1], gi]).astype(np.int64)
        self.gj = np.concatenate([[-1], gj]).astype(np.int64)

    @property
    def size(self) -> int:
        """Number of codes, including 0 (not typed)."""
        return len(self.gi)

    def allele_code(self, allele: str, create: bool = True) -> int:
        code = self.index.get(allele)
        if code is not None or not create:
            return -1 if code is None else code
        if len(self.alleles) >= MAX_ALLELES:
            raise InvalidCase(
                f"locus {self.locus}: more than {MAX_ALLELES} different alleles in one index"
            )
        code = len(self.alleles)
        self.alleles.append(allele)
        self.index[allele] = code
        self.gi = np.concatenate([self.gi, np.arange(code + 1)])
        self.gj = np.concatenate([self.gj, np.full(code + 1, code)])
        return code

    def code(self, genotype: tuple[str, str]) -> int:
        i, j = sorted(self.allele_code(a) for a in genotype)
        return 1 + j * (j + 1) // 2 + i

    def pair(self, genotype: tuple[str, str]) -> tuple[int, int]:
        """The stored bytes of a genotype: allele numbers plus one, smaller first."""
        i, j = sorted(self.allele_code(a) for a in genotype)
        return i + 1, j + 1

    def stored(self, allele: str) -> int:
        """An allele's stored byte, or 0 (matches no typed genotype) if it is not in the index."""
        return self.index.get(allele, -1) + 1

    def weights(self) -> np.ndarray:
        """Population probability of each code (Hardy–Weinberg, the table's alleles only)."""
        if self._weights is None or len(self._weights) != self.size:
            n = self.n_table
            gi, gj = self.gi[1:], self.gj[1:]
            table = (gi < n) & (gj < n)
            w = np.zeros(self.size)
            a, b = gi[table], gj[table]
            w[1:][table] = self._p[a] * self._p[b] * np.where(a == b, 1.0, 2.0)
            self._weights = w
        return self._weights

    def off_table(self, code: int) -> frozenset[str]:
        """The alleles of a genotype code that the frequency table does not list."""
        return frozenset(
            self.alleles[x] for x in (self.gi[code], self.gj[code]) if x >= self.n_table
        )


def genotype_codes(pairs: np.ndarray) -> np.ndarray:
    """Stored pairs ``(..., 2·loci)`` → genotype codes ``(..., loci)`` (0: not typed)."""
    x = pairs[..., 0::2].astype(np.int64)
    y = pairs[..., 1::2].astype(np.int64)
    return np.where(x == 0, 0, y * (y - 1) // 2 + x)


@dataclass
class Rows:
    """Keyed rows with slot reuse (profiles: width 2L bytes; couples: 4L, father then mother).

    Tiled layout: ``tiles[b, c, i]`` is column ``c`` of row ``b·BLOCK + i``. A tile (one block of
    rows, column by column) is what the kernel scans at a time: it reads a column only for the
    rows still alive, so most of a tile is never touched by a query.
    """

    width: int
    tiles: np.ndarray = field(init=False)
    used: int = 0
    keys: list[str | None] = field(default_factory=list)
    slots: dict[str, int] = field(default_factory=dict)
    free: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.tiles = np.zeros((0, self.width, BLOCK), dtype=CODE_DTYPE)

    def __len__(self) -> int:
        return len(self.slots)

    @property
    def capacity(self) -> int:
        return self.tiles.shape[0] * BLOCK

    def live_tiles(self) -> np.ndarray:
        """The tiles holding used rows (rows past ``used`` and removed rows are all zeros)."""
        return self.tiles[: (self.used + BLOCK - 1) // BLOCK]

    def rows(self, slots: np.ndarray) -> np.ndarray:
        """Genotype codes ``(len(slots), width // 2)`` of these rows."""
        slots = np.asarray(slots, dtype=np.int64)
        return genotype_codes(self.tiles[slots // BLOCK, :, slots % BLOCK])

    def matrix(self) -> np.ndarray:
        """Genotype codes of all used rows, ``(used, width // 2)`` (a copy)."""
        return self.rows(np.arange(self.used))

    def reserve(self, extra: int) -> None:
        """Room for ``extra`` more rows; growing, at least by ``GROWTH`` (amortised adds)."""
        need = self.used + extra - len(self.free)
        if need <= self.capacity:
            return
        blocks = max((need + BLOCK - 1) // BLOCK, int(self.tiles.shape[0] * GROWTH))
        grown = np.zeros((blocks, self.width, BLOCK), dtype=CODE_DTYPE)
        grown[: self.tiles.shape[0]] = self.tiles
        self.tiles = grown

    def _write(self, slot: int, row: np.ndarray) -> None:
        self.tiles[slot // BLOCK, :, slot % BLOCK] = row

    def put(self, key: str, row: np.ndarray) -> None:
        self.put_many([key], np.asarray(row)[None, :])

    def put_many(self, keys: list[str], rows: np.ndarray) -> None:
        """Store rows under keys (an existing key is overwritten; within ``keys`` the last
        occurrence wins), in one write."""
        last = {key: i for i, key in enumerate(keys)}
        self.reserve(sum(1 for key in last if key not in self.slots))
        slots = np.empty(len(last), np.int64)
        for n, key in enumerate(last):
            slot = self.slots.get(key)
            if slot is None:
                if self.free:
                    slot = self.free.pop()
                else:
                    slot = self.used
                    self.used += 1
                    self.keys.append(None)
                self.slots[key] = slot
                self.keys[slot] = key
            slots[n] = slot
        self.tiles[slots // BLOCK, :, slots % BLOCK] = rows[list(last.values())]

    def extend(self, keys: list[str], codes: np.ndarray) -> None:
        """Append rows with new keys (bulk load)."""
        self.reserve(len(keys) + len(self.free))
        start = self.used
        slots = np.arange(start, start + len(keys))
        self.tiles[slots // BLOCK, :, slots % BLOCK] = codes
        self.used += len(keys)
        self.keys.extend(keys)
        self.slots.update(zip(keys, slots.tolist(), strict=True))

    def remove(self, key: str) -> bool:
        slot = self.slots.pop(key, None)
        if slot is None:
            return False
        self._write(slot, np.zeros(self.width, dtype=CODE_DTYPE))
        self.keys[slot] = None
        self.free.append(slot)
        return True

    def nbytes(self) -> int:
        return int(self.tiles.nbytes)


class ProfileEncoder:
    """Profile dicts → code rows, with caches so that bulk loading is not regex-bound.

    Validation is that of ``parse_profile``: every locus name and genotype is checked (also at
    loci the index does not hold), Amelogenin is dropped, a locus given twice is an error.
    """

    CACHE_LIMIT = 4096

    def __init__(self, coders: list[LocusCoder]) -> None:
        self.coders = coders
        self.column = {c.locus: k for k, c in enumerate(coders)}
        self._loci: dict[Hashable, str] = {}
        self._values: dict[str, dict[Hashable, tuple[str, str]]] = {}
        # genotype → stored bytes; an allele's number never changes once given
        self._pairs: list[dict[tuple[str, str], tuple[int, int]]] = [{} for _ in coders]

    def _canonical(self, raw: object) -> str:
        if isinstance(raw, str):
            hit = self._loci.get(raw)
            if hit is not None:
                return hit
        canonical = normalise_locus(raw)
        if isinstance(raw, str) and len(self._loci) < self.CACHE_LIMIT:
            self._loci[raw] = canonical
        return canonical

    def _genotype(self, role: str, locus: str, value: object) -> tuple[str, str]:
        cacheable = isinstance(value, str) or (
            isinstance(value, tuple) and all(isinstance(x, str) for x in value)
        )
        cache = self._values.setdefault(locus, {})
        if cacheable and value in cache:
            return cache[value]  # type: ignore[index]
        try:
            genotype = parse_genotype(locus, value)
        except MalformedAllele as exc:
            raise MalformedAllele(f"{role}: {exc}") from None
        if cacheable and len(cache) < self.CACHE_LIMIT:
            cache[value] = genotype  # type: ignore[index]
        return genotype

    def genotypes(self, data: object, role: str) -> dict[str, tuple[str, str]]:
        """The profile's genotypes at the index loci (validated like ``parse_profile``)."""
        if not isinstance(data, Mapping):
            raise MalformedAllele(f"{role}: a profile must map locus names to genotypes")
        found: dict[str, tuple[str, str]] = {}
        seen: set[str] = set()
        for raw, value in data.items():
            locus = self._canonical(raw)
            if locus in IGNORED_LOCI:
                continue
            if locus in seen:
                raise MalformedAllele(f"{role}: locus {locus} is given twice ({raw!r})")
            seen.add(locus)
            genotype = self._genotype(role, locus, value)
            if locus in self.column:
                found[locus] = genotype
        return found

    def row(self, genotypes: Mapping[int, tuple[str, str]]) -> list[int]:
        """Stored bytes of genotypes by column (adding unseen alleles to the dictionaries)."""
        row = [0] * (2 * len(self.coders))
        for k, genotype in genotypes.items():
            pairs = self._pairs[k]
            pair = pairs.get(genotype)
            if pair is None:
                pair = pairs[genotype] = self.coders[k].pair(genotype)
            row[2 * k], row[2 * k + 1] = pair
        return row
