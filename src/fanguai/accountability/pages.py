"""Pages of the plan accountability module.

/progress: the unit's measures, reports and contributions of the current cycle; the overview
by unit and plan section with overdue units flagged; report and contribution forms with
evidence; reporting cycles; local implementing rules. /evaluations: evaluations, scoring,
commendation and criticism, the PDF and Excel reports. /dashboard: the joint conference's
dashboard.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, File, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from fanguai.accountability import actions, evaluation, local_rules, service
from fanguai.accountability.catalogue import (
    EVALUATION_KIND_LABELS,
    EVIDENCE_TYPES,
    IMPLEMENTATION,
    INDICATORS,
    MAX_EVIDENCE_BYTES,
    PERIODS,
    RECOGNITION_LABELS,
)
from fanguai.accountability.dashboard import dashboard
from fanguai.accountability.errors import invalid, page_message
from fanguai.accountability.export_pdf import build_pdf
from fanguai.accountability.export_xlsx import build_xlsx
from fanguai.accountability.models import ProgressReport, ReportingCycle
from fanguai.core.actor import Actor
from fanguai.db import utcnow
from fanguai.errors import DomainError, NotFound
from fanguai.geo import divisions as geo_divisions
from fanguai.org.models import Division, Unit
from fanguai.plan import service as plan_service
from fanguai.security.scope import covers
from fanguai.web.deps import get_session, require
from fanguai.web.templating import render

router = APIRouter()
BEIJING = ZoneInfo("Asia/Shanghai")
ITEMS_PER_PAGE = 50


def _fail(request: Request, name: str, ctx: dict, exc: DomainError) -> Response:
    """Re-render a form with the Chinese message beside the field that is wrong."""
    if isinstance(exc, NotFound):
        raise exc
    ctx.update({"error": page_message(exc), "error_field": exc.field})
    return render(request, name, ctx, status_code=exc.status_code)


def _cycle_or_current(
    session: Session, actor: Actor, public_id: str | None
) -> ReportingCycle | None:
    if public_id:
        return service.get_cycle(session, actor=actor, public_id=public_id)
    return service.current_cycle(session)


def _figures_from_form(form: dict[str, str]) -> dict[str, int]:
    figures = {}
    for code in INDICATORS:
        raw = (form.get(f"fig_{code}") or "").strip()
        if not raw:
            continue
        if not raw.isdigit():
            raise invalid("progress.error.figure_value", field=f"figures.{code}", n=10_000_000)
        figures[code] = int(raw)
    return figures


async def _form(request: Request) -> dict[str, str]:
    data = await request.form()
    return {k: v for k, v in data.items() if isinstance(v, str)}


# --- the unit's page ----------------------------------------------------------------------------


@router.get("/progress")
def progress_page(
    request: Request,
    cycle: str | None = Query(None, max_length=36),
    actor: Actor = require("progress.read"),
    session: Session = Depends(get_session),
) -> Response:
    """What the user's unit must report in the cycle, and the measures it answers for."""
    now = utcnow()
    chosen = _cycle_or_current(session, actor, cycle)
    unit = session.get(Unit, actor.unit_id) if actor.unit_id else None
    reports = contributions = []
    if chosen is not None and unit is not None:
        reports = service.list_reports(session, actor=actor, cycle=chosen, unit_id=unit.id)
        contributions = service.contributions_of_unit(
            session, actor=actor, cycle=chosen, unit_id=unit.id
        )
    duties = service.responsibilities(session, unit) if unit is not None else []
    rules = (
        service.local_rules_of(session, unit.division_code)
        if unit and unit.level != "province"
        else None
    )
    return render(
        request,
        "accountability/progress.html",
        {
            "cycle": chosen,
            "cycles": service.list_cycles(session, actor=actor),
            "unit": unit,
            "reports": reports,
            "contributions": contributions,
            "lead": [d for d in duties if d.role == "lead"],
            "cooperating": [d for d in duties if d.role == "cooperating"],
            "local_rules": rules,
            "now": now,
            "IMPLEMENTATION": IMPLEMENTATION,
        },
    )


