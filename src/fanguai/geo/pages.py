"""Divisions page (ECharts map of Jiangsu's counties) and the geo JSON routes."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fanguai import geo
from fanguai.core.actor import Actor
from fanguai.org.models import Division, Unit
from fanguai.security.scope import sees_unit_clause
from fanguai.web.deps import get_session, require
from fanguai.web.templating import render

router = APIRouter()


@lru_cache(maxsize=1)
def _map_bytes() -> bytes:
    return resources.files("fanguai.geo").joinpath("data/jiangsu-map.geojson").read_bytes()


@router.get("/divisions")
def divisions_page(
    request: Request,
    actor: Actor = require("divisions.read"),
    session: Session = Depends(get_session),
) -> Response:
    """Cities and counties with a map; counts of units per county within the user's view."""
    rows = session.execute(select(Division).order_by(Division.code)).scalars().all()
    unit_counts = dict(
        session.execute(
            select(Unit.division_code, func.count())
            .where(sees_unit_clause(actor, Unit.division_code))
            .group_by(Unit.division_code)
        ).all()
    )
    cities = [d for d in rows if d.level == "city"]
    counties: dict[str, list[Division]] = {}
    for d in rows:
        if d.level == "county" and d.parent_code:
            counties.setdefault(d.parent_code, []).append(d)
    return render(
        request,
        "geo/divisions.html",
        {
            "cities": cities,
            "counties": counties,
            "unit_counts": unit_counts,
            "n_counties": sum(len(v) for v in counties.values()),
        },
    )


@router.get("/api/geo/map")
def map_geojson(actor: Actor = require("divisions.read")) -> Response:
    """Simplified county boundaries for drawing the map."""
    return Response(_map_bytes(), media_type="application/geo+json")


@router.get("/api/divisions")
def list_divisions(
    level: str | None = Query(None, pattern="^(province|city|county)$"),
    actor: Actor = require("divisions.read"),
) -> list[dict[str, object]]:
    """Divisions of Jiangsu (code, name, level, parent, lat, lng)."""
    return [
        {
            "code": d.code,
            "name": d.name,
            "level": d.level,
            "parent": d.parent,
            "lat": d.lat,
            "lng": d.lng,
        }
        for d in geo.divisions(level)
    ]


@router.get("/api/geo/locate")
def locate(
    lat: float = Query(..., ge=-90, le=90),
    lng: float = Query(..., ge=-180, le=180),
    actor: Actor = require("divisions.read"),
) -> dict[str, object]:
    """The county and city containing a point (422 outside Jiangsu)."""
    found = geo.locate(lat, lng)
    return {
        "county": {"code": found.county.code, "name": found.county.name},
        "city": {"code": found.city.code, "name": found.city.name},
        "lat": lat,
        "lng": lng,
    }
