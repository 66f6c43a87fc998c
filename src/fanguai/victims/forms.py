"""The pages' forms: which fields each form shows, and turning posted values into API schemas.

One description per form drives both the template (label, widget, choices) and the parsing,
so a page form and its JSON twin accept exactly the same thing. Labels come from the message
catalogue: ``victims.field.<form>.<name>`` where a form names a field its own way (a school is
the schooling service's provider), else ``victims.field.<name>``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from fanguai.victims import catalogue as c
from fanguai.victims.errors import error_field, pydantic_key
from fanguai.victims.service import BEIJING
from fanguai.web.i18n import catalogue, translate


@dataclass(frozen=True)
class FormField:
    """One input: ``widget`` is text, textarea, date, datetime, number, money, check, select,
    multi (checkboxes) or hospital (a select of the registry)."""

    name: str
    widget: str = "text"
    required: bool = False
    choices: tuple[str, ...] = ()
    group: str = ""  # message group of the choices' labels: victims.<group>.<code>


def _f(name: str, widget: str = "text", required: bool = False, group: str = "", choices=()):  # type: ignore[no-untyped-def]
    return FormField(name, widget, required, tuple(str(x) for x in choices), group)


SPAN = (_f("started_on", "date", True), _f("ended_on", "date"))
OUTCOME = _f("outcome")

SERVICE_FIELDS: dict[str, tuple[FormField, ...]] = {
    "shelter": (_f("provider", required=True), OUTCOME),
    "medical": (
        _f("hospital", "hospital", True),
        _f("diagnosis", "textarea"),
        _f("treatment", "textarea"),
        _f("total_cost", "money"),
        _f("insurance_paid", "money"),
        OUTCOME,
    ),
    "counselling": (
        _f("provider", required=True),
        _f("sessions", "number"),
        _f("notes", "textarea"),
        OUTCOME,
    ),
    "legal_aid": (
        _f("provider", required=True),
        _f("green_channel", "check"),
        _f("lawyer"),
        _f("matter", "textarea"),
        OUTCOME,
    ),
    "disability": (
        _f("provider", required=True),
        _f("category", "select", group="disability", choices=c.DISABILITY_CATEGORIES),
        _f("grade", "select", group="grade", choices=c.DISABILITY_GRADES),
        OUTCOME,
    ),
    "schooling": (
        _f("provider", required=True),
        _f("grade", required=True),
        _f("previous_school"),
        _f("record_transferred", "check"),
        _f("mentor"),
        OUTCOME,
    ),
    "employment": (
        _f("activity", "select", True, "activity", c.EMPLOYMENT_ACTIVITIES),
        _f("provider", required=True),
        _f("employer"),
        _f("occupation"),
        OUTCOME,
    ),
    "return_home": (
        _f("destination", "select", True, "destination", c.RETURN_DESTINATIONS),
        _f("county"),
        _f("provider"),
        _f("privacy_measures", "textarea"),
        OUTCOME,
    ),
    "repatriation": (
        _f("direction", "select", True, "direction", c.REPATRIATION_DIRECTIONS),
        _f("country", required=True),
        _f("authority"),
        _f("provider"),
        OUTCOME,
    ),
    "followup": (
        _f("month", "select", True, "month", c.FOLLOWUP_MONTHS),
        _f("provider"),
        _f("situation", "textarea"),
        _f("needs_help", "check"),
        OUTCOME,
    ),
}

BASICS_FIELDS = (
    _f("name"),
    _f("sex", "select", group="sex", choices=c.SEXES),
    _f("birth_date", "date"),
    _f("age", "number"),
    _f("age_min", "number"),
    _f("age_max", "number"),
    _f("nationality"),
    _f("origin_county"),
    _f("wants_work", "select", group="yesno", choices=("yes", "no")),
    _f("notes", "textarea"),
)
INTAKE_FIELDS = (
    _f("received_at", "datetime", True),
    *BASICS_FIELDS,
    _f("identified", "check"),
    _f("person_id"),
    _f("found_person_id"),
)
PROFILE_FIELDS = (
    _f("exploitation_types", "multi", group="exploit", choices=c.EXPLOITATION_TYPES),
    _f("means_of_control", "multi", group="means", choices=c.MEANS_OF_CONTROL),
    _f("recruiter_relation", "select", group="relation", choices=c.RECRUITER_RELATIONS),
    _f("recruitment_method", "select", group="method", choices=c.RECRUITMENT_METHODS),
    *(
        _f(f"{stage}_{part}", "date" if part != "place" else "text")
        for stage in c.TIMELINE_STAGES
        for part in ("start", "end", "place")
    ),
    _f("narrative", "textarea"),
)
ASSESSMENT_FIELDS = (
    _f("assessed_on", "date", True),
    _f("needs", "multi", True, "need", c.NEEDS),
    _f("priority", "select", True, "priority", c.PRIORITIES),
    _f("notes", "textarea"),
)
CONSENT_FIELDS = (
    _f("scope", "select", True, "scope", c.CONSENT_SCOPES),
    _f("given_by", "select", True, "giver", c.CONSENT_GIVERS),
    _f("given_on", "date", True),
)
IDENTITY_FIELDS = (_f("identified_on", "date", True), _f("person_id"))
HUKOU_FIELDS = (
    _f("step", "select", True, "hukou", ("applied", "registered")),
    _f("on", "date", True),
)
CLOSE_FIELDS = (_f("reason", "select", True, "close", c.CLOSE_REASONS),)
HOSPITAL_FIELDS = (
    _f("county_code", required=True),
    _f("name", required=True),
    _f("kind", "select", True, "hospital_kind", c.HOSPITAL_KINDS),
    _f("disability_assessment", "check"),
    _f("designated_on", "date", True),
)

Form = Mapping[str, list[str]]


def label(form: str, name: str) -> str:
    """The field's label: the form's own wording if it has one, else the shared one."""
    own = f"victims.field.{form}.{name}"
    return translate(own) if own in catalogue() else translate(f"victims.field.{name}")


def values(form: Form, fields: tuple[FormField, ...]) -> dict[str, Any]:
    """The posted values of ``fields``: empty inputs left out, checkboxes as True, lists kept."""
    out: dict[str, Any] = {}
    for f in fields:
        posted = [v.strip() for v in form.get(f.name, []) if v.strip()]
        if f.widget == "multi":
            if posted:
                out[f.name] = posted
        elif f.widget == "check":
            if posted:
                out[f.name] = True
        elif posted:
            out[f.name] = posted[0]
    if out.get("wants_work") in ("yes", "no"):
        out["wants_work"] = out["wants_work"] == "yes"
    if isinstance(out.get("received_at"), str):
        out["received_at"] = _beijing_time(out["received_at"])
    return out


def _beijing_time(text: str) -> Any:
    """A ``datetime-local`` value is Beijing time; anything unparsable goes on to validation."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    return moment if moment.tzinfo else moment.replace(tzinfo=BEIJING)


