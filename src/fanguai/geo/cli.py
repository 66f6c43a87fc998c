"""``fanguai geo``: query the Jiangsu divisions. Output formats are contracts for other tools."""

from __future__ import annotations

import json
from dataclasses import asdict
from enum import StrEnum
from typing import Annotated, Any, NoReturn

import typer

from fanguai.errors import DomainError
from fanguai.geo import service

app = typer.Typer(
    help="Jiangsu administrative divisions: list, locate a point, find nearby counties.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# Lets negative coordinates be passed as plain arguments (`locate -33.9 151.2`): click would
# otherwise read "-33.9" as an unknown short option. `--` before them works as well.
_NUMBER_ARGS = {"ignore_unknown_options": True}

EXIT_OUTSIDE = 1
EXIT_INVALID = 2


class Level(StrEnum):
    """Division levels accepted by ``--level``."""

    province = "province"
    city = "city"
    county = "county"


JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON (UTF-8) instead of text.")]
Lat = Annotated[float, typer.Argument(help="Latitude in degrees (WGS84 / CGCS2000).")]
Lng = Annotated[float, typer.Argument(help="Longitude in degrees (WGS84 / CGCS2000).")]


def _echo_json(value: Any) -> None:
    typer.echo(json.dumps(value, ensure_ascii=False))


def _fail(exc: DomainError) -> NoReturn:
    typer.echo(f"error: {exc.message}", err=True)
    code = EXIT_OUTSIDE if isinstance(exc, service.OutsideJiangsu) else EXIT_INVALID
    raise typer.Exit(code)


@app.command("divisions")
def divisions_command(
    level: Annotated[Level | None, typer.Option(help="Only divisions of this level.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """List the province, cities and counties with their label points."""
    items = service.divisions(level.value if level else None)
    if as_json:
        _echo_json([asdict(d) for d in items])
        return
    for d in items:
        # Name last: CJK characters are double width and would break column alignment.
        typer.echo(
            f"{d.code}  {d.level:<8}  {d.parent or '-':<6}  {d.lat:>9.5f}  {d.lng:>10.5f}  {d.name}"
        )


@app.command("locate", context_settings=_NUMBER_ARGS)
def locate_command(lat: Lat, lng: Lng, as_json: JsonFlag = False) -> None:
    """Print the county and city containing a point; exit 1 if it is outside Jiangsu."""
    try:
        found = service.locate(lat, lng)
    except DomainError as exc:
        _fail(exc)
    if as_json:
        _echo_json(
            {
                "county": {"code": found.county.code, "name": found.county.name},
                "city": {"code": found.city.code, "name": found.city.name},
                "lat": lat,
                "lng": lng,
            }
        )
        return
    typer.echo(f"{found.county.name} ({found.county.code}), {found.city.name} ({found.city.code})")


@app.command("within", context_settings=_NUMBER_ARGS)
def within_command(
    lat: Lat,
    lng: Lng,
    radius_km: Annotated[float, typer.Argument(help="Radius in km (>= 0).")],
    level: Annotated[Level, typer.Option(help="Level of the divisions to list.")] = Level.county,
    as_json: JsonFlag = False,
) -> None:
    """List divisions whose area comes within RADIUS_KM of the point, nearest first."""
    try:
        found = service.nearby_divisions(lat, lng, radius_km, level=level.value)
    except DomainError as exc:
        _fail(exc)
    if as_json:
        _echo_json([{**asdict(n.division), "distance_km": round(n.distance_km, 3)} for n in found])
        return
    if not found:
        typer.echo(f"no {level.value} within {radius_km:g} km", err=True)
    for n in found:
        d = n.division
        typer.echo(f"{n.distance_km:>8.2f} km  {d.code}  {d.name}")
