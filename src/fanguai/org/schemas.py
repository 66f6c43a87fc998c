"""API schemas of the organisation subject."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class UnitRead(BaseModel):
    """A unit as the API shows it."""

    model_config = ConfigDict(from_attributes=True)

    id: str = Field(description="opaque identifier")
    code: str
    name: str
    department: str
    department_name: str
    level: str
    division_code: str
    division_name: str
    is_member: bool
    is_office: bool


class UnitPage(BaseModel):
    """One page of units."""

    items: list[UnitRead]
    total: int
    page: int
    page_size: int


class UserCreate(BaseModel):
    """What it takes to create a staff user."""

    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=3, max_length=64, pattern=r"^[a-z0-9][a-z0-9._-]*$")
    display_name: str = Field(min_length=1, max_length=64)
    unit_code: str = Field(min_length=3, max_length=20)
    password: str = Field(min_length=12, max_length=128)
    roles: list[str] = Field(default_factory=list, max_length=5)


class UserRead(BaseModel):
    """A staff user as the API shows it (never the password hash)."""

    id: str
    username: str
    display_name: str
    unit_code: str
    unit_name: str
    roles: list[str]
    is_active: bool