@router.get("/progress/overview")
def overview_page(
    request: Request,
    cycle: str | None = Query(None, max_length=36),
    actor: Actor = require("progress.read"),
    session: Session = Depends(get_session),
) -> Response:
    """Reports of the cycle by plan section and by unit, units with overdue reports first."""
    now = utcnow()
    chosen = _cycle_or_current(session, actor, cycle)
    units = sections = []
    if chosen is not None:
        units = service.progress_by_unit(session, actor=actor, cycle=chosen, now=now)
        sections = service.progress_by_section(session, actor=actor, cycle=chosen, now=now)
    return render(
        request,
        "accountability/overview.html",
        {
            "cycle": chosen,
            "cycles": service.list_cycles(session, actor=actor),
            "units": units,
            "sections": sections,
            "overdue_units": [u for u in units if u.overdue],
            "now": now,
            "IMPLEMENTATION": IMPLEMENTATION,
        },
    )


@router.get("/progress/reports")
def reports_page(
    request: Request,
    cycle: str | None = Query(None, max_length=36),
    unit: str | None = Query(None, max_length=36),
    status: str | None = Query(None, pattern="^(pending|submitted|)$"),
    section: str | None = Query(None, max_length=40),
    actor: Actor = require("progress.read"),
    session: Session = Depends(get_session),
) -> Response:
    """Reports of a cycle inside the user's jurisdiction, filtered."""
    now = utcnow()
    chosen = _cycle_or_current(session, actor, cycle)
    selected = None
    if unit:
        selected = session.execute(select(Unit).where(Unit.public_id == unit)).scalar_one_or_none()
        if selected is None or not covers(actor, selected.division_code):
            raise NotFound("unit not found")
    rows = []
    if chosen is not None:
        rows = service.list_reports(
            session,
            actor=actor,
            cycle=chosen,
            unit_id=selected.id if selected else None,
            status=status or None,
            section=section or None,
        )
    version = plan_service.current_version(session)
    return render(
        request,
        "accountability/reports.html",
        {
            "cycle": chosen,
            "cycles": service.list_cycles(session, actor=actor),
            "reports": rows,
            "selected_unit": selected,
            "status": status or "",
            "section": section or "",
            "sections": [m for m in version.measures if m.level == 1],
            "now": now,
            "IMPLEMENTATION": IMPLEMENTATION,
        },
    )


# --- a report -----------------------------------------------------------------------------------


def _report_context(session: Session, actor: Actor, report, now: datetime) -> dict:  # type: ignore[no-untyped-def]
    figures = service.figures_of(session, report)
    own = report.unit_id == actor.unit_id and actor.can("progress.report")
    mine = next((c for c in report.contributions if c.unit_id == actor.unit_id), None)
    consolidating = service.consolidating_report(session, report)
    return {
        "report": report,
        "measure_text": service.measure_text(report),
        "figures": figures,
        "evidence": service.evidence_of(session, report),
        "can_file": own and report.cycle.status == "open",
        "my_contribution": mine,
        "consolidating": consolidating,
        "overdue": service.is_overdue(report, report.cycle.due_at, now),
        "on_time": service.on_time(report, report.cycle.due_at),
        "INDICATORS": INDICATORS,
        "IMPLEMENTATION": IMPLEMENTATION,
        "accept": ",".join(ext for exts in EVIDENCE_TYPES.values() for ext in exts),
        "max_mb": f"{MAX_EVIDENCE_BYTES / 1e6:g}",
        "form": {},
        "error": None,
        "error_field": None,
        "saved": False,
    }


@router.get("/progress/reports/{report_id}")
def report_page(
    request: Request,
    report_id: str,
    saved: bool = Query(False),
    actor: Actor = require("progress.read"),
    session: Session = Depends(get_session),
) -> Response:
    """A report: the measure, the form (for its unit), figures, contributions and evidence."""
    report = service.get_report_for(session, actor=actor, public_id=report_id)
    ctx = _report_context(session, actor, report, utcnow())
    ctx["saved"] = saved
    return render(request, "accountability/report.html", ctx)


