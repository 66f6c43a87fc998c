"""Settings of the alerts module (environment prefix ``FANGUAI_ALERTS_``).

The ring schedule follows the Ministry of Public Security's 团圆 platform: 100 km while the
child has been missing under 1 hour, 200 km under 2, 300 km under 3, 500 km beyond. It is
configurable as ``hours:km`` pairs with ``*`` for the last ring, e.g. ``1:100,2:200,3:300,*:500``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SCHEDULE = "1:100,2:200,3:300,*:500"


@dataclass(frozen=True)
class Ring:
    """Missing for less than ``under_hours`` (inf for the last ring): alert within ``km``."""

    under_hours: float
    km: float


def parse_schedule(text: str) -> tuple[Ring, ...]:
    """``"1:100,2:200,*:500"`` → rings; hours and radii must both increase."""
    rings: list[Ring] = []
    for part in text.split(","):
        hours, sep, km = part.strip().partition(":")
        if not sep:
            raise ValueError(f"ring {part.strip()!r} is not hours:km")
        try:
            under = math.inf if hours.strip() == "*" else float(hours)
            radius = float(km)
        except ValueError:
            raise ValueError(f"ring {part.strip()!r}: hours and km must be numbers") from None
        if not (radius > 0 and math.isfinite(radius)) or not under > 0:
            raise ValueError(f"ring {part.strip()!r}: hours and km must be positive")
        if rings and (under <= rings[-1].under_hours or radius <= rings[-1].km):
            raise ValueError("rings must widen: hours and km both increasing")
        rings.append(Ring(under, radius))
    if not rings or rings[-1].under_hours != math.inf:
        raise ValueError("the last ring must be '*:km' (for any time beyond)")
    return tuple(rings)


def radius_for(schedule: tuple[Ring, ...], missing_for: timedelta) -> float:
    """The ring radius for a child missing for ``missing_for`` (measured from disappearance)."""
    hours = max(0.0, missing_for.total_seconds() / 3600)
    for ring in schedule:
        if hours < ring.under_hours:
            return ring.km
    return schedule[-1].km


class AlertSettings(BaseSettings):
    """Ring schedule, dispatch batching and retries, duty deadlines."""

    model_config = SettingsConfigDict(env_prefix="FANGUAI_ALERTS_", extra="ignore")

    schedule: str = Field(DEFAULT_SCHEDULE, description="Ring radii by hours missing.")
    plan_chunk: int = Field(5000, ge=100, description="Recipients planned per transaction.")
    max_attempts: int = Field(8, ge=1, description="Tries before a batch is given up.")
    backoff_seconds: float = Field(30.0, gt=0, description="First retry delay; doubles.")
    backoff_cap_seconds: float = Field(3600.0, gt=0)
    sending_lease_seconds: float = Field(
        300.0, ge=0, description="A batch claimed this long ago by a worker that died is resent."
    )
    internal_batch_size: int = Field(200, ge=1)
    public_base_url: str = Field("", description="Prefix for links in SMS and e-mail texts.")
    connect_timeout: float = Field(3.0, gt=0)
    read_timeout: float = Field(10.0, gt=0)
    rescue_hours: int = Field(2, ge=1, description="Deadline of the rescue (search) duty.")
    investigation_hours: int = Field(24, ge=1)
    family_hours: int = Field(24, ge=1)
    inactive_retention_months: int = Field(
        12,
        ge=1,
        description="A deactivated volunteer's address or app user's token is erased after it.",
    )

    @field_validator("schedule")
    @classmethod
    def _valid_schedule(cls, value: str) -> str:
        parse_schedule(value)
        return value

    @property
    def rings(self) -> tuple[Ring, ...]:
        return parse_schedule(self.schedule)

    def backoff(self, attempts: int) -> timedelta:
        """Delay before the next try after ``attempts`` failed ones (exponential, capped)."""
        seconds = self.backoff_seconds * 2 ** max(0, attempts - 1)
        return timedelta(seconds=min(seconds, self.backoff_cap_seconds))


@lru_cache(maxsize=1)
def alert_settings() -> AlertSettings:
    """The settings of this process (tests pass their own where it matters)."""
    return AlertSettings()
