"""A grid index over subscribers' points: a ring's recipients without scanning everyone.

Points are bucketed into cells of ``CELL_DEG`` degrees (about 2 km) and stored sorted by cell,
so the points of consecutive cells of one row are one contiguous slice. A query classifies each
cell of the ring's bounding box from its corners:

- outside the ring (or wholly inside the hole of an annulus): skipped;
- wholly inside: its points are taken as they are, no per-point work;
- on the border: its points get the exact great-circle check.

Only the border cells' points are measured, so the work grows with the ring's circumference and
the number of recipients, not with the number of subscribers. The farthest point of a
latitude/longitude cell from a centre is one of its corners (distance grows monotonically along
a parallel away from the centre's meridian and is unimodal along a meridian), and the nearest is
on the edge facing the centre, which makes the classification exact.

Memory per point: cell key (4 bytes), latitude and longitude (float32, 4 + 4; about 1 m of
rounding), subscriber id (4), endpoint (4) and channel (1): 21 bytes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from fanguai.geo.service import EARTH_RADIUS_KM

CELL_DEG = 0.02
LAT_MIN, LAT_MAX = 0.0, 60.0
LNG_MIN, LNG_MAX = 70.0, 140.0
N_ROWS = round((LAT_MAX - LAT_MIN) / CELL_DEG)
N_COLS = round((LNG_MAX - LNG_MIN) / CELL_DEG)
KM_PER_DEG = math.pi * EARTH_RADIUS_KM / 180.0


class OutsideGrid(ValueError):
    """A point outside the area the grid covers (China and its surroundings)."""


def _cell_rc(lat: np.ndarray, lng: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    rows = np.floor((lat - LAT_MIN) / CELL_DEG).astype(np.int64)
    cols = np.floor((lng - LNG_MIN) / CELL_DEG).astype(np.int64)
    return rows, cols


def haversine_km(lat0: float, lng0: float, lat: np.ndarray, lng: np.ndarray) -> np.ndarray:
    """Great-circle distances in km from one point to many (degrees in, float64 out)."""
    phi0 = math.radians(lat0)
    phi = np.radians(lat)
    dphi = phi - phi0
    dlmb = np.radians(lng - lng0)
    a = np.sin(dphi / 2) ** 2 + math.cos(phi0) * np.cos(phi) * np.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


@dataclass
class Ring:
    """An annulus ``inner < d <= outer`` (a disk when ``inner`` is 0) around a point."""

    lat: float
    lng: float
    outer_km: float
    inner_km: float = 0.0

    def contains(self, distances: np.ndarray) -> np.ndarray:
        inside = distances <= self.outer_km
        return inside & (distances > self.inner_km) if self.inner_km > 0 else inside


class GridIndex:
    """Points sorted by grid cell, with their subscriber id, endpoint and channel."""

    def __init__(
        self,
        ids: np.ndarray,
        lat: np.ndarray,
        lng: np.ndarray,
        endpoint: np.ndarray | None = None,
        channel: np.ndarray | None = None,
    ) -> None:
        n = len(ids)
        lat32 = np.asarray(lat, dtype=np.float32)
        lng32 = np.asarray(lng, dtype=np.float32)
        if n and (
            not np.all(np.isfinite(lat32))
            or lat32.min() < LAT_MIN
            or lat32.max() >= LAT_MAX
            or lng32.min() < LNG_MIN
            or lng32.max() >= LNG_MAX
        ):
            raise OutsideGrid("a point lies outside the grid (lat 0–60, lng 70–140)")
        # Cells from the stored (float32) coordinates, so each point lies inside its own cell.
        rows, cols = _cell_rc(lat32.astype(np.float64), lng32.astype(np.float64))
        keys = (rows * N_COLS + cols).astype(np.int32)
        order = np.argsort(keys, kind="stable")
        self.keys = keys[order]
        self.lat = lat32[order]
        self.lng = lng32[order]
        self.ids = np.asarray(ids, dtype=np.int32)[order]
        self.endpoint = (
            np.zeros(n, np.int32) if endpoint is None else np.asarray(endpoint, np.int32)[order]
        )
        self.channel = (
            np.zeros(n, np.int8) if channel is None else np.asarray(channel, np.int8)[order]
        )

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def nbytes(self) -> int:
        """Memory held by the index arrays."""
        return sum(
            a.nbytes for a in (self.keys, self.lat, self.lng, self.ids, self.endpoint, self.channel)
        )

    def query(self, ring: Ring) -> np.ndarray:
        """Positions (into ``ids``, ``endpoint``, ``channel``) of the points in the ring."""
        if len(self) == 0 or ring.outer_km <= ring.inner_km:
            return np.empty(0, np.int64)
        r0, r1, c0, c1 = self._box(ring)
        if r0 > r1 or c0 > c1:
            return np.empty(0, np.int64)
        near, far = self._cell_distances(ring, r0, r1, c0, c1)
        skip = near > ring.outer_km
        if ring.inner_km > 0:
            skip |= far <= ring.inner_km
            whole = (far <= ring.outer_km) & (near > ring.inner_km)
        else:
            whole = far <= ring.outer_km
        border = ~skip & ~whole
        row_keys = (np.arange(r0, r1 + 1, dtype=np.int64) * N_COLS)[:, None] + np.arange(
            c0, c1 + 1, dtype=np.int64
        )
        taken = self._gather(row_keys, whole)
        candidates = self._gather(row_keys, border)
        if len(candidates):
            d = haversine_km(
                ring.lat,
                ring.lng,
                self.lat[candidates].astype(np.float64),
                self.lng[candidates].astype(np.float64),
            )
            candidates = candidates[ring.contains(d)]
        return np.concatenate((taken, candidates))

    def _box(self, ring: Ring) -> tuple[int, int, int, int]:
        dlat = ring.outer_km / KM_PER_DEG
        lat_lo, lat_hi = max(LAT_MIN, ring.lat - dlat), min(LAT_MAX - 1e-9, ring.lat + dlat)
        angular = ring.outer_km / EARTH_RADIUS_KM
        cos_lat = math.cos(math.radians(ring.lat))
        ratio = math.sin(angular) / cos_lat if cos_lat > 0 else 2.0
        # The widest longitude a spherical cap reaches (the whole circle when it holds a pole).
        dlng = math.degrees(math.asin(ratio)) if ratio < 1 and angular < math.pi / 2 else 180.0
        lng_lo, lng_hi = max(LNG_MIN, ring.lng - dlng), min(LNG_MAX - 1e-9, ring.lng + dlng)
        (r0, r1), (c0, c1) = _cell_rc(np.array([lat_lo, lat_hi]), np.array([lng_lo, lng_hi]))
        return int(r0), int(r1), int(c0), int(c1)

    @staticmethod
    def _cell_distances(
        ring: Ring, r0: int, r1: int, c0: int, c1: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Nearest and farthest distance of every cell in the box (rows × cols, km)."""
        lat_edges = LAT_MIN + np.arange(r0, r1 + 2) * CELL_DEG
        lng_edges = LNG_MIN + np.arange(c0, c1 + 2) * CELL_DEG
        corner_lat, corner_lng = np.meshgrid(lat_edges, lng_edges, indexing="ij")
        corners = haversine_km(ring.lat, ring.lng, corner_lat, corner_lng)
        far = np.maximum.reduce(
            [corners[:-1, :-1], corners[1:, :-1], corners[:-1, 1:], corners[1:, 1:]]
        )
        lng_a, lng_b = lng_edges[:-1], lng_edges[1:]
        # Nearest meridian of each column (the centre's own when the column holds it).
        nearest_lng = np.clip(ring.lng, lng_a, lng_b)
        dlmb = np.radians(nearest_lng - ring.lng)
        # On a meridian offset by dlmb the nearest latitude is atan(tan φ0 / cos dlmb).
        foot = np.degrees(np.arctan(math.tan(math.radians(ring.lat)) / np.cos(dlmb)))
        lat_a, lat_b = lat_edges[:-1, None], lat_edges[1:, None]
        nearest_lat = np.clip(foot[None, :], lat_a, lat_b)
        near = haversine_km(
            ring.lat, ring.lng, nearest_lat, np.broadcast_to(nearest_lng, far.shape)
        )
        return near, far

    def _gather(self, cell_keys: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Positions of the points in the masked cells; runs of cells in a row are one slice."""
        if not mask.any():
            return np.empty(0, np.int64)
        padded = np.zeros((mask.shape[0], mask.shape[1] + 2), dtype=np.int8)
        padded[:, 1:-1] = mask
        edges = np.diff(padded, axis=1)
        run_rows, run_start = np.nonzero(edges == 1)
        _, run_end = np.nonzero(edges == -1)  # one past the run's last column
        first = cell_keys[run_rows, run_start]
        last = cell_keys[run_rows, run_end - 1]
        starts = np.searchsorted(self.keys, first, side="left")
        ends = np.searchsorted(self.keys, last, side="right")
        keep = ends > starts
        starts, ends = starts[keep], ends[keep]
        if not len(starts):
            return np.empty(0, np.int64)
        lengths = ends - starts
        # Concatenated aranges without a Python loop over runs.
        offsets = np.repeat(starts - np.concatenate(([0], np.cumsum(lengths)[:-1])), lengths)
        return np.arange(lengths.sum(), dtype=np.int64) + offsets
