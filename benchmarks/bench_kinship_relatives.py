"""Relative search benchmark: ``SearchIndex.kinship_search`` over a synthetic index, JSON out.

    .venv/bin/python benchmarks/bench_kinship_relatives.py [--profiles 1000000] [--loci 20]
                                                            [--queries 50] [--seed 1]

Builds a seeded index from the built-in table; half the queries are a full sibling (or, with
``--relationship half-siblings``, a half sibling) of a stored profile, half unrelated. Times one
query at a time (median, 90th percentile), checks the top hit of a few queries against
``kinship_lr`` (the engine's one-pair path) and counts how often the planted relative ranks
first. The figures go to docs/benchmarks.md; nothing here is asserted by the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time

import numpy as np

from fanguai.kinship import KinshipSettings, SearchIndex, builtin_table, kinship_lr
from fanguai.kinship._synthetic import Population, bench_loci

TABLE = "norstr-east-asia"


def _relatives(population: Population, n: int, half: bool, rng: np.random.Generator):  # type: ignore[no-untyped-def]
    """``n`` pairs of relatives: two children of the same two parents (or of one shared parent)."""
    father, mother, other = (population.people(n, rng) for _ in range(3))
    loci = len(population.loci)

    def child(second: np.ndarray) -> np.ndarray:
        a = np.take_along_axis(father, rng.integers(0, 2, (n, loci))[:, :, None], axis=2)
        b = np.take_along_axis(second, rng.integers(0, 2, (n, loci))[:, :, None], axis=2)
        out = np.concatenate([a, b], axis=2).astype(np.int16)
        out.sort(axis=2)
        return out

    return child(mother), child(other if half else mother)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--profiles", type=int, default=1_000_000)
    parser.add_argument("--loci", type=int, default=20)
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--relationship", choices=("full-siblings", "half-siblings"), default="full-siblings"
    )
    args = parser.parse_args()
    settings = KinshipSettings(mutation_model="stepwise", rate=0.002)
    table = builtin_table(TABLE)
    names = bench_loci(table, args.loci)
    population = Population(table, names, settings.floor)
    rng = np.random.default_rng(args.seed)

    planted = args.queries // 2
    stored_rel, query_rel = _relatives(
        population, planted, args.relationship == "half-siblings", rng
    )
    people = population.people(args.profiles, rng)
    slots = rng.choice(args.profiles, size=planted, replace=False)
    people[slots] = stored_rel
    index = SearchIndex(table, settings, loci=names, min_loci=min(12, args.loci))
    keys = [f"R{i:07d}" for i in range(args.profiles)]
    columns = [c.locus for c in index._coders]
    started = time.perf_counter()
    index._load_pairs(keys, population.pairs(people, columns))
    build = time.perf_counter() - started

    queries = np.concatenate([query_rel, population.people(args.queries - planted, rng)])
    profiles = [population.profile(q) for q in queries]
    index.kinship_search(profiles[0], args.relationship)  # compile the kernel, fill caches
    hits, times = [], []
    for profile in profiles:
        started = time.perf_counter()
        hits.append(index.kinship_search(profile, args.relationship, min_lr=10.0))
        times.append(time.perf_counter() - started)
    first = sum(1 for q in range(planted) if hits[q] and hits[q][0].key == keys[int(slots[q])])
    pairwise = index.pairwise_settings
    checked = identical = 0
    for q in range(min(5, planted)):
        if not hits[q]:
            continue
        position = int(hits[q][0].key[1:])
        stored = population.profile(people[position])
        reference = kinship_lr(args.relationship, profiles[q], stored, table, pairwise).lr
        checked += 1
        identical += abs(reference - hits[q][0].lr) <= 1e-9 * max(1.0, reference)
    print(
        json.dumps(
            {
                "relationship": args.relationship,
                "profiles": args.profiles,
                "loci": args.loci,
                "queries": args.queries,
                "seed": args.seed,
                "settings": pairwise.to_dict(),
                "build_seconds_encoded": build,
                "median_query_seconds": statistics.median(times),
                "p90_query_seconds": float(np.percentile(times, 90)),
                "planted_ranked_first": f"{first}/{planted}",
                "top_hits_identical_to_kinship_lr": f"{identical}/{checked}",
                "bytes_per_profile": index.nbytes_per_profile,
                "machine": f"{platform.machine()}, {os.cpu_count()} cores",
            }
        )
    )


if __name__ == "__main__":
    main()
