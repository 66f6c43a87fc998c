"""API schemas of the identification module. Times without a zone are read as Beijing time."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from fanguai.identify.models import SOURCES

BEIJING = ZoneInfo("Asia/Shanghai")
_SOURCE = "^(" + "|".join(SOURCES) + ")$"
_SEX = "^(male|female|unknown)$"
_COUNTY = r"^\d{6}$"
_LOST_ON = r"^\d{4}(-\d{2}(-\d{2})?)?$"


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=BEIJING)
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class FoundCreate(_Strict):
    """A found person as registered. Unknown is a value: leave out what is not known."""

    source: str = Field(pattern=_SOURCE)
    found_at: datetime
    county_code: str = Field(pattern=_COUNTY)
    found_place: str | None = Field(None, max_length=200)
    found_by: str | None = Field(None, max_length=100)
    name: str | None = Field(None, max_length=64)
    former_names: list[str] = Field(default_factory=list, max_length=10)
    sex: str = Field("unknown", pattern=_SEX)
    birth_date: date | None = None
    age_min: int | None = Field(None, ge=0, le=120)
    age_max: int | None = Field(None, ge=0, le=120)
    description: str | None = Field(None, max_length=4000)
    documents: str | None = Field(None, max_length=1000)
    father_name: str | None = Field(None, max_length=64)
    mother_name: str | None = Field(None, max_length=64)
    home_place: str | None = Field(None, max_length=200)
    shelter_entered_at: datetime | None = None

    _zone = field_validator("found_at", "shelter_entered_at")(_aware)

    @field_validator("age_max")
    @classmethod
    def _age_range(cls, value: int | None, info: ValidationInfo) -> int | None:
        low = info.data.get("age_min")
        if value is not None and low is not None and low > value:
            raise ValueError("age_max must not be below age_min")
        return value

    @field_validator("shelter_entered_at")
    @classmethod
    def _after_finding(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        found_at = info.data.get("found_at")
        if value is not None and found_at is not None and value < found_at:
            raise ValueError("shelter_entered_at must not precede found_at")
        return value


class FoundSummary(BaseModel):
    """A found person in a list: the claimed name masked."""

    id: str
    name: str | None
    sex: str
    age: str
    source: str
    status: str
    county_code: str
    county_name: str
    found_at: str
    found_on: str  # the Beijing date of the finding
    owner_unit: str
    open_tasks: int
    overdue_tasks: int


class FoundDetail(FoundSummary):
    """One found person, as the record page and the API show it (identity masked)."""

    found_by: str | None
    found_place: str | None
    description: str | None
    documents: str | None
    claims: dict[str, str]
    shelter_entered_at: str | None
    search_notice_at: str | None
    search_notice_ref: str | None
    sampled_at: str | None
    sample_ref: str | None
    identified_at: str | None
    reunited_at: str | None
    closed_at: str | None
    close_reason: str | None
    photos: list[str]
    created_at: str


class SearchNoticeRecord(_Strict):
    """The search notice (寻亲公告) was published: where, and when."""

    reference: str = Field(min_length=2, max_length=200)
    published_at: datetime | None = None

    _zone = field_validator("published_at")(_aware)


class SampleRecord(_Strict):
    """A blood sample was taken for DNA typing (采血)."""

    sample_ref: str = Field(min_length=2, max_length=64, pattern=r"^[0-9A-Za-z\-_.]+$")
    taken_at: datetime | None = None

    _zone = field_validator("taken_at")(_aware)


class SpecimenAttach(_Strict):
    """The lab's specimen ID of this person's typed profile."""

    specimen: str = Field(min_length=4, max_length=64)


class CloseRequest(_Strict):
    """Close a found person's record without identification through this platform."""

    reason: str = Field(min_length=4, max_length=200)


class RejectRequest(_Strict):
    """A reviewer's rejection of a candidate, with the reason."""

    reason: str = Field(min_length=4, max_length=1000)


class ConfirmRequest(_Strict):
    """The analyst's signature under a confirmation."""

    note: str | None = Field(None, max_length=1000)


class RetestRecord(_Strict):
    """A fresh specimen of the found person typed again (复核检验)."""

    specimen: str = Field(min_length=4, max_length=64)


class ReunificationCreate(_Strict):
    """The family met the child (团聚)."""

    reunited_on: date
    place: str = Field(min_length=2, max_length=200)
    family_contacted: str = Field(min_length=2, max_length=500)
    child_wishes: str | None = Field(None, max_length=1000)
    note: str | None = Field(None, max_length=500)


class MissingRecordCreate(_Strict):
    """A long-missing child registered by the family (寻亲登记)."""

    name: str | None = Field(None, max_length=64)
    sex: str = Field("unknown", pattern=_SEX)
    birth_date: date | None = None
    county_code: str = Field(pattern=_COUNTY)
    lost_on: str | None = Field(None, pattern=_LOST_ON)
    lost_place: str | None = Field(None, max_length=200)
    father_name: str | None = Field(None, max_length=64)
    mother_name: str | None = Field(None, max_length=64)
    features: str | None = Field(None, max_length=2000)
    contact: str | None = Field(None, max_length=40, pattern=r"^[0-9+\- ]{5,40}$")


class MissingSummary(BaseModel):
    """A long-missing child in a list (name masked)."""

    id: str
    name: str | None
    sex: str
    birth_year: str | None
    county_code: str
    county_name: str
    lost_on: str | None
    status: str
    owner_unit: str
    registered_at: str


class MissingDetail(MissingSummary):
    """One long-missing child's record (family names masked)."""

    lost_place: str | None
    father_name: str | None
    mother_name: str | None
    features: str | None
    contact: str | None  # masked: first 3 and last 4 digits
    specimens: list[dict[str, str]]


class ParentSpecimenLink(_Strict):
    """A parent's specimen to link to a long-missing child's record."""

    specimen: str = Field(min_length=4, max_length=64)
    relation: str = Field(pattern="^(father|mother)$")


class EvidenceRead(BaseModel):
    """One kind of evidence on a candidate."""

    kind: str
    score: float
    engine_version: str
    created_at: str
    detail: dict[str, Any]


class CandidateRead(BaseModel):
    """A candidate family with its evidence; the side is hidden until it may be shown."""

    id: str
    found_person: str
    level: str
    side_type: str | None
    side_id: str | None
    side_label: str | None
    side_hidden: bool
    specimens: list[str]
    retest: str | None
    decision: str | None
    decision_reason: str | None
    evidence: list[EvidenceRead]
