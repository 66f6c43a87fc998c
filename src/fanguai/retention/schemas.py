"""API shapes of the retention module."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class HoldCreate(BaseModel):
    """Place a legal hold on one record."""

    model_config = ConfigDict(extra="forbid")

    object_type: str = Field(max_length=20)
    object_id: str = Field(max_length=36)
    reason: str = Field(max_length=500)


class HoldRelease(BaseModel):
    """Release a legal hold."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(max_length=500)


class HoldRead(BaseModel):
    """A legal hold as its holders see it."""

    id: str
    object_type: str
    object_id: str
    reason: str
    placed_by: str
    placed_at: datetime
    released_at: datetime | None
    released_by: str | None
    release_reason: str | None


class HoldPage(BaseModel):
    items: list[HoldRead]
    total: int


class ClassRead(BaseModel):
    """One class of the schedule, with the records due now in the reader's scope."""

    code: str
    object_type: str
    clock: str
    months: int | None
    action: str
    handled_by: str | None
    due: int | None
    held: int | None


def hold_read(hold) -> HoldRead:  # type: ignore[no-untyped-def]
    return HoldRead(
        id=hold.public_id,
        object_type=hold.object_type,
        object_id=hold.object_id,
        reason=hold.reason,
        placed_by=hold.placed_by_name,
        placed_at=hold.placed_at,
        released_at=hold.released_at,
        released_by=hold.released_by_name,
        release_reason=hold.release_reason,
    )