@router.post("/progress/reports/{report_id}")
async def report_submit(
    request: Request,
    report_id: str,
    actor: Actor = require("progress.report"),
    session: Session = Depends(get_session),
) -> Response:
    """File or update the report from the form."""
    form = await _form(request)
    try:
        data = actions.ReportInput(
            implementation=form.get("implementation") or None,
            narrative=form.get("narrative", ""),
            problems=form.get("problems", ""),
            next_steps=form.get("next_steps", ""),
            figures=_figures_from_form(form),
        )
        actions.file_report(session, actor=actor, public_id=report_id, data=data)
    except DomainError as exc:
        report = service.get_report_for(session, actor=actor, public_id=report_id)
        ctx = _report_context(session, actor, report, utcnow())
        ctx["form"] = form
        return _fail(request, "accountability/report.html", ctx, exc)
    return RedirectResponse(f"/progress/reports/{report_id}?saved=1", status_code=303)


@router.post("/progress/reports/{report_id}/evidence")
def report_evidence(
    request: Request,
    report_id: str,
    file: UploadFile = File(...),
    actor: Actor = require("progress.report"),
    session: Session = Depends(get_session),
) -> Response:
    """Attach an evidence file to the report."""
    try:
        actions.attach_evidence(
            session,
            actor=actor,
            report_public_id=report_id,
            filename=file.filename or "",
            content=file.file.read(MAX_EVIDENCE_BYTES + 1),
        )
    except DomainError as exc:
        report = service.get_report_for(session, actor=actor, public_id=report_id)
        ctx = _report_context(session, actor, report, utcnow())
        return _fail(request, "accountability/report.html", ctx, exc)
    return RedirectResponse(f"/progress/reports/{report_id}?saved=1#evidence", status_code=303)


@router.get("/progress/evidence/{evidence_id}")
def evidence_file(
    evidence_id: str,
    actor: Actor = require("progress.read"),
    session: Session = Depends(get_session),
) -> Response:
    """An evidence file, as an attachment."""
    e = service.get_evidence_for(session, actor=actor, public_id=evidence_id)
    return Response(
        e.content,
        media_type=e.content_type,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(e.filename)}"},
    )


# --- a contribution -------------------------------------------------------------------------------


def _contribution_context(session: Session, actor: Actor, c, now: datetime) -> dict:  # type: ignore[no-untyped-def]
    figures = service.figures_of(session, c.report)
    return {
        "c": c,
        "report": c.report,
        "measure_text": service.measure_text(c.report),
        "own_figures": figures.by_contribution.get(c.id, {}),
        "evidence": [
            e for e in service.evidence_of(session, c.report) if e.contribution_id == c.id
        ],
        "can_file": c.unit_id == actor.unit_id
        and actor.can("progress.report")
        and c.report.cycle.status == "open",
        "overdue": service.is_overdue(c, c.report.cycle.due_at, now),
        "INDICATORS": INDICATORS,
        "accept": ",".join(ext for exts in EVIDENCE_TYPES.values() for ext in exts),
        "max_mb": f"{MAX_EVIDENCE_BYTES / 1e6:g}",
        "form": {},
        "error": None,
        "error_field": None,
    }


@router.get("/progress/contributions/{contribution_id}")
def contribution_page(
    request: Request,
    contribution_id: str,
    saved: bool = Query(False),
    actor: Actor = require("progress.read"),
    session: Session = Depends(get_session),
) -> Response:
    """A cooperating unit's part of a measure, with its form."""
    c = service.get_contribution_for(session, actor=actor, public_id=contribution_id)
    ctx = _contribution_context(session, actor, c, utcnow())
    ctx["saved"] = saved
    return render(request, "accountability/contribution.html", ctx)


@router.post("/progress/contributions/{contribution_id}")
async def contribution_submit(
    request: Request,
    contribution_id: str,
    actor: Actor = require("progress.report"),
    session: Session = Depends(get_session),
) -> Response:
    """File or update the unit's part from the form."""
    form = await _form(request)
    try:
        data = actions.ReportInput(
            implementation=None,
            narrative=form.get("narrative", ""),
            figures=_figures_from_form(form),
        )
        actions.file_contribution(session, actor=actor, public_id=contribution_id, data=data)
    except DomainError as exc:
        c = service.get_contribution_for(session, actor=actor, public_id=contribution_id)
        ctx = _contribution_context(session, actor, c, utcnow())
        ctx.update({"form": form, "saved": False})
        return _fail(request, "accountability/contribution.html", ctx, exc)
    return RedirectResponse(f"/progress/contributions/{contribution_id}?saved=1", status_code=303)


