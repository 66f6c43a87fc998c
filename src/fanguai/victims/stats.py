"""Figures of the victim module: files opened and services given by county, and the
de-identified export in the shape of IOM's Counter Trafficking Data Collaborative (CTDC).

``counts_by_county_month`` and ``served_counts`` are SQL aggregations over plain columns
(no decryption): the dashboard reads them. The CTDC export decrypts each file's profile (its
exploitation history is encrypted), counts people per combination of CTDC variables and
publishes only cells of at least ``SMALL_CELL`` people: smaller cells are left out entirely
(neither their count nor their existence is shown), and no totals are published from which
a left-out cell could be recovered by subtraction.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fanguai.core.actor import Actor
from fanguai.crypto.fields import FieldCrypto
from fanguai.crypto.keystore import SubjectShredded
from fanguai.org.models import Unit
from fanguai.security.scope import covers_clause
from fanguai.victims import service
from fanguai.victims.models import VictimFile, VictimService

SMALL_CELL = 10  # cells of fewer people than this are suppressed (CTDC's k = 11 → ≥ 10 shown)

# CTDC variable values.
GENDER = {"male": "Male", "female": "Female", "unknown": "Unknown"}
AGE_BROAD = (
    (0, 8, "0--8"),
    (9, 17, "9--17"),
    (18, 20, "18--20"),
    (21, 23, "21--23"),
    (24, 26, "24--26"),
    (27, 29, "27--29"),
    (30, 38, "30--38"),
    (39, 47, "39--47"),
    (48, 200, "48+"),
)
EXPLOITATION = {
    "sexual": "Sexual exploitation",
    "labour": "Forced labour",
    "begging": "Forced begging",
    "criminality": "Forced criminality",
    "illegal_adoption": "Illegal adoption",
    "forced_marriage": "Forced marriage",
    "organ_removal": "Organ removal",
    "other": "Other",
}
MEANS_OF_CONTROL = {
    "debt_bondage": "meansOfControlDebtBondage",
    "takes_earnings": "meansOfControlTakesEarnings",
    "restricts_financial_access": "meansOfControlRestrictsFinancialAccess",
    "threats": "meansOfControlThreats",
    "psychological_abuse": "meansOfControlPsychologicalAbuse",
    "physical_abuse": "meansOfControlPhysicalAbuse",
    "sexual_abuse": "meansOfControlSexualAbuse",
    "false_promises": "meansOfControlFalsePromises",
    "psychoactive_substances": "meansOfControlPsychoactiveSubstances",
    "restricts_movement": "meansOfControlRestrictsMovement",
    "restricts_medical_care": "meansOfControlRestrictsMedicalCare",
    "excessive_working_hours": "meansOfControlExcessiveWorkingHours",
    "uses_children": "meansOfControlUsesChildren",
    "threat_of_law_enforcement": "meansOfControlThreatOfLawEnforcement",
    "withholds_necessities": "meansOfControlWithholdsNecessities",
    "withholds_documents": "meansOfControlWithholdsDocuments",
    "other": "meansOfControlOther",
}
RECRUITER_RELATION = {
    "intimate_partner": "recruiterRelationIntimatePartner",
    "friend": "recruiterRelationFriend",
    "family": "recruiterRelationFamily",
    "acquaintance": "recruiterRelationOther",
    "stranger": "recruiterRelationOther",
    "employer": "recruiterRelationOther",
    "other": "recruiterRelationOther",
    "unknown": "recruiterRelationUnknown",
}
NOT_SPECIFIED = "Not specified"
VICTIM_COLUMNS = (
    "yearOfRegistration",
    "gender",
    "ageBroad",
    "majorityStatus",
    "citizenship",
    "typeOfExploitConcatenated",
)


def counts_by_county_month(
    session: Session, *, since: datetime | None = None
) -> list[tuple[str, str, int]]:
    """Victim files opened per (county code, "YYYY-MM" in Beijing time), oldest month first."""
    query = select(VictimFile.county_code, VictimFile.opened_month, func.count()).group_by(
        VictimFile.county_code, VictimFile.opened_month
    )
    if since is not None:
        query = query.where(VictimFile.opened_at >= since)
    rows = session.execute(query.order_by(VictimFile.opened_month, VictimFile.county_code)).all()
    return [(county, month, int(n)) for county, month, n in rows]


def served_counts(session: Session, *, since: datetime | None = None) -> list[tuple[str, str, int]]:
    """Services begun per (county code of the file, service kind), since a moment if given."""
    query = (
        select(VictimFile.county_code, VictimService.kind, func.count())
        .join(VictimFile, VictimFile.id == VictimService.file_id)
        .group_by(VictimFile.county_code, VictimService.kind)
    )
    if since is not None:
        query = query.where(VictimService.started_on >= service.beijing_date(since))
    rows = session.execute(query.order_by(VictimFile.county_code, VictimService.kind)).all()
    return [(county, kind, int(n)) for county, kind, n in rows]


@dataclass
class CtdcExport:
    """Three CTDC-shaped tables of counts, small cells left out."""

    scope: str  # the division code prefix the export covers
    year: int | None
    victims: list[dict[str, Any]] = field(default_factory=list)
    means_of_control: list[dict[str, Any]] = field(default_factory=list)
    recruiter_relation: list[dict[str, Any]] = field(default_factory=list)
    suppressed_cells: int = 0
    threshold: int = SMALL_CELL


def age_broad(lo: int | None, hi: int | None) -> str:
    """The CTDC age band of an age (range) at registration; "Unknown" if it spans two bands."""
    if lo is None or hi is None:
        return "Unknown"
    for first, last, label in AGE_BROAD:
        if first <= lo <= last:
            return label if hi <= last else "Unknown"
    return "Unknown"


def majority_status(lo: int | None, hi: int | None) -> str:
    """Minor, Adult or Unknown at registration."""
    if hi is not None and hi < 18:
        return "Minor"
    if lo is not None and lo >= 18:
        return "Adult"
    return "Unknown"


def exploitation_label(types: list[str]) -> str:
    """The CTDC ``typeOfExploitConcatenated`` value (in a fixed order)."""
    labels = [EXPLOITATION[t] for t in EXPLOITATION if t in types]
    return "; ".join(labels) if labels else NOT_SPECIFIED


def _files_in_scope(session: Session, actor: Actor, year: int | None):  # type: ignore[no-untyped-def]
    query = (
        select(VictimFile)
        .join(VictimFile.owner_unit)
        .where(covers_clause(actor, Unit.division_code), VictimFile.erased_at.is_(None))
        .order_by(VictimFile.id)
    )
    if year is not None:
        start = datetime(year, 1, 1, tzinfo=service.BEIJING)
        end = datetime(year + 1, 1, 1, tzinfo=service.BEIJING)
        query = query.where(VictimFile.received_at >= start, VictimFile.received_at < end)
    return session.execute(query).scalars().yield_per(500)


def _kept(counter: Counter[tuple[Any, ...]], columns: tuple[str, ...]) -> tuple[list[dict], int]:
    rows = [
        {**dict(zip(columns, key, strict=True)), "count": n}
        for key, n in sorted(counter.items())
        if n >= SMALL_CELL
    ]
    return rows, sum(1 for n in counter.values() if n < SMALL_CELL)


def ctdc_export(
    session: Session, crypto: FieldCrypto, *, actor: Actor, year: int | None = None
) -> CtdcExport:
    """Counts per CTDC variables for the files inside the actor's jurisdiction."""
    actor.require("victims.stats")
    victims: Counter[tuple[Any, ...]] = Counter()
    means: Counter[tuple[Any, ...]] = Counter()
    recruiters: Counter[tuple[Any, ...]] = Counter()
    for file in _files_in_scope(session, actor, year):
        registered = service.beijing_date(file.received_at).year
        try:
            profile = service.profile_of(crypto, file) or {}
        except SubjectShredded:
            continue  # erased while we read
        lo, hi = file.age_min, file.age_max
        victims[
            (
                registered,
                GENDER.get(file.sex, "Unknown"),
                age_broad(lo, hi),
                majority_status(lo, hi),
                file.nationality,
                exploitation_label(profile.get("exploitation_types", [])),
            )
        ] += 1
        for code in sorted({MEANS_OF_CONTROL[m] for m in profile.get("means_of_control", [])}):
            means[(registered, code)] += 1
        if not profile.get("means_of_control"):
            means[(registered, "meansOfControlNotSpecified")] += 1
        relation = RECRUITER_RELATION[profile.get("recruiter_relation") or "unknown"]
        recruiters[(registered, relation)] += 1
    export = CtdcExport(scope=actor.division_code or "", year=year)
    export.victims, a = _kept(victims, VICTIM_COLUMNS)
    export.means_of_control, b = _kept(means, ("yearOfRegistration", "meansOfControl"))
    export.recruiter_relation, d = _kept(recruiters, ("yearOfRegistration", "recruiterRelation"))
    export.suppressed_cells = a + b + d
    return export


def ctdc_csv(export: CtdcExport) -> str:
    """The victims table as CSV (CTDC column names, then ``count``)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=[*VICTIM_COLUMNS, "count"], lineterminator="\n")
    writer.writeheader()
    writer.writerows(export.victims)
    return out.getvalue()
