"""Synthetic subscriber points spread like Jiangsu's population (for the demo and the bench).

Each city's share follows its resident population in the 2020 census (millions); inside a city
the points cluster around its counties' label points (from fanguai.geo), a few kilometres wide.
"""

from __future__ import annotations

import numpy as np

from fanguai.geo.service import divisions

# Seventh national census (2020), resident population in millions.
CITY_POPULATION = {
    "320100": 9.31,
    "320200": 7.46,
    "320300": 9.08,
    "320400": 5.28,
    "320500": 12.75,
    "320600": 7.73,
    "320700": 4.60,
    "320800": 4.56,
    "320900": 6.71,
    "321000": 4.56,
    "321100": 3.21,
    "321200": 4.51,
    "321300": 4.99,
}
SPREAD_DEG = 0.06


def sample_points(n: int, seed: int = 2026) -> tuple[np.ndarray, np.ndarray]:
    """``n`` (lat, lng) points, seeded: cities by population, counties evenly within a city."""
    rng = np.random.default_rng(seed)
    counties = [d for d in divisions("county") if d.parent in CITY_POPULATION]
    per_city: dict[str, int] = {}
    for d in counties:
        per_city[d.parent or ""] = per_city.get(d.parent or "", 0) + 1
    weights = np.array(
        [CITY_POPULATION[d.parent or ""] / per_city[d.parent or ""] for d in counties]
    )
    weights /= weights.sum()
    pick = rng.choice(len(counties), size=n, p=weights)
    lat0 = np.array([d.lat for d in counties])[pick]
    lng0 = np.array([d.lng for d in counties])[pick]
    lat = lat0 + rng.normal(0.0, SPREAD_DEG, n)
    lng = lng0 + rng.normal(0.0, SPREAD_DEG * 1.15, n)
    return lat, lng
