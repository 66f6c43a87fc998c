"""Running the scan kernel: lookup-table batches, candidates, the numpy baseline.

Candidates are approximate (float32 sums); the caller rescoring them exactly is what makes the
search's results those of ``duo_lr``. The threshold given here must therefore be lowered by a
margin (``SCORE_MARGIN``) below the exact one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fanguai.kinship._threads import pool

NO_EXCLUSION = 255  # ``_kernel.NO_EXCLUSION`` (not imported here: numba loads lazily)
SCORE_MARGIN = 1e-3  # float32 sums over ≤ 63 loci err by far less than this


@dataclass(frozen=True)
class Candidates:
    """Rows that passed the kernel: query number, row, float32 score (unordered)."""

    query: np.ndarray
    row: np.ndarray
    score: np.ndarray

    @classmethod
    def empty(cls) -> Candidates:
        return cls(np.zeros(0, np.int32), np.zeros(0, np.int64), np.zeros(0, np.float32))

    @classmethod
    def concat(cls, parts: list[Candidates]) -> Candidates:
        if not parts:
            return cls.empty()
        return cls(
            np.concatenate([p.query for p in parts]),
            np.concatenate([p.row for p in parts]),
            np.concatenate([p.score for p in parts]),
        )


@dataclass(frozen=True)
class Luts:
    """The lookup tables of a batch, one row per query; ``offsets[c]`` starts column c.

    ``order[q, :active[q]]`` are the query's typed columns, most excluding first.
    """

    offsets: np.ndarray  # int64 (columns,)
    order: np.ndarray  # int64 (queries, columns)
    active: np.ndarray  # int64 (queries,)
    exclusion: np.ndarray  # float64 (queries, columns): P(unrelated inconsistent), in order
    alleles: np.ndarray  # uint8 (queries, columns, 4): stored bytes of F (2) and M (2)
    wildcard: np.ndarray  # bool (queries, columns): M is any allele (duo-style columns)
    score: np.ndarray  # float32 (queries, codes): log10 value
    inconsistent: np.ndarray  # uint8 (queries, codes) (numpy baseline)
    compared: np.ndarray  # uint8 (queries, codes): 1 for typed codes of typed columns (baseline)

    def __len__(self) -> int:
        return self.score.shape[0]


CHUNKS_PER_THREAD = 4
PARALLEL_MIN_TILES = 32  # below this, handing work to other threads costs more than it saves
DENSE_ALIVE = 0.01  # plain passes while at least this share of rows is expected alive


def first_cap(queries: int) -> int:
    """Candidate slots per tile on the first run (a tile that has more reruns the scan)."""
    return 64 + 2 * queries


def dense_columns(luts: Luts, max_inc: int) -> np.ndarray:
    """Per query, how many leading columns the kernel scans as plain (vectorised) passes: at
    least ``max_inc + 1`` (nobody is excluded before), then while the expected share of
    unrelated rows still alive (Poisson-binomial over the columns' exclusion probabilities) is
    at least ``DENSE_ALIVE``: there a plain pass costs less than compaction."""
    dense = np.zeros(len(luts), np.int64)
    if max_inc >= NO_EXCLUSION:
        return dense  # nothing excludes: no consistency pass at all
    for q in range(len(luts)):
        alive = [1.0] + [0.0] * max_inc  # P(k inconsistent so far), k <= max_inc
        t = 0
        for e in luts.exclusion[q, : luts.active[q]].tolist():
            alive = [a * (1 - e) + (alive[k - 1] * e if k else 0.0) for k, a in enumerate(alive)]
            t += 1
            if t > max_inc and sum(alive) < DENSE_ALIVE:
                break
        dense[q] = t
    return dense


def scan(
    tiles: np.ndarray,
    used: int,
    luts: Luts,
    max_inc: int,
    min_cmp: int,
    threshold: float,
    *,
    parallel: bool = True,
    row_offset: int = 0,
) -> Candidates:
    """Run the kernel over ``tiles`` (rows numbered from ``row_offset``; ``used`` rows), on all
    cores (``parallel``: chunks of tiles on the thread pool) or on this thread."""
    from fanguai.kinship._kernel import scan_tiles

    if used == 0 or len(luts) == 0:
        return Candidates.empty()
    blocks = tiles.shape[0]
    cap = first_cap(len(luts))
    dense = dense_columns(luts, max_inc)
    parallel = parallel and blocks >= PARALLEL_MIN_TILES
    chunks = min(blocks, (pool().helpers + 1) * CHUNKS_PER_THREAD) if parallel else 1
    bounds = np.linspace(0, blocks, chunks + 1).astype(np.int64)
    while True:
        out = (
            np.zeros((blocks, cap), np.int32),
            np.zeros((blocks, cap), np.int64),
            np.zeros((blocks, cap), np.float32),
            np.zeros(blocks, np.int64),
        )

        def run(k: int, out=out) -> None:
            scan_tiles(bounds[k], bounds[k + 1], tiles, used, luts.order, luts.active, dense,
                       luts.alleles, luts.wildcard, luts.offsets, luts.score, max_inc, min_cmp,
                       np.float32(threshold), out)  # fmt: skip

        if chunks > 1:
            pool().run(run, chunks)
        else:
            run(0)
        counts = out[3]
        if counts.max() <= cap:
            break
        cap = int(counts.max())  # the kernel counted every passer: rerun with room for all
    keep = np.arange(cap)[None, :] < counts[:, None]
    return Candidates(out[0][keep], out[1][keep] + row_offset, out[2][keep])


def scan_shard(tiles, used, start, luts, max_inc, min_cmp, threshold) -> Candidates:
    """One shard (whole tiles) of a distributed scan; serial kernel, safe in threaded workers."""
    return scan(tiles, used, luts, max_inc, min_cmp, threshold, parallel=False, row_offset=start)


def numpy_scan(
    columns: np.ndarray, luts: Luts, max_inc: int, min_cmp: int, threshold: float
) -> Candidates:
    """The straightforward numpy scan over a ``(columns, rows)`` code array: per-locus lookup
    tables, log sums, one query at a time. Same candidates as ``scan`` (up to float32 ties at
    the threshold); the benchmark's baseline and a test oracle."""
    parts = []
    n = columns.shape[1]
    for q in range(len(luts)):
        score = np.zeros(n, np.float32)
        inconsistent = np.zeros(n, np.int32)
        compared = np.zeros(n, np.int32)
        for c in luts.order[q, : luts.active[q]]:
            k = luts.offsets[c] + columns[c]
            score += luts.score[q, k]
            inconsistent += luts.inconsistent[q, k]
            compared += luts.compared[q, k]
        ok = (inconsistent <= max_inc) & (compared >= min_cmp) & (score >= np.float32(threshold))
        rows = np.flatnonzero(ok)
        parts.append(Candidates(np.full(len(rows), q, np.int32), rows, score[rows]))
    return Candidates.concat(parts)