@router.post("/progress/contributions/{contribution_id}/evidence")
def contribution_evidence(
    request: Request,
    contribution_id: str,
    file: UploadFile = File(...),
    actor: Actor = require("progress.report"),
    session: Session = Depends(get_session),
) -> Response:
    """Attach an evidence file to the unit's part."""
    try:
        actions.attach_evidence(
            session,
            actor=actor,
            contribution_public_id=contribution_id,
            filename=file.filename or "",
            content=file.file.read(MAX_EVIDENCE_BYTES + 1),
        )
    except DomainError as exc:
        c = service.get_contribution_for(session, actor=actor, public_id=contribution_id)
        ctx = _contribution_context(session, actor, c, utcnow())
        ctx["saved"] = False
        return _fail(request, "accountability/contribution.html", ctx, exc)
    return RedirectResponse(f"/progress/contributions/{contribution_id}?saved=1", status_code=303)


# --- cycles -------------------------------------------------------------------------------------


def _cycles_context(session: Session, actor: Actor) -> dict:
    cycles = service.list_cycles(session, actor=actor)
    return {
        "cycles": cycles,
        "counts": {c.id: service.cycle_counts(session, c) for c in cycles},
        "PERIODS": PERIODS,
        "can_manage": actor.can("evaluation.manage") and actor.level == "province",
        "this_year": utcnow().astimezone(BEIJING).year,
        "form": {},
        "error": None,
        "error_field": None,
        "now": utcnow(),
    }


@router.get("/progress/cycles")
def cycles_page(
    request: Request,
    actor: Actor = require("progress.read"),
    session: Session = Depends(get_session),
) -> Response:
    """Reporting cycles, and (for the provincial office) the form to open one."""
    return render(request, "accountability/cycles.html", _cycles_context(session, actor))


def _period(form: dict[str, str]) -> tuple[str, str, date, date]:
    """(name, kind, start, end) from the form's year and period, or custom dates."""
    code = form.get("period", "")
    if code == "custom":
        try:
            start = date.fromisoformat(form.get("period_start", ""))
            end = date.fromisoformat(form.get("period_end", ""))
        except ValueError:
            raise invalid("progress.error.date", field="period_start") from None
        return (form.get("name") or "").strip(), "custom", start, end
    if code not in PERIODS:
        raise invalid("progress.error.cycle_kind", field="period")
    try:
        year = int(form.get("year", ""))
    except ValueError:
        raise invalid("progress.error.year", field="year") from None
    if not 2021 <= year <= 2035:
        raise invalid("progress.error.year", field="year")
    label, first, last = PERIODS[code]
    end_day = date(year + (last == 12), last % 12 + 1, 1) - date.resolution
    kind = {"H": "half_year", "Q": "quarter", "Y": "year"}[code[0]]
    name = (form.get("name") or "").strip() or f"{year}年{label}"
    return name, kind, date(year, first, 1), end_day


def _due(form: dict[str, str]) -> datetime:
    try:
        day = date.fromisoformat(form.get("due_date", ""))
    except ValueError:
        raise invalid("progress.error.date", field="due_date") from None
    return datetime.combine(day, time(18), tzinfo=BEIJING).astimezone(UTC)


@router.post("/progress/cycles")
async def cycle_open(
    request: Request,
    actor: Actor = require("evaluation.manage"),
    session: Session = Depends(get_session),
) -> Response:
    """Open a reporting cycle (the provincial office)."""
    form = await _form(request)
    try:
        name, kind, start, end = _period(form)
        actions.open_cycle(
            session,
            actor=actor,
            name=name,
            kind=kind,
            period_start=start,
            period_end=end,
            due_at=_due(form),
        )
    except DomainError as exc:
        ctx = _cycles_context(session, actor)
        ctx["form"] = form
        return _fail(request, "accountability/cycles.html", ctx, exc)
    return RedirectResponse("/progress/cycles", status_code=303)