def service_body(kind: str, form: Form) -> dict[str, Any]:
    """A service form as the JSON body of ``ServiceCreate``."""
    common = values(form, SPAN)
    details = values(form, SERVICE_FIELDS.get(kind, ()))
    return {"kind": kind, **common, "details": details}


def profile_body(form: Form) -> tuple[dict[str, Any], list[str]]:
    """A profile form as the body of ``ProfileUpdate``, and the stage of each timeline row."""
    raw = values(form, PROFILE_FIELDS)
    body: dict[str, Any] = {
        k: raw[k]
        for k in (
            "exploitation_types",
            "means_of_control",
            "recruiter_relation",
            "recruitment_method",
            "narrative",
        )
        if k in raw
    }
    timeline, stages = [], []
    for stage in c.TIMELINE_STAGES:
        row = {p: raw[f"{stage}_{p}"] for p in ("start", "end", "place") if f"{stage}_{p}" in raw}
        if row:
            timeline.append({"stage": stage, **row})
            stages.append(stage)
    body["timeline"] = timeline
    return body, stages


def form_field(field: str | None, stages: list[str] | None = None) -> str:
    """The form input an API field name points at (``details.provider`` → ``provider``;
    ``timeline.1.start`` → the start of that row's stage)."""
    if not field:
        return "_form"
    parts = field.split(".")
    if parts[0] == "timeline" and stages and len(parts) >= 2 and parts[1].isdigit():
        index = int(parts[1])
        if index < len(stages):
            return f"{stages[index]}_{parts[2] if len(parts) > 2 else 'start'}"
    if parts[0] == "details" and len(parts) > 1:
        return parts[1]
    return parts[0]


def pydantic_errors(exc: ValidationError, stages: list[str] | None = None) -> dict[str, str]:
    """Chinese messages per form input for a validation error."""
    errors: dict[str, str] = {}
    for err in exc.errors():
        name = form_field(error_field(tuple(err.get("loc", ()))), stages)
        errors.setdefault(name, translate(f"victims.error.{pydantic_key(err['type'])}"))
    return errors
