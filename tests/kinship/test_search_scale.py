"""Several tiles of synthetic profiles: the kernel (serial, threaded, over Dask shards) agrees
with the straightforward numpy scan, and finds planted parents."""

from __future__ import annotations

import numpy as np
import pytest

from fanguai.kinship import KinshipSettings, SearchIndex, builtin_table, duo_lr
from fanguai.kinship import _plans as plans
from fanguai.kinship._bench import NumpyExecutor
from fanguai.kinship._scan import SCORE_MARGIN, numpy_scan, scan
from fanguai.kinship._search import LocalExecutor
from fanguai.kinship._synthetic import Population, bench_loci

ROWS = 3 * 4096 + 123  # four tiles, the last one partly used


@pytest.fixture(scope="module", params=["none", "stepwise"])
def world(request):
    table = builtin_table("norstr-east-asia")
    s = KinshipSettings(mutation_model=request.param, rate=0.002, theta=0.01)
    names = bench_loci(table, 16)
    population = Population(table, names, s.floor)
    rng = np.random.default_rng(7)
    people = population.people(ROWS, rng)
    index = SearchIndex(table, s, loci=names, min_loci=10)
    columns = [c.locus for c in index._coders]
    index._load_pairs([f"P{i:05d}" for i in range(ROWS)], population.pairs(people, columns))
    parents = rng.integers(0, ROWS, size=6)
    children = population.children(people[parents], rng)
    queries = [population.profile(c) for c in children] + [
        population.profile(p) for p in population.people(4, rng)
    ]
    return index, queries, parents, population, people


def candidates_as_set(found):
    return set(zip(found.query.tolist(), found.row.tolist(), strict=True))


def test_kernel_serial_threaded_and_numpy_scans_find_the_same_candidates(world, monkeypatch):
    import fanguai.kinship._scan as scan_module

    index, queries, *_ = world
    monkeypatch.setattr(scan_module, "PARALLEL_MIN_TILES", 1)
    tables = [index._genotypes(q, "q") for q in queries]
    batch = [
        plans.duo_plan(index._vectors, index._coders, q, "child", index._tables) for q in tables
    ]
    luts = plans.build_luts(index._coders, batch)
    rows = index._profiles
    args = (luts, 2, 10, -SCORE_MARGIN)
    serial = scan(rows.live_tiles(), rows.used, *args, parallel=False)
    threaded = scan(rows.live_tiles(), rows.used, *args, parallel=True)
    baseline = numpy_scan(np.ascontiguousarray(rows.matrix().T), *args)
    assert candidates_as_set(serial) == candidates_as_set(threaded) == candidates_as_set(baseline)
    assert len(serial.row) > 0


def test_searches_through_every_executor_agree(world):
    index, queries, *_ = world
    local = index.duo_search_batch(queries, min_lr=0.01)
    assert index.duo_search_batch(queries, min_lr=0.01, executor=LocalExecutor(False)) == local
    assert index.duo_search_batch(queries, min_lr=0.01, executor=NumpyExecutor(index)) == local
    assert [index.duo_search(q, min_lr=0.01) for q in queries] == local


def test_planted_parents_rank_first_with_the_lr_of_duo_lr(world):
    index, queries, parents, population, people = world
    hits = index.duo_search_batch(queries[: len(parents)])
    for found, parent in zip(hits, parents, strict=True):
        assert found[0].key == f"P{parent:05d}"
        stored = population.profile(people[parent])
        query = queries[list(parents).index(parent)]
        assert found[0].lr == duo_lr(query, stored, index.table, index.settings).lr


def test_an_overflowing_candidate_buffer_is_rerun_with_room_for_all(world, monkeypatch):
    import fanguai.kinship._kernel as kernel
    import fanguai.kinship._scan as scan_module

    index, queries, parents, population, people = world
    twins = [f"TWIN{k}" for k in range(3)]  # several candidates in the last tile
    for key in twins:
        index.add(key, population.profile(people[parents[0]]))
    try:
        expected = index.duo_search_batch(queries, min_lr=0.01)
        calls = []
        scan_tiles = kernel.scan_tiles
        monkeypatch.setattr(scan_module, "first_cap", lambda queries: 1)
        monkeypatch.setattr(kernel, "scan_tiles", lambda *a: calls.append(1) or scan_tiles(*a))
        assert index.duo_search_batch(queries, min_lr=0.01) == expected
        assert len(calls) == 2  # one run, one rerun with room for all
        assert set(twins) <= {h.key for h in expected[0]}
    finally:
        for key in twins:
            index.remove(key)


def test_dask_executor_on_a_local_cluster_equals_the_local_kernel(world):
    distributed = pytest.importorskip("distributed")
    from fanguai.kinship import DaskExecutor

    index, queries, *_ = world
    local = index.duo_search_batch(queries, min_lr=0.1)
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        executor = DaskExecutor(client, shards=3)
        assert index.duo_search_batch(queries, min_lr=0.1, executor=executor) == local
        assert index.couple_search(queries[0], queries[1], executor=executor) == (
            index.couple_search(queries[0], queries[1])
        )
        # a change to the index is seen: its shards are scattered again
        index.add("NEW", queries[0] | {})
        try:
            again = index.duo_search(queries[0], executor=executor)
            assert any(h.key == "NEW" for h in again)
            assert again == index.duo_search(queries[0])
        finally:
            index.remove("NEW")
