"""Engine settings: one frozen, serialisable object validated in one place."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any

from fanguai.kinship.errors import InvalidSettings

ENGINE_VERSION = "0.3.0"

MUTATION_MODELS = ("none", "equal", "proportional", "stepwise")


def _number(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidSettings(f"setting {name!r} must be a number, got {value!r}")
    v = float(value)
    if not math.isfinite(v):
        raise InvalidSettings(f"setting {name!r} must be finite, got {value!r}")
    return v


@dataclass(frozen=True)
class KinshipSettings:
    """How likelihood ratios are computed.

    ``rate`` is the per-meiosis mutation rate of male (and duo-parent) transmissions,
    ``rate_female`` that of female transmissions (``None``: same as ``rate``); ``theta`` the
    Balding–Nichols coancestry coefficient; ``floor`` the frequency of alleles a table lacks.
    """

    mutation_model: str = "none"
    rate: float = 0.002
    rate_female: float | None = None
    theta: float = 0.0
    floor: float = 0.001

    def __post_init__(self) -> None:
        if self.mutation_model not in MUTATION_MODELS:
            raise InvalidSettings(
                f"setting 'mutation_model' must be one of {', '.join(MUTATION_MODELS)}; "
                f"got {self.mutation_model!r}"
            )
        object.__setattr__(self, "rate", _number("rate", self.rate))
        if not 0.0 <= self.rate <= 1.0:
            raise InvalidSettings(f"setting 'rate' must be between 0 and 1, got {self.rate!r}")
        if self.rate_female is not None:
            rf = _number("rate_female", self.rate_female)
            if not 0.0 <= rf <= 1.0:
                raise InvalidSettings(
                    f"setting 'rate_female' must be between 0 and 1, got {self.rate_female!r}"
                )
            object.__setattr__(self, "rate_female", rf)
        object.__setattr__(self, "theta", _number("theta", self.theta))
        if not 0.0 <= self.theta < 1.0:
            raise InvalidSettings(
                f"setting 'theta' must be at least 0 and below 1, got {self.theta!r}"
            )
        object.__setattr__(self, "floor", _number("floor", self.floor))
        if not 0.0 < self.floor < 1.0:
            raise InvalidSettings(
                f"setting 'floor' must be above 0 and below 1, got {self.floor!r}"
            )

    @property
    def male_rate(self) -> float:
        return self.rate

    @property
    def female_rate(self) -> float:
        return self.rate if self.rate_female is None else self.rate_female

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> KinshipSettings:
        if not isinstance(data, dict):
            raise InvalidSettings(f"settings must be an object, got {type(data).__name__}")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise InvalidSettings(f"unknown setting {unknown[0]!r}")
        return cls(**data)