@router.post("/progress/cycles/{cycle_id}/close")
def cycle_close(
    cycle_id: str,
    actor: Actor = require("evaluation.manage"),
    session: Session = Depends(get_session),
) -> Response:
    """Close a cycle: filing ends, tasks of reports never filed are cancelled."""
    actions.close_cycle(session, actor=actor, public_id=cycle_id)
    return RedirectResponse("/progress/cycles", status_code=303)


# --- local rules --------------------------------------------------------------------------------


def _rules_context(session: Session, actor: Actor) -> dict:
    rules = local_rules.list_rules(session, actor=actor)
    taken = {r.division_code for r in rules}
    divisions = session.execute(
        select(Division).where(Division.level != "province").order_by(Division.code)
    ).scalars()
    return {
        "rules": rules,
        "divisions": [d for d in divisions if covers(actor, d.code) and d.code not in taken],
        "can_manage": actor.can("evaluation.manage"),
        "form": {},
        "error": None,
        "error_field": None,
    }


@router.get("/progress/local-rules")
def rules_page(
    request: Request,
    actor: Actor = require("progress.read"),
    session: Session = Depends(get_session),
) -> Response:
    """Implementing rules of the cities and counties inside the jurisdiction."""
    return render(request, "accountability/rules.html", _rules_context(session, actor))


@router.post("/progress/local-rules")
async def rules_adopt(
    request: Request,
    actor: Actor = require("evaluation.manage"),
    session: Session = Depends(get_session),
) -> Response:
    """Adopt implementing rules for a city or county."""
    form = await _form(request)
    try:
        rules = local_rules.adopt_rules(
            session,
            actor=actor,
            division_code=form.get("division", ""),
            title=form.get("title", ""),
        )
    except DomainError as exc:
        ctx = _rules_context(session, actor)
        ctx["form"] = form
        return _fail(request, "accountability/rules.html", ctx, exc)
    return RedirectResponse(f"/progress/local-rules/{rules.public_id}", status_code=303)


def _rule_context(session: Session, actor: Actor, rules) -> dict:  # type: ignore[no-untyped-def]
    members = session.execute(
        select(Unit)
        .where(Unit.division_code == rules.division_code, Unit.is_member)
        .order_by(Unit.ordinal)
    ).scalars()
    version = plan_service.current_version(session)
    return {
        "rules": rules,
        "division": session.get(Division, rules.division_code),
        "members": list(members),
        "sections": [m for m in version.measures if m.level == 1],
        "can_manage": actor.can("evaluation.manage"),
        "form": {},
        "error": None,
        "error_field": None,
    }


@router.get("/progress/local-rules/{rules_id}")
def rule_page(
    request: Request,
    rules_id: str,
    actor: Actor = require("progress.read"),
    session: Session = Depends(get_session),
) -> Response:
    """A division's implementing rules: adopted and local measures with their units."""
    rules = local_rules.get_rules_for(session, actor=actor, public_id=rules_id)
    return render(request, "accountability/rule.html", _rule_context(session, actor, rules))


@router.post("/progress/local-rules/{rules_id}/measures")
async def rule_add_measure(
    request: Request,
    rules_id: str,
    actor: Actor = require("evaluation.manage"),
    session: Session = Depends(get_session),
) -> Response:
    """Add a local measure with its own lead (and cooperating) units."""
    data = await request.form()
    form = {k: v for k, v in data.items() if isinstance(v, str)}
    try:
        local_rules.add_local_measure(
            session,
            actor=actor,
            rules_public_id=rules_id,
            section_code=form.get("section", ""),
            text=form.get("text", ""),
            lead_unit_codes=[v for v in data.getlist("lead_units") if isinstance(v, str)],
            cooperating_unit_codes=[
                v for v in data.getlist("cooperating_units") if isinstance(v, str)
            ],
        )
    except DomainError as exc:
        rules = local_rules.get_rules_for(session, actor=actor, public_id=rules_id)
        ctx = _rule_context(session, actor, rules)
        ctx["form"] = form
        return _fail(request, "accountability/rule.html", ctx, exc)
    return RedirectResponse(f"/progress/local-rules/{rules_id}", status_code=303)


