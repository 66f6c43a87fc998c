"""``fanguai alerts bench``: the spatial index and the batched dispatch, on synthetic data.

Subscribers are spread like Jiangsu's population (``population.sample_points``, seeded). Ring
queries are timed at several city centres and the median reported; dispatch sends the 100 km
ring's recipients in signed batches to a loopback webhook sink and reports recipients/second.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

import numpy as np

from fanguai.alerts.population import sample_points
from fanguai.alerts.sink import LoopbackSink
from fanguai.alerts.spatial import GridIndex, Ring, haversine_km
from fanguai.alerts.transports import Batch, Endpoint, HttpPoster, Recipient, WebhookTransport

# City centres the rings are drawn around (南京, 苏州, 徐州, 南通, 淮安).
CENTRES = ((32.06, 118.80), (31.30, 120.59), (34.26, 117.18), (32.01, 120.86), (33.61, 119.02))
SECRET = "bench-secret-0123456789abcdef"  # noqa: S105 - a loopback sink's key


def _median_query(index: GridIndex, km: float, repeat: int) -> tuple[float, int]:
    times, counts = [], []
    for _ in range(repeat):
        for lat, lng in CENTRES:
            started = time.perf_counter()
            found = index.query(Ring(lat, lng, km))
            times.append(time.perf_counter() - started)
            counts.append(len(found))
    return statistics.median(times), int(statistics.median(counts))


def _dispatch(index: GridIndex, positions: np.ndarray, batch_size: int, limit: int) -> float:
    ids = index.ids[positions[:limit]]
    alert = {"alert": "bench", "case_no": "320508-2026-00001", "description": "bench"}
    stage = {"seq": 1, "kind": "publish", "radius_km": 100}
    with LoopbackSink(SECRET, keep_bodies=False) as sink:
        transport = WebhookTransport(HttpPoster())
        endpoint = Endpoint(key="bench", kind="webhook", url=f"{sink.url}/webhook", secret=SECRET)
        started = time.perf_counter()
        for start in range(0, len(ids), batch_size):
            chunk = ids[start : start + batch_size].tolist()
            batch = Batch(
                key=f"b{start}",
                stage=stage,
                alert=alert,
                text="",
                subject="",
                recipients=[
                    Recipient(delivery=f"bench:1:{i}", subscriber=str(i), ref=f"push-{i}")
                    for i in chunk
                ],
            )
            transport.send(endpoint, batch)
        elapsed = time.perf_counter() - started
        transport.poster.close()
        assert len(sink.state.seen) == len(ids) and sink.state.bad_signatures == 0
    return len(ids) / elapsed


def run(
    subscribers: int,
    *,
    seed: int = 2026,
    repeat: int = 3,
    batch_size: int = 1000,
    dispatch_limit: int = 200_000,
) -> dict[str, Any]:
    """Build the index over ``subscribers`` synthetic points and measure it."""
    started = time.perf_counter()
    lat, lng = sample_points(subscribers, seed=seed)
    ids = np.arange(1, subscribers + 1, dtype=np.int64)
    generated = time.perf_counter() - started
    started = time.perf_counter()
    index = GridIndex(ids, lat, lng, np.ones(subscribers, np.int32), np.ones(subscribers, np.int8))
    built = time.perf_counter() - started
    q100, n100 = _median_query(index, 100.0, repeat)
    q500, n500 = _median_query(index, 500.0, repeat)
    started = time.perf_counter()
    haversine_km(
        CENTRES[0][0], CENTRES[0][1], index.lat.astype(np.float64), index.lng.astype(np.float64)
    )
    scan = time.perf_counter() - started
    positions = index.query(Ring(*CENTRES[1], 100.0))
    rate = _dispatch(index, positions, batch_size, dispatch_limit)
    return {
        "subscribers": subscribers,
        "seed": seed,
        "ring_km": 100,
        "recipients": n100,
        "ring_query_median_seconds": round(q100, 6),
        "ring_500_km_recipients": n500,
        "ring_500_km_query_median_seconds": round(q500, 6),
        "full_scan_seconds": round(scan, 6),
        "index_build_seconds": round(built, 3),
        "generate_seconds": round(generated, 3),
        "index_bytes_per_subscriber": round(index.nbytes / max(1, subscribers), 2),
        "dispatch_batch_size": batch_size,
        "dispatch_recipients": int(min(len(positions), dispatch_limit)),
        "dispatch_recipients_per_second": round(rate, 1),
    }
