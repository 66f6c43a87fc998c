"""What the JSON routes and the pages of the leads module share: body limits, the client
address, answers to refusals that need headers (429 with Retry-After), the county list."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from fanguai import geo
from fanguai.core.actor import Actor
from fanguai.errors import DomainError
from fanguai.security.scope import covers


class PayloadTooLarge(DomainError):
    """A body over the limit, refused while it streams in (E7: never buffered whole)."""

    status_code = 413
    code = "payload_too_large"

    def __init__(self, limit: int) -> None:
        super().__init__(f"request body over {limit} bytes")


async def read_capped(request: Request, limit: int) -> bytes:
    """The request body, read chunk by chunk and refused once it passes ``limit`` bytes."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(limit)
        chunks.append(chunk)
    body = b"".join(chunks)
    request._body = body  # starlette then parses the form from it instead of the stream
    return body


def body_limit(request: Request) -> int:
    """The installation's request size limit."""
    return int(request.app.state.settings.max_request_bytes)


def client_address(request: Request) -> str | None:
    """The caller's address, for rate limiting only (hashed before it is stored)."""
    return request.client.host if request.client else None


def secret(request: Request) -> bytes:
    """The installation's secret (challenges are signed with a key derived from it)."""
    return request.app.state.settings.secret_key.get_secret_value().encode()


@dataclass(frozen=True)
class CityCounties:
    """A city and its counties, for the place pickers."""

    code: str
    name: str
    counties: list[tuple[str, str]]


def county_choices(actor: Actor | None = None) -> list[CityCounties]:
    """Every county of Jiangsu by city (only those inside the actor's jurisdiction if given)."""
    out = []
    for city in geo.divisions("city"):
        counties = [
            (c.code, c.name)
            for c in geo.children(city.code)
            if actor is None or covers(actor, c.code)
        ]
        if counties:
            out.append(CityCounties(city.code, city.name, counties))
    return out


def counties_in_scope(actor: Actor) -> list[str] | None:
    """County codes inside the actor's jurisdiction (None: the whole province)."""
    if actor.level == "province":
        return None
    return [code for city in county_choices(actor) for code, _ in city.counties]