# --- evaluations --------------------------------------------------------------------------------


def _evaluations_context(session: Session, actor: Actor) -> dict:
    return {
        "evaluations": evaluation.list_evaluations(session, actor=actor),
        "cycles": service.list_cycles(session, actor=actor) if actor.can("progress.read") else [],
        "rubrics": evaluation.list_rubrics(session),
        "KINDS": EVALUATION_KIND_LABELS,
        "can_manage": actor.can("evaluation.manage"),
        "form": {},
        "rubric_form": {},
        "error": None,
        "error_field": None,
    }


@router.get("/evaluations")
def evaluations_page(
    request: Request,
    actor: Actor = require("evaluation.score"),
    session: Session = Depends(get_session),
) -> Response:
    """Evaluations, the form to start one, and the rubrics."""
    return render(request, "accountability/evaluations.html", _evaluations_context(session, actor))


@router.post("/evaluations")
async def evaluation_create(
    request: Request,
    actor: Actor = require("evaluation.manage"),
    session: Session = Depends(get_session),
) -> Response:
    """Start a phase or final evaluation of the chosen cycles."""
    data = await request.form()
    form = {k: v for k, v in data.items() if isinstance(v, str)}
    try:
        ev = evaluation.create_evaluation(
            session,
            actor=actor,
            kind=form.get("kind", ""),
            title=form.get("title", ""),
            cycle_public_ids=[v for v in data.getlist("cycles") if isinstance(v, str)],
            rubric_public_id=form.get("rubric") or None,
        )
    except DomainError as exc:
        ctx = _evaluations_context(session, actor)
        ctx["form"] = form
        return _fail(request, "accountability/evaluations.html", ctx, exc)
    return RedirectResponse(f"/evaluations/{ev.public_id}", status_code=303)


@router.post("/evaluations/rubrics")
async def rubric_create(
    request: Request,
    actor: Actor = require("evaluation.manage"),
    session: Session = Depends(get_session),
) -> Response:
    """Add a rubric (one criterion a line: code|label|maximum|description)."""
    form = await _form(request)
    try:
        evaluation.create_rubric(
            session,
            actor=actor,
            name=form.get("name", ""),
            criteria=evaluation.parse_criteria(form.get("criteria", "")),
        )
    except DomainError as exc:
        ctx = _evaluations_context(session, actor)
        ctx["rubric_form"] = form
        return _fail(request, "accountability/evaluations.html", ctx, exc)
    return RedirectResponse("/evaluations", status_code=303)


