"""``DaskExecutor``: the scan kernel over shards of an index on a Dask cluster.

For national-scale re-matching (every child against every parent, again, after a frequency or
settings change): the index's code rows are split into shards that are scattered to the workers
once per index version, each batch's lookup tables are broadcast, and every shard runs the same
kernel (compiled serially: workers may be threads of one process). Candidates come back to the
caller, which rescores them exactly as a local search does, so results are identical.

``dask.distributed`` is imported only when an executor is made.
"""

from __future__ import annotations

import numpy as np

from fanguai.kinship._scan import Candidates, scan_shard


class DaskExecutor:
    """Pass as ``executor=`` to ``SearchIndex.duo_search_batch`` (or ``duo_search``,
    ``couple_search``). ``shards`` defaults to two per worker thread."""

    def __init__(self, client, shards: int | None = None) -> None:
        import distributed

        if not isinstance(client, distributed.Client):
            raise TypeError("DaskExecutor needs a dask.distributed Client")
        self.client = client
        if shards is None:
            shards = 2 * max(1, sum(client.nthreads().values()))
        if isinstance(shards, bool) or not isinstance(shards, int) or shards < 1:
            raise ValueError(f"shards must be a whole number of at least 1, got {shards!r}")
        self.shards = shards
        self._scattered: tuple[tuple[int, int], list] | None = None

    def _shard_futures(self, index, tiles: np.ndarray, used: int) -> list:
        token = (id(index), index.version)
        if self._scattered is None or self._scattered[0] != token:
            blocks = tiles.shape[0]
            bounds = np.linspace(0, blocks, min(self.shards, max(1, blocks)) + 1).astype(int)
            shards = []
            for a, b in zip(bounds, bounds[1:], strict=False):
                start = int(a) * tiles.shape[2]
                shard = np.ascontiguousarray(tiles[a:b])
                future = self.client.scatter(shard, hash=False)
                shards.append((future, max(0, min(used - start, shard.shape[0] * shard.shape[2])),
                               start))  # fmt: skip
            self._scattered = (token, shards)
        return self._scattered[1]

    def scan(self, index, tiles, used, luts, max_inc, min_cmp, threshold) -> Candidates:
        shards = self._shard_futures(index, tiles, used)
        [tables] = self.client.scatter([luts], broadcast=True, hash=False)
        futures = [
            self.client.submit(
                scan_shard, shard, rows, start, tables, max_inc, min_cmp, threshold, pure=False
            )
            for shard, rows, start in shards
        ]
        return Candidates.concat(self.client.gather(futures))
