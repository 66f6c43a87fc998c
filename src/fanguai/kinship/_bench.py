"""The search benchmark behind ``fanguai kinship bench`` and ``benchmarks/bench_kinship.py``.

Builds ``profiles`` seeded synthetic profiles from the built-in table over ``loci`` loci (the
Chinese panel first), then runs ``queries`` duo queries (half children of stored profiles, half
unrelated) one at a time and as one batch, and compares with the straightforward numpy scan (same
tables, per-locus lookups, log sums; on a few queries) and with the per-pair path (``duo_lr``
for every stored profile; timed on a sample and scaled to the database). Timings are wall-clock
on a machine that may be shared: the load average is reported beside them, and the process' CPU
seconds per query (all its threads), which the load does not inflate.
"""

from __future__ import annotations

import os
import statistics
import time
from typing import Any

import numpy as np

from fanguai.kinship._engine import duo_lr
from fanguai.kinship._frequencies import builtin_table
from fanguai.kinship._scan import numpy_scan
from fanguai.kinship._search import LocalExecutor, SearchIndex
from fanguai.kinship._settings import KinshipSettings
from fanguai.kinship._synthetic import Population, bench_loci

TABLE = "norstr-east-asia"


class NumpyExecutor:
    """The straightforward numpy scan in place of the kernel (same candidates)."""

    def __init__(self, index: SearchIndex) -> None:
        codes = index._profiles.matrix()
        self.columns = np.ascontiguousarray(codes.T)  # (loci, rows), built once, not timed

    def scan(self, index, tiles, used, luts, max_inc, min_cmp, threshold):
        return numpy_scan(self.columns, luts, max_inc, min_cmp, threshold)


def _timed(fn) -> tuple[Any, float]:
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def _median_time(index: SearchIndex, queries, executor=None) -> tuple[list, float, float, float]:
    """Hits, median and 90th percentile wall seconds, mean process CPU seconds per query."""
    hits, times = [], []
    cpu = time.process_time()
    for q in queries:
        result, seconds = _timed(lambda q=q: index.duo_search(q, executor=executor))
        hits.append(result)
        times.append(seconds)
    cpu = (time.process_time() - cpu) / len(queries)
    return hits, statistics.median(times), float(np.percentile(times, 90)), cpu


def run_bench(
    profiles: int,
    loci: int,
    queries: int,
    seed: int,
    settings: KinshipSettings | None = None,
    *,
    baseline_queries: int = 10,
    per_pair_sample: int = 300,
    add_many_sample: int = 20_000,
) -> dict[str, Any]:
    settings = settings or KinshipSettings(mutation_model="stepwise", rate=0.002)
    table = builtin_table(TABLE)
    names = bench_loci(table, loci)
    population = Population(table, names, settings.floor)
    rng = np.random.default_rng(seed)
    load_before = os.getloadavg()

    people = population.people(profiles, rng)
    index = SearchIndex(table, settings, loci=names, min_loci=min(12, loci))
    columns = [c.locus for c in index._coders]
    keys = [f"P{i:07d}" for i in range(profiles)]
    _, build_seconds = _timed(lambda: index._load_pairs(keys, population.pairs(people, columns)))

    sample = min(add_many_sample, profiles)
    dicts = [(keys[i], population.profile(people[i])) for i in range(sample)]
    _, add_seconds = _timed(lambda: SearchIndex(table, settings, names, index.min_loci)
                            .add_many(dicts))  # fmt: skip

    related = queries - queries // 2
    parents = [int(i) for i in rng.integers(0, profiles, size=related)]
    people_q = np.concatenate([population.children(people[parents], rng),
                               population.people(queries - related, rng)])  # fmt: skip
    query_profiles = [population.profile(p) for p in people_q]

    index.duo_search(query_profiles[0])  # compile (or load) the kernel, fill caches
    index.duo_search(query_profiles[0], executor=LocalExecutor(parallel=False))
    single, median, p90, cpu = _median_time(index, query_profiles)
    serial = LocalExecutor(parallel=False)
    _, median_serial, _, cpu_serial = _median_time(index, query_profiles, serial)
    batch_cpu = time.process_time()
    batch, batch_seconds = _timed(lambda: index.duo_search_batch(query_profiles))
    batch_cpu = time.process_time() - batch_cpu

    base = query_profiles[:baseline_queries]
    numpy_hits, numpy_median, _, numpy_cpu = _median_time(index, base, NumpyExecutor(index))
    pair_sample = rng.integers(0, profiles, size=min(per_pair_sample, profiles))
    stored = [population.profile(people[i]) for i in pair_sample]
    _, pair_seconds = _timed(
        lambda: [duo_lr(query_profiles[0], s, table, settings) for s in stored]
    )
    per_pair = pair_seconds / len(stored)
    checked, identical = _check_against_duo_lr(single[:5], query_profiles, people, population,
                                               table, settings)  # fmt: skip
    first = sum(1 for q, i in enumerate(parents) if single[q][:1] and single[q][0].key == keys[i])
    listed = sum(1 for q, i in enumerate(parents) if keys[i] in {h.key for h in single[q]})
    return {
        "profiles": profiles,
        "loci": loci,
        "queries": queries,
        "seed": seed,
        "table": TABLE,
        "loci_names": names,
        "settings": settings.to_dict(),
        "bytes_per_profile": index.nbytes_per_profile,
        "median_query_seconds": median,
        "p90_query_seconds": p90,
        "median_query_seconds_one_core": median_serial,
        "query_cpu_seconds": cpu,
        "query_cpu_seconds_one_core": cpu_serial,
        "batch_seconds": batch_seconds,
        "batch_seconds_per_query": batch_seconds / queries,
        "batch_cpu_seconds": batch_cpu,
        "batch_equals_one_at_a_time": batch == single,
        "numpy_scan_median_query_seconds": numpy_median,
        "numpy_scan_query_cpu_seconds": numpy_cpu,
        "numpy_scan_same_hits": numpy_hits == single[: len(base)],
        "ratio_numpy_scan_to_search": numpy_median / median,
        "per_pair_seconds": per_pair,
        "per_pair_query_seconds_estimated": per_pair * profiles,
        "ratio_per_pair_to_search": per_pair * profiles / median,
        "hits_checked_against_duo_lr": checked,
        "hits_identical_to_duo_lr": identical,
        "true_parent_ranked_first": f"{first}/{related}",
        "true_parent_among_hits": f"{listed}/{related}",
        "build_seconds_encoded": build_seconds,
        "add_many_profiles_per_second": sample / add_seconds,
        "machine": {
            "cpus": os.cpu_count(),
            "numba_threads": _numba_threads(),
            "load_average_before": [round(x, 2) for x in load_before],
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
        },
    }


def _numba_threads() -> int:
    import numba

    return numba.get_num_threads()


def _check_against_duo_lr(hits, query_profiles, people, population, table, settings):
    """Recompute every hit of the first queries with ``duo_lr``: same LR, bit for bit?"""
    checked, identical = 0, True
    for q, found in enumerate(hits):
        for hit in found:
            stored = population.profile(people[int(hit.key[1:])])
            ref = duo_lr(query_profiles[q], stored, table, settings)
            compared = sum(x.informative for x in ref.loci)
            identical &= (ref.lr, ref.log10_lr, ref.inconsistent_loci, compared) == (
                hit.lr,
                hit.log10_lr,
                hit.inconsistent_loci,
                hit.loci_compared,
            )
            checked += 1
    return checked, bool(identical)