def _evaluation_context(
    session: Session, actor: Actor, ev, *, unit: str, section: str, unscored: bool, page: int
) -> dict:  # type: ignore[no-untyped-def]
    res = evaluation.results(session, ev)
    items = [
        r
        for r in res.items
        if (not unit or r.item.unit.public_id == unit)
        and (not section or r.item.section_code == section)
        and (not unscored or r.percent is None)
    ]
    pages = max(1, -(-len(items) // ITEMS_PER_PAGE))
    page = min(max(1, page), pages)
    query = urlencode({k: v for k, v in (("unit", unit), ("section", section)) if v})
    if unscored:
        query += ("&" if query else "") + "unscored=1"
    return {
        "ev": ev,
        "res": res,
        "overall": res.overall,
        "items": items[(page - 1) * ITEMS_PER_PAGE : page * ITEMS_PER_PAGE],
        "n_items": len(items),
        "page": page,
        "pages": pages,
        "query": query,
        "unit": unit,
        "section": section,
        "unscored": unscored,
        "suggestions": evaluation.suggestions(res) if ev.status == "scoring" else [],
        "KINDS": EVALUATION_KIND_LABELS,
        "LISTS": RECOGNITION_LABELS,
        "IMPLEMENTATION": IMPLEMENTATION,
        "can_manage": actor.can("evaluation.manage"),
        "form": {},
        "error": None,
        "error_field": None,
    }


@router.get("/evaluations/{evaluation_id}")
def evaluation_page(
    request: Request,
    evaluation_id: str,
    unit: str = Query("", max_length=36),
    section: str = Query("", max_length=40),
    unscored: bool = Query(False),
    page: int = Query(1, ge=1, le=10_000),
    actor: Actor = require("evaluation.score"),
    session: Session = Depends(get_session),
) -> Response:
    """An evaluation: aggregates, the items to score, the lists, the reports to download."""
    ev = evaluation.get_evaluation_for(session, actor=actor, public_id=evaluation_id)
    ctx = _evaluation_context(
        session, actor, ev, unit=unit, section=section, unscored=unscored, page=page
    )
    return render(request, "accountability/evaluation.html", ctx)


def _item_context(session: Session, item) -> dict:  # type: ignore[no-untyped-def]
    rubric = item.evaluation.rubric
    report = None
    if item.latest_report_id is not None:
        report = session.get(ProgressReport, item.latest_report_id)
    return {
        "item": item,
        "ev": item.evaluation,
        "rubric": rubric,
        "result": evaluation.item_result(item, rubric),
        "suggested": evaluation.suggested_scores(item, rubric),
        "report": report,
        "IMPLEMENTATION": IMPLEMENTATION,
        "form": {},
        "error": None,
        "error_field": None,
    }


@router.get("/evaluations/items/{item_id}")
def item_page(
    request: Request,
    item_id: str,
    actor: Actor = require("evaluation.score"),
    session: Session = Depends(get_session),
) -> Response:
    """One item: the unit's facts on the measure, the scores so far, the scoring form."""
    item = evaluation.get_item_for(session, actor=actor, public_id=item_id)
    ctx = _item_context(session, item)
    mine = {s.criterion: s for s in item.scores if s.reviewer_name == actor.name}
    ctx["form"] = {f"score_{code}": f"{s.score:g}" for code, s in mine.items()}
    if mine:
        ctx["form"]["comment"] = next(iter(mine.values())).comment or ""
    return render(request, "accountability/item.html", ctx)


@router.post("/evaluations/items/{item_id}")
async def item_score(
    request: Request,
    item_id: str,
    actor: Actor = require("evaluation.score"),
    session: Session = Depends(get_session),
) -> Response:
    """Record the reviewer's scores and comment."""
    form = await _form(request)
    try:
        item = evaluation.get_item_for(session, actor=actor, public_id=item_id)
        scores: dict[str, float] = {}
        for c in item.evaluation.rubric.criteria:
            raw = (form.get(f"score_{c.code}") or "").strip()
            if not raw:
                raise invalid(
                    "progress.error.score_missing", field=f"scores.{c.code}", label=c.label
                )
            try:
                scores[c.code] = float(raw)
            except ValueError:
                raise invalid(
                    "progress.error.score_range",
                    field=f"scores.{c.code}",
                    label=c.label,
                    max=f"{c.max_score:g}",
                ) from None
        evaluation_id = item.evaluation.public_id
        evaluation.score_item(
            session,
            actor=actor,
            item_public_id=item_id,
            scores=scores,
            comment=form.get("comment", ""),
        )
    except DomainError as exc:
        item = evaluation.get_item_for(session, actor=actor, public_id=item_id)
        ctx = _item_context(session, item)
        ctx["form"] = form
        return _fail(request, "accountability/item.html", ctx, exc)
    return RedirectResponse(f"/evaluations/{evaluation_id}?unscored=1", status_code=303)


@router.post("/evaluations/{evaluation_id}/suggested")
def evaluation_suggested(
    evaluation_id: str,
    actor: Actor = require("evaluation.score"),
    session: Session = Depends(get_session),
) -> Response:
    """Score the items the reviewer has not scored yet with the suggested scores."""
    evaluation.apply_suggested(session, actor=actor, public_id=evaluation_id)
    return RedirectResponse(f"/evaluations/{evaluation_id}", status_code=303)


@router.post("/evaluations/{evaluation_id}/recognitions")
async def evaluation_recognise(
    request: Request,
    evaluation_id: str,
    actor: Actor = require("evaluation.manage"),
    session: Session = Depends(get_session),
) -> Response:
    """Put a unit on the commendation or criticism list with the reason."""
    form = await _form(request)
    try:
        evaluation.add_recognition(
            session,
            actor=actor,
            public_id=evaluation_id,
            unit_public_id=form.get("unit", ""),
            kind=form.get("kind", ""),
            reason=form.get("reason", ""),
        )
    except DomainError as exc:
        ev = evaluation.get_evaluation_for(session, actor=actor, public_id=evaluation_id)
        ctx = _evaluation_context(session, actor, ev, unit="", section="", unscored=False, page=1)
        ctx["form"] = form
        return _fail(request, "accountability/evaluation.html", ctx, exc)
    return RedirectResponse(f"/evaluations/{evaluation_id}#lists", status_code=303)


@router.post("/evaluations/{evaluation_id}/recognitions/{recognition_id}/delete")
def evaluation_unrecognise(
    evaluation_id: str,
    recognition_id: str,
    actor: Actor = require("evaluation.manage"),
    session: Session = Depends(get_session),
) -> Response:
    """Take a unit off a list."""
    evaluation.remove_recognition(
        session, actor=actor, public_id=evaluation_id, recognition_public_id=recognition_id
    )
    return RedirectResponse(f"/evaluations/{evaluation_id}#lists", status_code=303)


@router.post("/evaluations/{evaluation_id}/close")
def evaluation_close(
    evaluation_id: str,
    actor: Actor = require("evaluation.manage"),
    session: Session = Depends(get_session),
) -> Response:
    """Finalise the evaluation."""
    evaluation.close_evaluation(session, actor=actor, public_id=evaluation_id)
    return RedirectResponse(f"/evaluations/{evaluation_id}", status_code=303)


def _download(content: bytes, media_type: str, filename: str) -> Response:
    return Response(
        content,
        media_type=media_type,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"},
    )


@router.get("/evaluations/{evaluation_id}/report.pdf")
def evaluation_pdf(
    evaluation_id: str,
    actor: Actor = require("evaluation.score"),
    session: Session = Depends(get_session),
) -> Response:
    """The evaluation report as a PDF laid out like a government document."""
    ev = evaluation.get_evaluation_for(session, actor=actor, public_id=evaluation_id)
    pdf = build_pdf(evaluation.results(session, ev), now=utcnow())
    return _download(pdf, "application/pdf", f"{ev.title}.pdf")


@router.get("/evaluations/{evaluation_id}/report.xlsx")
def evaluation_xlsx(
    evaluation_id: str,
    actor: Actor = require("evaluation.score"),
    session: Session = Depends(get_session),
) -> Response:
    """The evaluation report as an Excel workbook."""
    ev = evaluation.get_evaluation_for(session, actor=actor, public_id=evaluation_id)
    content = build_xlsx(evaluation.results(session, ev), now=utcnow())
    return _download(
        content,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        f"{ev.title}.xlsx",
    )


# --- dashboard ----------------------------------------------------------------------------------


@router.get("/dashboard")
def dashboard_page(
    request: Request,
    source: str | None = Query(None, max_length=20),
    months: int = Query(12, ge=1, le=36),
    division: str | None = Query(None, pattern=r"^(32\d{4})?$"),
    actor: Actor = require("dashboard.view"),
    session: Session = Depends(get_session),
) -> Response:
    """The joint conference's dashboard: plan progress and the live figures, by county."""
    now = utcnow()
    data = dashboard(
        session, actor=actor, now=now, source=source, months=months, division=division or None
    )
    live = data["live"]
    cities = [
        d
        for d in geo_divisions("city")
        if covers(actor, d.code)
        or any(covers(actor, c.code) for c in geo_divisions("county") if c.parent == d.code)
    ]
    return render(
        request,
        "accountability/dashboard.html",
        {
            **data,
            "now": now,
            "cities": cities,
            "map_data": {code: c.value for code, c in live["map"].items()} if live else {},
            "trend_data": [[m, c.value] for m, c in live["trend"]] if live else [],
            "division_name": _division_name(division),
            "IMPLEMENTATION": IMPLEMENTATION,
        },
    )


def _division_name(code: str | None) -> str | None:
    if not code:
        return None
    from fanguai import geo

    try:
        return geo.get_division(code).name
    except DomainError:
        return None
