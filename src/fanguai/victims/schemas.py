"""API schemas of the victim assistance module.

Types and lengths are checked here; rules that need the stored file (dates against the day of
reception, an age against the birth date, a closed file) are checked by the actions, which
name the offending field in their errors.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from fanguai.victims import catalogue as c

PUBLIC_ID = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
COUNTY = r"^\d{6}$"
COUNTRY = r"^[A-Z]{2}$"

Sex = Literal["male", "female", "unknown"]
ServiceKind = Literal[
    "shelter",
    "medical",
    "counselling",
    "legal_aid",
    "disability",
    "schooling",
    "employment",
    "return_home",
    "repatriation",
    "followup",
]
SectorKind = Literal["schooling", "medical", "counselling", "disability", "employment", "legal_aid"]
ExploitationType = Literal[
    "sexual",
    "labour",
    "begging",
    "criminality",
    "illegal_adoption",
    "forced_marriage",
    "organ_removal",
    "other",
]
MeansOfControl = Literal[
    "debt_bondage",
    "takes_earnings",
    "restricts_financial_access",
    "threats",
    "psychological_abuse",
    "physical_abuse",
    "sexual_abuse",
    "false_promises",
    "psychoactive_substances",
    "restricts_movement",
    "restricts_medical_care",
    "excessive_working_hours",
    "uses_children",
    "threat_of_law_enforcement",
    "withholds_necessities",
    "withholds_documents",
    "other",
]
RecruiterRelation = Literal[
    "intimate_partner",
    "friend",
    "family",
    "acquaintance",
    "stranger",
    "employer",
    "other",
    "unknown",
]
RecruitmentMethod = Literal[
    "false_job_offer", "false_marriage", "abduction", "sold_by_family", "online", "other", "unknown"
]
Need = Literal[
    "shelter",
    "medical",
    "psychological",
    "legal",
    "education",
    "employment",
    "family_tracing",
    "documents",
    "repatriation",
    "disability",
    "financial",
]
Money = Decimal


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# --- the file ----------------------------------------------------------------------------------


class FileBasics(_Input):
    """Who the victim is, as far as known. Unknown is a value: leave out what is not known."""

    name: str | None = Field(None, max_length=64)
    sex: Sex = "unknown"
    birth_date: date | None = None
    age: int | None = Field(None, ge=0, le=120)  # stated age (周岁) on the day of reception
    age_min: int | None = Field(None, ge=0, le=120)  # estimated range when no birth date
    age_max: int | None = Field(None, ge=0, le=120)
    nationality: str = Field("CN", pattern=COUNTRY)
    origin_county: str | None = Field(None, pattern=COUNTY)
    wants_work: bool | None = None
    notes: str | None = Field(None, max_length=4000)


class FileCreate(FileBasics):
    """A victim received into care (the caseworker's unit keeps the file)."""

    received_at: AwareDatetime
    identified: bool = False  # identity established at reception
    person_id: str | None = Field(None, pattern=PUBLIC_ID)
    found_person_id: str | None = Field(None, pattern=PUBLIC_ID)


class TimelineEvent(_Input):
    """One dated step of what happened (HTCDS: recruitment, transit, exploitation)."""

    stage: Literal["recruitment", "transit", "exploitation"]
    start: date
    end: date | None = None
    place: str | None = Field(None, max_length=100)
    note: str | None = Field(None, max_length=500)


class ProfileUpdate(_Input):
    """The victim profile (exploitation history), replaced as a whole."""

    exploitation_types: list[ExploitationType] = Field(default_factory=list, max_length=8)
    means_of_control: list[MeansOfControl] = Field(default_factory=list, max_length=17)
    recruiter_relation: RecruiterRelation | None = None
    recruitment_method: RecruitmentMethod | None = None
    timeline: list[TimelineEvent] = Field(default_factory=list, max_length=20)
    narrative: str | None = Field(None, max_length=8000)


class AssessmentCreate(_Input):
    """A needs assessment."""

    assessed_on: date
    needs: list[Need] = Field(min_length=1, max_length=11)
    priority: Literal["urgent", "high", "normal"] = "normal"
    notes: str | None = Field(None, max_length=2000)


class ConsentCreate(_Input):
    """Consent to share the file with a department line (or with every line: ``all``)."""

    scope: Literal["all", "education", "health", "hr", "justice", "disabled"]
    given_by: Literal["victim", "guardian", "legal_representative"]
    given_on: date


class ConsentWithdraw(_Input):
    """The day consent was withdrawn."""

    withdrawn_on: date


class ServiceCreate(_Input):
    """A service: kind, dates and the kind's details (see ``DETAIL_MODELS``)."""

    kind: ServiceKind
    started_on: date
    ended_on: date | None = None
    details: dict[str, Any] = Field(default_factory=dict, max_length=20)


class ServiceEnd(_Input):
    """The end of a service that is still running (a shelter stay: the day out)."""

    ended_on: date
    outcome: str | None = Field(None, max_length=200)


class ReferralCreate(_Input):
    """Refer the victim to a unit of a department line for one service."""

    to_unit: str = Field(pattern=r"^\d{6}-[A-Z]{2,4}$")
    kind: SectorKind
    consent_id: str | None = Field(None, pattern=PUBLIC_ID)
    override_reason: str | None = Field(None, min_length=10, max_length=500)
    note: str | None = Field(None, max_length=200)


class ReferralDecision(_Input):
    """A note on accepting, rejecting or finishing a referral."""

    note: str | None = Field(None, max_length=200)


class IdentityUpdate(_Input):
    """Identity established (by DNA, by a relative, by documents)."""

    identified_on: date
    person_id: str | None = Field(None, pattern=PUBLIC_ID)


class HukouStep(_Input):
    """A step of the household-registration application (二(三)1(5))."""

    step: Literal["applied", "registered"]
    on: date


class CloseFile(_Input):
    """Why the file closes."""

    reason: Literal["completed", "declined", "deceased", "transferred", "other"]


class AssignCaseworker(_Input):
    """The caseworker (a user of the owner unit) responsible for the file."""

    username: str = Field(min_length=1, max_length=64)


class EraseRequest(_Input):
    """Why the file is erased for good."""

    reason: str = Field(min_length=4, max_length=200)


class HospitalCreate(_Input):
    """A designated hospital for a county."""

    county_code: str = Field(pattern=COUNTY)
    name: str = Field(min_length=2, max_length=80)
    kind: Literal["general", "psychiatric"] = "general"
    disability_assessment: bool = False
    designated_on: date


class HospitalWithdraw(_Input):
    """The day a designation ends."""

    withdrawn_on: date


# --- the details of each kind of service -------------------------------------------------------


class _Details(_Input):
    provider: str | None = Field(None, max_length=100)
    outcome: str | None = Field(None, max_length=200)


class ShelterDetails(_Details):
    provider: str = Field(min_length=1, max_length=100)  # the institution


class MedicalDetails(_Details):
    hospital: str = Field(pattern=PUBLIC_ID)  # a designated hospital of the registry
    diagnosis: str | None = Field(None, max_length=500)
    treatment: str | None = Field(None, max_length=500)
    total_cost: Money | None = Field(None, ge=0, max_digits=12, decimal_places=2)
    insurance_paid: Money | None = Field(None, ge=0, max_digits=12, decimal_places=2)


class CounsellingDetails(_Details):
    provider: str = Field(min_length=1, max_length=100)
    sessions: int | None = Field(None, ge=1, le=1000)
    notes: str | None = Field(None, max_length=1000)


class LegalAidDetails(_Details):
    provider: str = Field(min_length=1, max_length=100)  # legal-aid institution
    green_channel: bool = False
    lawyer: str | None = Field(None, max_length=64)
    matter: str | None = Field(None, max_length=500)


class DisabilityDetails(_Details):
    provider: str = Field(min_length=1, max_length=100)  # the assessing institution
    category: (
        Literal["visual", "hearing", "speech", "physical", "intellectual", "mental", "multiple"]
        | Literal["none"]
        | None
    ) = None
    grade: Literal["1", "2", "3", "4"] | None = None


class SchoolingDetails(_Details):
    provider: str = Field(min_length=1, max_length=100)  # the school
    grade: str = Field(min_length=1, max_length=20)
    previous_school: str | None = Field(None, max_length=100)
    record_transferred: bool = False  # 学籍接续
    mentor: str | None = Field(None, max_length=64)  # 结对帮扶


class EmploymentDetails(_Details):
    provider: str = Field(min_length=1, max_length=100)
    activity: Literal["training", "guidance", "referral", "placement"]
    employer: str | None = Field(None, max_length=100)
    occupation: str | None = Field(None, max_length=64)


class ReturnDetails(_Details):
    destination: Literal["family", "community", "institution"]
    county: str | None = Field(None, pattern=COUNTY)
    privacy_measures: str | None = Field(None, max_length=500)


class RepatriationDetails(_Details):
    direction: Literal["inbound", "outbound"]
    country: str = Field(pattern=COUNTRY)
    authority: str | None = Field(None, max_length=100)


class FollowupDetails(_Details):
    month: int = Field(ge=1, le=12)
    situation: str | None = Field(None, max_length=1000)
    needs_help: bool = False


DETAIL_MODELS: dict[str, type[_Details]] = {
    "shelter": ShelterDetails,
    "medical": MedicalDetails,
    "counselling": CounsellingDetails,
    "legal_aid": LegalAidDetails,
    "disability": DisabilityDetails,
    "schooling": SchoolingDetails,
    "employment": EmploymentDetails,
    "return_home": ReturnDetails,
    "repatriation": RepatriationDetails,
    "followup": FollowupDetails,
}
assert set(DETAIL_MODELS) == set(c.SERVICE_KINDS)


# --- what the API answers ----------------------------------------------------------------------


class FileSummary(BaseModel):
    """A file in a list: the name masked, the age computed today."""

    id: str
    file_no: str
    status: str
    county_code: str
    owner_unit: str
    caseworker: str | None
    received_at: str
    name: str | None
    sex: str
    age: str
    minor: str  # under14 | under18 | adult | unknown
    identified: bool
    erased: bool


class ServiceRead(BaseModel):
    """A service as recorded."""

    id: str
    kind: str
    started_on: str
    ended_on: str | None
    hospital: str | None
    details: dict[str, Any]
    recorded_unit: str | None


class AssessmentRead(BaseModel):
    id: str
    assessed_on: str
    needs: list[str]
    priority: str
    notes: str | None


class ConsentRead(BaseModel):
    id: str
    scope: str
    given_by: str
    given_on: str
    withdrawn_on: str | None


class ReferralRead(BaseModel):
    id: str
    file: str
    file_no: str
    kind: str
    from_unit: str
    to_unit: str
    status: str
    consent: str | None
    override: bool
    note: str | None
    decision_note: str | None
    requested_at: str
    decided_at: str | None
    done_at: str | None


class TaskRead(BaseModel):
    id: str
    kind: str
    title: str
    owner_unit: str
    due_at: str
    status: str
    overdue: bool


class TimelineEntry(BaseModel):
    on: str  # ISO date
    event: str  # a code: received, recruitment, service.shelter.start, referral.pending, ...
    text: str | None = None


class FileDetail(FileSummary):
    """The whole file, for the lines that keep it (civil affairs, police)."""

    nationality: str
    origin_county: str | None
    person_id: str | None
    found_person_id: str | None
    wants_work: bool | None
    notes: str | None
    identified_on: str | None
    hukou_applied_on: str | None
    hukou_registered_on: str | None
    closed_at: str | None
    close_reason: str | None
    profile: dict[str, Any] | None
    assessments: list[AssessmentRead]
    consents: list[ConsentRead]
    services: list[ServiceRead]
    referrals: list[ReferralRead]
    tasks: list[TaskRead]
    timeline: list[TimelineEntry]


class SectorView(BaseModel):
    """What a department line sees of a file: who (masked) and its own services only."""

    id: str
    file_no: str
    status: str
    county_code: str
    owner_unit: str
    name: str | None
    sex: str
    age: str
    minor: str
    line: str
    services: list[ServiceRead]
    referrals: list[ReferralRead]


class SectorRow(BaseModel):
    """A line of the sector list (for education: the placement ledger, 入学安置台账)."""

    id: str
    file_no: str
    status: str
    name: str | None
    sex: str
    age: str
    minor: str
    line: str
    latest: ServiceRead | None
    needs_action: bool


class HospitalRead(BaseModel):
    id: str
    county_code: str
    county: str
    name: str
    kind: str
    disability_assessment: bool
    designated_on: str
    withdrawn_on: str | None


class FilePage(BaseModel):
    """One page of files."""

    items: list[FileSummary]
    total: int


class SectorPage(BaseModel):
    """One page of the sector list."""

    items: list[SectorRow]
    total: int
