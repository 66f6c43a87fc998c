"""API schemas of the people subject."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field, model_validator

from fanguai.people.models import KINDS


class PersonCreate(BaseModel):
    """A new person record. Unknown is a value: leave out what is not known."""

    model_config = ConfigDict(extra="forbid")

    kind: str = Field(pattern="^(" + "|".join(KINDS) + ")$")
    name: str | None = Field(None, max_length=64)
    former_names: list[str] = Field(default_factory=list, max_length=10)
    id_card: str | None = Field(None, max_length=20)
    sex: str = Field("unknown", pattern="^(male|female|unknown)$")
    birth_date: date | None = None
    age_min: int | None = Field(None, ge=0, le=120)
    age_max: int | None = Field(None, ge=0, le=120)
    phone: str | None = Field(None, max_length=20, pattern=r"^[0-9+\- ]{5,20}$")
    address: str | None = Field(None, max_length=200)
    notes: str | None = Field(None, max_length=4000)
    county_code: str | None = Field(None, pattern=r"^\d{6}$")

    @model_validator(mode="after")
    def _age_range(self) -> PersonCreate:
        if self.age_min is not None and self.age_max is not None and self.age_min > self.age_max:
            raise ValueError("age_min must not exceed age_max")
        return self


class PersonSummary(BaseModel):
    """A person in a list: identity fields masked."""

    id: str
    kind: str
    name: str | None
    id_card: str | None
    sex: str
    age: str
    minor: str  # under14 | under18 | adult | unknown
    owner_unit: str
    erased: bool


class PersonDetail(PersonSummary):
    """One person: masked identity, the rest in clear (for those allowed to see the record)."""

    former_names: list[str]
    phone: str | None
    address: str | None
    notes: str | None
    county_code: str | None
    created_at: str


class RevealRequest(BaseModel):
    """Which fields to show unmasked, and why (kept in the audit record)."""

    model_config = ConfigDict(extra="forbid")

    fields: list[str] = Field(min_length=1, max_length=6)
    reason: str = Field(min_length=4, max_length=200)


class GrantRequest(BaseModel):
    """Ask for time-limited access to a minor's record."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=4, max_length=500)


class BreakGlassRequest(BaseModel):
    """Emergency access: a reason of at least 20 characters, right after a fresh second factor."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=20, max_length=500)


class GrantRead(BaseModel):
    """An access grant."""

    id: str
    person: str
    requester: str
    approver: str | None
    kind: str
    reason: str
    status: str
    expires_at: str | None
