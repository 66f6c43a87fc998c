"""What the leads API and forms accept and answer."""

from __future__ import annotations

import math
import re
from datetime import datetime
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from fanguai.leads import catalogue

# Markup that a browser would run or load; refused rather than stored (text is always shown
# escaped, but a lead that carries a script is not a report a person wrote).
_MARKUP = re.compile(
    r"<\s*/?\s*(script|iframe|img|svg|object|embed|style|link|meta|form|input|a\b|body|html)"
    r"|javascript\s*:|\bon[a-z]+\s*=",
    re.IGNORECASE,
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _plain_text(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if _CONTROL.search(value):
        raise PydanticCustomError("control_chars", "text must not contain control characters")
    if _MARKUP.search(value):
        raise PydanticCustomError("markup", "text must not contain HTML markup or scripts")
    return value or None


PlainText = Annotated[str, AfterValidator(_plain_text)]
LeadType = Literal[
    "missing_now",
    "trafficking",
    "illegal_adoption",
    "forced_labour",
    "sexual_exploitation",
    "online",
    "wandering_minor",
    "school_dropout",
    "child_labour",
    "sexual_abuse",
    "abuse_neglect",
    "other",
]
assert set(LeadType.__args__) == set(catalogue.LEAD_TYPES)  # type: ignore[attr-defined]
PublicLeadType = Literal[
    "missing_now",
    "trafficking",
    "illegal_adoption",
    "forced_labour",
    "sexual_exploitation",
    "online",
    "wandering_minor",
    "school_dropout",
    "child_labour",
    "other",
]
assert set(PublicLeadType.__args__) == set(catalogue.PUBLIC_TYPES)  # type: ignore[attr-defined]
ReportCategory = Literal[
    "sexual_abuse", "abuse_neglect", "suspected_trafficking", "missing", "other"
]
assert set(ReportCategory.__args__) == set(catalogue.REPORT_CATEGORIES)  # type: ignore[attr-defined]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=catalogue.MAX_DESCRIPTION)


class ChildInput(_Strict):
    """What the reporter says about the child (all optional: unknown is a value)."""

    name: PlainText | None = Field(None, max_length=40)
    sex: Literal["male", "female", "unknown"] = "unknown"
    age: PlainText | None = Field(None, max_length=20, description="e.g. 5, 约5岁, 3-4")
    features: PlainText | None = Field(None, max_length=500, description="clothing, marks")


class ReporterInput(_Strict):
    """A reporter who gives their name (optional: leads may be anonymous)."""

    name: PlainText = Field(min_length=1, max_length=40)
    phone: str | None = Field(None, pattern=r"^\+?[0-9][0-9 -]{4,19}$")


class AttachmentInput(_Strict):
    """A photo, base64-encoded (the API's way of sending what the form sends as a file)."""

    model_config = ConfigDict(extra="forbid", str_max_length=2_100_000)

    data_base64: str = Field(max_length=2_100_000)


class LeadInput(_Strict):
    """The content of a lead, whichever channel it comes through."""

    lead_type: LeadType
    danger_now: bool = False
    description: PlainText = Field(min_length=2, max_length=catalogue.MAX_DESCRIPTION)
    child: ChildInput | None = None
    last_seen_at: datetime | None = None
    county_code: str | None = Field(None, pattern=r"^\d{6}$")
    place_text: PlainText | None = Field(None, max_length=catalogue.MAX_SHORT_TEXT)
    lat: float | None = Field(None, ge=-90, le=90)
    lng: float | None = Field(None, ge=-180, le=180)
    reporter: ReporterInput | None = None
    attachments: list[AttachmentInput] = Field(default_factory=list, max_length=10)

    @field_validator("lat", "lng")
    @classmethod
    def _finite(cls, value: float | None) -> float | None:
        if value is not None and not math.isfinite(value):
            raise PydanticCustomError("finite", "must be a finite number")
        return value

    @model_validator(mode="after")
    def _point_has_both(self) -> LeadInput:
        if (self.lat is None) != (self.lng is None):
            raise PydanticCustomError("point", "give both lat and lng, or neither")
        return self

    def content(self) -> dict:
        """What identifies the submission for its idempotency key (no proof of work)."""
        return self.model_dump(mode="json", exclude={"challenge", "nonce", "website"})


class PublicLeadInput(LeadInput):
    """A lead from a member of the public: a public type, a solved challenge, the honeypot."""

    lead_type: PublicLeadType  # type: ignore[assignment]
    challenge: str = Field(max_length=400)
    nonce: str = Field(max_length=32)
    # Left empty by people (hidden from them); bots fill it in.
    website: str | None = Field(None, max_length=200)


class ReportInput(_Strict):
    """A mandatory report from a registered institution (强制报告)."""

    category: ReportCategory
    description: PlainText = Field(min_length=2, max_length=catalogue.MAX_DESCRIPTION)
    child: ChildInput | None = None
    last_seen_at: datetime | None = None
    county_code: str | None = Field(None, pattern=r"^\d{6}$")
    place_text: PlainText | None = Field(None, max_length=catalogue.MAX_SHORT_TEXT)
    attachments: list[AttachmentInput] = Field(default_factory=list, max_length=10)

    def as_lead(self) -> LeadInput:
        """The lead this report becomes."""
        return LeadInput(
            lead_type=catalogue.REPORT_CATEGORIES[self.category],  # type: ignore[arg-type]
            description=self.description,
            child=self.child,
            last_seen_at=self.last_seen_at,
            county_code=self.county_code,
            place_text=self.place_text,
            attachments=self.attachments,
        )


class Submitted(BaseModel):
    """The answer to a submission: what the reporter keeps to follow the lead."""

    tracking_code: str
    passphrase: str
    status: str
    refused_attachments: list[str] = Field(default_factory=list)


class StatusQuery(_Strict):
    """A reporter asks how their lead stands (in the body: the passphrase never enters a URL)."""

    tracking_code: str = Field(min_length=4, max_length=20)
    passphrase: str = Field(min_length=4, max_length=40)


class PublicStatus(BaseModel):
    """What the reporter sees: the step the lead has reached, nothing of its handling."""

    tracking_code: str
    status: Literal["received", "in_progress", "closed"]
    received: str  # YYYY-MM-DD (Beijing)


class ChallengeRead(BaseModel):
    """A proof-of-work challenge to solve before submitting."""

    challenge: str
    bits: int
    expires_at: str


class VersionedInput(_Strict):
    """A change to a lead, made against the version the client last saw (G1)."""

    version: int = Field(ge=1)


class TransferInput(VersionedInput):
    """Hand a lead to another unit, with a reason."""

    unit_code: str = Field(pattern=r"^\d{6}-[A-Z]{2,4}$")
    reason: PlainText = Field(min_length=2, max_length=500)


class OutcomeInput(VersionedInput):
    """Record how a lead ended."""

    outcome: Literal["substantiated", "unsubstantiated", "merged", "case_opened"]
    note: PlainText | None = Field(None, max_length=1000)
    merged_into: str | None = Field(None, max_length=20, description="tracking code")
    case_id: str | None = Field(None, max_length=36, description="the case's public id")


class LeadListItem(BaseModel):
    """A lead in the inbox: no narrative, no reporter identity."""

    id: str
    tracking_code: str
    lead_type: str
    urgency: str
    status: str
    channel: str
    county_code: str
    owner_unit: str
    received: str
    ack_due_at: str
    overdue: bool
    escalated: bool
    duplicate_of: str | None
    version: int


class LeadPage(BaseModel):
    """A page of the inbox and the total it was drawn from."""

    items: list[LeadListItem]
    total: int


class TimelineEntry(BaseModel):
    """One step in a lead's history."""

    at: str
    kind: str
    by: str | None = None
    from_unit: str | None = None
    to_unit: str | None = None
    note: str | None = None


class LeadDetail(LeadListItem):
    """A lead as the unit handling it sees it."""

    description: str
    child: dict | None
    place_text: str | None
    lat: float | None
    lng: float | None
    last_seen_at: str | None
    reporter_kind: str
    reporter_name: str | None
    reporter_phone: str | None
    institution: str | None
    outcome: str | None
    outcome_note: str | None
    case_id: str | None
    quarantine_reason: str | None
    attachments: list[str]
    timeline: list[TimelineEntry]
