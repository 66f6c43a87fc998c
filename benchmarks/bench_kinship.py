"""Kinship search benchmark: ``fanguai kinship bench`` over a few settings, one JSON line each.

    .venv/bin/python benchmarks/bench_kinship.py [--profiles 1000000] [--loci 20] [--queries 100]

Runs the search with stepwise mutation (the default of ``fanguai kinship bench``) and without a
mutation model (where an inconsistent locus excludes at once, so the scan is cheaper), and prints
the figures recorded in docs/benchmarks.md. Nothing here is asserted by the test suite.
"""

from __future__ import annotations

import argparse
import json

from fanguai.kinship import KinshipSettings
from fanguai.kinship._bench import run_bench

KEYS = (
    "median_query_seconds",
    "p90_query_seconds",
    "median_query_seconds_one_core",
    "query_cpu_seconds",
    "query_cpu_seconds_one_core",
    "batch_seconds",
    "batch_cpu_seconds",
    "bytes_per_profile",
    "numpy_scan_median_query_seconds",
    "numpy_scan_query_cpu_seconds",
    "ratio_numpy_scan_to_search",
    "per_pair_query_seconds_estimated",
    "ratio_per_pair_to_search",
    "hits_identical_to_duo_lr",
    "batch_equals_one_at_a_time",
    "true_parent_ranked_first",
    "true_parent_among_hits",
    "build_seconds_encoded",
    "add_many_profiles_per_second",
    "machine",
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--profiles", type=int, default=1_000_000)
    parser.add_argument("--loci", type=int, default=20)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--batch-queries", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    for name, settings in (
        ("stepwise", KinshipSettings(mutation_model="stepwise", rate=0.002)),
        ("no mutation, theta 0.01", KinshipSettings(theta=0.01)),
    ):
        result = run_bench(args.profiles, args.loci, args.queries, args.seed, settings)
        print(json.dumps({"settings": name} | {k: result[k] for k in KEYS}))
    big = run_bench(args.profiles, args.loci, args.batch_queries, args.seed, baseline_queries=2)
    print(
        json.dumps(
            {
                "settings": f"stepwise, batch of {args.batch_queries}",
                "batch_seconds": big["batch_seconds"],
                "batch_cpu_seconds": big["batch_cpu_seconds"],
                "median_query_seconds": big["median_query_seconds"],
                "batch_equals_one_at_a_time": big["batch_equals_one_at_a_time"],
                "machine": big["machine"],
            }
        )
    )


if __name__ == "__main__":
    main()
