"""The scan kernel, compiled with numba (imported only when a search first runs).

``scan_tile`` is the kernel. For one tile (``BLOCK`` rows stored column by column, each locus as
two allele bytes) and every query of the batch (the tile stays in cache while they all run: the
queries share the pass), it counts each row's inconsistent loci, then scores the few rows with at
most ``max_inc`` of them.

Consistency needs no table: a stored genotype ``x <= y`` (0: not typed) is consistent when one
allele is in the query's set ``F`` and the other in ``M`` (``M`` is "any allele" for a duo, so
that is "shares an allele with the query"; for a couple ``F``/``M`` are the father's and
mother's alleles). These are byte comparisons, which the compiler vectorises, so the leading
columns (``dense``, chosen per query from the columns' exclusion probabilities, most excluding
first) run as plain passes over the whole tile. The remaining columns run over a compacted list
of the rows still alive (branch-free: append, advance only if the row survives). Survivors are
scored with the query's float32 log10 lookup table and kept if they reach ``threshold`` with at
least ``min_cmp`` loci compared. With ``max_inc = NO_EXCLUSION`` (a pairwise relative search,
where no locus excludes) the consistency passes are skipped and every row is scored.

``scan_tiles`` runs a range of tiles; ``_scan.scan`` spreads ranges over the cores with the
``_threads`` pool (the kernel releases the GIL), and Dask shards run one range each.
"""

from __future__ import annotations

import numba
import numpy as np

#: ``max_inc`` of a search in which no locus excludes (pairwise relatives): the kernel skips the
#: consistency passes and scores every row.
NO_EXCLUSION = 255


@numba.njit(nogil=True, cache=True, inline="always")
def _bad(x, y, f1, f2, m1, m2, wildcard):
    """1 if the stored genotype (x, y) cannot come from F = {f1, f2} and M = {m1, m2}."""
    xf = (x == f1) | (x == f2)
    yf = (y == f1) | (y == f2)
    xm = (x == m1) | (x == m2) | wildcard
    ym = (y == m1) | (y == m2) | wildcard
    ok = (xf & ym) | (yf & xm) | (x == 0)
    return np.uint8(1) - np.uint8(ok)


@numba.njit(nogil=True, cache=True, inline="always")
def _unshared(x, y, f1, f2):
    """1 if the stored genotype (x, y) shares no allele with {f1, f2} (the duo test)."""
    ok = (x == f1) | (x == f2) | (y == f1) | (y == f2) | (x == 0)
    return np.uint8(1) - np.uint8(ok)


@numba.njit(nogil=True, cache=True)
def _count_column(count, xs, ys, n, f1, f2, m1, m2, wildcard):
    """Add one column's inconsistencies to every row's count (a plain, vectorised pass)."""
    if wildcard:
        for i in range(n):
            count[i] += _unshared(xs[i], ys[i], f1, f2)
    else:
        for i in range(n):
            count[i] += _bad(xs[i], ys[i], f1, f2, m1, m2, False)


@numba.njit(nogil=True, cache=True)
def scan_tile(b, tiles, used, order, active, dense, alleles, wildcard, offsets, lut_score,
              max_inc, min_cmp, threshold, out):  # fmt: skip
    """Scan tile ``b``; returns the number of passers (all, also beyond the ``cap`` slots)."""
    out_q, out_row, out_score, _ = out
    block = tiles.shape[2]
    n = min(block, used - b * block)
    cap = out_q.shape[1]
    count = np.empty(block, np.uint8)
    alive = np.empty(block, np.int32)
    alive_count = np.empty(block, np.uint8)
    limit = np.uint8(max_inc)
    found = 0
    for q in range(lut_score.shape[0]):
        count[:n] = 0
        for t in range(dense[q]):
            c = order[q, t]
            f1, f2, m1, m2 = alleles[q, c, 0], alleles[q, c, 1], alleles[q, c, 2], alleles[q, c, 3]
            _count_column(count, tiles[b, 2 * c], tiles[b, 2 * c + 1], n, f1, f2, m1, m2,
                          wildcard[q, c])  # fmt: skip
        m = 0
        for i in range(n):
            alive[m] = i
            alive_count[m] = count[i]
            m += count[i] <= limit
        if max_inc >= NO_EXCLUSION:
            m = n  # a pairwise relative search: every row is scored
        for t in range(dense[q], active[q] if max_inc < NO_EXCLUSION else 0):
            c = order[q, t]
            xs, ys = tiles[b, 2 * c], tiles[b, 2 * c + 1]
            f1, f2, m1, m2 = alleles[q, c, 0], alleles[q, c, 1], alleles[q, c, 2], alleles[q, c, 3]
            w = wildcard[q, c]
            kept = 0
            for u in range(m):
                i = alive[u]
                total = alive_count[u] + _bad(xs[i], ys[i], f1, f2, m1, m2, w)
                alive[kept] = i
                alive_count[kept] = total
                kept += total <= limit
            m = kept
        scores = lut_score[q]
        for u in range(m):
            i = alive[u]
            s = np.float32(0.0)
            compared = 0
            for t in range(active[q]):
                c = order[q, t]
                x = np.int64(tiles[b, 2 * c, i])
                if x != 0:
                    y = np.int64(tiles[b, 2 * c + 1, i])
                    s += scores[offsets[c] + y * (y - 1) // 2 + x]
                    compared += 1
            if compared >= min_cmp and s >= threshold:
                if found < cap:
                    out_q[b, found] = q
                    out_row[b, found] = b * block + i
                    out_score[b, found] = s
                found += 1
    return found


@numba.njit(nogil=True, cache=True)
def scan_tiles(first, stop, tiles, used, order, active, dense, alleles, wildcard, offsets,
               lut_score, max_inc, min_cmp, threshold, out):  # fmt: skip
    """Tiles ``first`` to ``stop − 1``, one after the other. Writes only their own slots of
    ``out``, the same values however often it runs (the thread pool may run it twice)."""
    counts = out[3]
    for b in range(first, stop):
        counts[b] = scan_tile(b, tiles, used, order, active, dense, alleles, wildcard, offsets,
                              lut_score, max_inc, min_cmp, threshold, out)  # fmt: skip
