"""JSON API of the DNA store module. There is no route that exports profiles in bulk."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from fanguai.audit.service import canonical_row
from fanguai.core.actor import Actor
from fanguai.dna import schemas, service
from fanguai.dna.models import KINDS, DnaProfile, Specimen
from fanguai.errors import InvalidInput, NotFound
from fanguai.kinship import KinshipError, KinshipSettings
from fanguai.web.deps import get_session, require

router = APIRouter(prefix="/api", tags=["dna"])

_KINDS = "^(" + "|".join(KINDS) + ")$"


@router.get("/dna/specimens", response_model=schemas.SpecimenPage)
def list_specimens(
    kind: str | None = Query(None, pattern=_KINDS),
    status: str | None = Query(None, pattern="^(active|withdrawn)$"),
    page: int = Query(1, ge=1, le=100_000),
    page_size: int = Query(50, ge=1, le=200),
    actor: Actor = require("dna.read"),
    session: Session = Depends(get_session),
) -> schemas.SpecimenPage:
    """Specimens in scope: IDs, kind, kit, lab, lab number, loci typed. No profiles."""
    rows, total = service.list_specimens(
        session, actor=actor, kind=kind, status=status, page=page, page_size=page_size
    )
    return schemas.SpecimenPage(items=[schemas.specimen_read(s, n) for s, n in rows], total=total)


@router.get("/dna/specimens/{specimen_id}", response_model=schemas.SpecimenDetail)
def get_specimen(
    specimen_id: str,
    actor: Actor = require("dna.read"),
    session: Session = Depends(get_session),
) -> schemas.SpecimenDetail:
    """One specimen with its allele calls (an audited read, R-DNA-5)."""
    specimen = service.get_specimen_for(session, actor=actor, public_id=specimen_id)
    couples = [c.public_id for c in service.couples_of(session, specimen) if c.status == "active"]
    loci = session.execute(
        select(DnaProfile.locus_count).where(DnaProfile.specimen_id == specimen.id)
    ).scalar_one()
    profile = None
    if specimen.status == "active":
        profile = service.read_profile(session, actor=actor, specimen=specimen)
    base = schemas.specimen_read(specimen, loci)
    return schemas.SpecimenDetail(**base.model_dump(), profile=profile, couples=couples)


@router.get("/dna/specimens/{specimen_id}/candidates", response_model=list[schemas.MatchRead])
def candidates(
    specimen_id: str,
    actor: Actor = require("dna.read"),
    session: Session = Depends(get_session),
) -> list[dict]:
    """The specimen's candidate matches, best first: specimen IDs, LRs and match class."""
    matches = service.candidates_for(session, actor=actor, specimen_public_id=specimen_id)
    return [schemas.match_read(m) for m in matches]


def _settings(
    model: str | None, rate: float | None, rate_female: float | None, theta: float | None
) -> KinshipSettings | None:
    if model is None and rate is None and rate_female is None and theta is None:
        return None
    data: dict[str, object] = {"mutation_model": model or "stepwise"}
    for name, value in (("rate", rate), ("rate_female", rate_female), ("theta", theta)):
        if value is not None:
            data[name] = value
    try:
        return KinshipSettings.from_dict(data)
    except KinshipError as exc:
        raise InvalidInput(str(exc), field="settings") from None


@router.get("/dna/matches/{match_id}", response_model=schemas.MatchDetailRead)
def get_match(
    match_id: str,
    model: str | None = Query(None, pattern="^(none|equal|proportional|stepwise)$"),
    rate: float | None = Query(None),
    rate_female: float | None = Query(None),
    theta: float | None = Query(None),
    actor: Actor = require("dna.read"),
    session: Session = Depends(get_session),
) -> dict:
    """A match locus by locus (stored settings, or others to try); reads are audited."""
    match = service.get_match_for(session, actor=actor, public_id=match_id)
    detail = service.match_detail(
        session, actor=actor, match=match, settings=_settings(model, rate, rate_female, theta)
    )
    return {
        **schemas.match_read(match),
        "settings": detail.settings.to_dict(),
        "recomputed_lr": detail.result.lr,
        "recomputed_log10_lr": schemas.finite(detail.result.log10_lr),
        "loci": [
            {
                "locus": x.locus,
                "lr": x.lr,
                "consistent": x.consistent,
                "informative": x.informative,
                "genotypes": {role: g.get(x.locus) for role, g in detail.genotypes.items()},
            }
            for x in detail.result.loci
        ],
    }


@router.post("/dna/imports", response_model=schemas.ImportRead, status_code=201)
def import_file(
    body: schemas.ImportCreate,
    actor: Actor = require("dna.import"),
    session: Session = Depends(get_session),
):  # type: ignore[no-untyped-def]
    """Import a lab file (long or wide CSV) whole, or refuse it whole with every error."""
    try:
        result = service.import_lab_file(
            session, actor=actor, text=body.csv, layout=body.layout, kit=body.kit, lab=body.lab
        )
    except service.ImportRefused as exc:
        return JSONResponse(
            {
                "error": exc.code,
                "message": exc.message,
                "field": exc.field,
                "errors": [e.to_dict() for e in exc.errors],
            },
            status_code=422,
        )
    return schemas.ImportRead(
        id=result.import_id,
        specimens={s.lab_ref: s.public_id for s in result.specimens},
        matches=len(result.matches),
        notices=[schemas.NoticeRead(**n.to_dict()) for n in result.notices],  # type: ignore[arg-type]
    )


@router.post("/dna/specimens", response_model=schemas.SpecimenRead, status_code=201)
def register(
    body: schemas.SpecimenCreate,
    actor: Actor = require("dna.import"),
    session: Session = Depends(get_session),
) -> schemas.SpecimenRead:
    """Register one typed specimen; it is searched against the other side at once."""
    specimen = service.register_specimen(
        session,
        actor=actor,
        kind=body.kind,
        profile=body.profile,
        kit=body.kit,
        lab=body.lab,
        lab_ref=body.lab_ref,
        couple_with=body.couple_with,
        relation=body.relation,
    )
    return schemas.specimen_read(specimen)


@router.post("/dna/specimens/{specimen_id}/withdraw", response_model=schemas.SpecimenRead)
def withdraw(
    specimen_id: str,
    body: schemas.ReasonBody,
    actor: Actor = require("dna.import"),
    session: Session = Depends(get_session),
) -> schemas.SpecimenRead:
    """A relative withdrew consent: the profile is crypto-shredded (R-DNA-8)."""
    specimen = service.withdraw_consent(
        session, actor=actor, specimen_public_id=specimen_id, reason=body.reason
    )
    return schemas.specimen_read(specimen)


@router.post("/dna/matches/{match_id}/retest", response_model=schemas.RetestRead, status_code=201)
def retest(
    match_id: str,
    body: schemas.RetestCreate,
    actor: Actor = require("dna.import"),
    session: Session = Depends(get_session),
) -> schemas.RetestRead:
    """The lab's confirming re-test with a fresh sample (agrees = same match class)."""
    row = service.retest(
        session,
        actor=actor,
        match_public_id=match_id,
        profile=body.profile,
        specimen_public_id=body.specimen,
    )
    match = service.get_match_for(session, actor=actor, public_id=match_id)
    specimen = session.get(Specimen, row.specimen_id)
    return schemas.retest_read(row, match, specimen)  # type: ignore[arg-type]


@router.post(
    "/dna/specimens/{specimen_id}/reveal-grants",
    response_model=schemas.GrantRead,
    status_code=201,
)
def request_grant(
    specimen_id: str,
    body: schemas.ReasonBody,
    actor: Actor = require("dna.reveal"),
    session: Session = Depends(get_session),
) -> schemas.GrantRead:
    """Ask another supervisor for time-limited permission to reveal (B9)."""
    grant = service.request_reveal_grant(
        session, actor=actor, specimen_public_id=specimen_id, reason=body.reason
    )
    return schemas.grant_read(grant)


@router.get("/dna/reveal-grants", response_model=list[schemas.GrantRead])
def pending_grants(
    actor: Actor = require("dna.reveal"), session: Session = Depends(get_session)
) -> list[schemas.GrantRead]:
    """Reveal requests waiting for a decision in the supervisor's scope."""
    return [schemas.grant_read(g) for g in service.pending_reveal_grants(session, actor=actor)]


@router.post("/dna/reveal-grants/{grant_id}/approve", response_model=schemas.GrantRead)
def approve_grant(
    grant_id: str,
    actor: Actor = require("grants.approve"),
    session: Session = Depends(get_session),
) -> schemas.GrantRead:
    """Approve a reveal request (never one's own)."""
    grant = service.decide_reveal_grant(
        session, actor=actor, grant_public_id=grant_id, approve=True
    )
    return schemas.grant_read(grant)


@router.post("/dna/reveal-grants/{grant_id}/reject", response_model=schemas.GrantRead)
def reject_grant(
    grant_id: str,
    actor: Actor = require("grants.approve"),
    session: Session = Depends(get_session),
) -> schemas.GrantRead:
    """Reject a reveal request."""
    grant = service.decide_reveal_grant(
        session, actor=actor, grant_public_id=grant_id, approve=False
    )
    return schemas.grant_read(grant)


@router.post("/dna/specimens/{specimen_id}/reveal", response_model=list[schemas.LinkRead])
def reveal(
    specimen_id: str,
    body: schemas.ReasonBody,
    actor: Actor = require("dna.reveal"),
    session: Session = Depends(get_session),
) -> list[schemas.LinkRead]:
    """Who is behind a specimen (approved grant; high-priority audit record)."""
    links = service.reveal_subject(
        session, actor=actor, specimen_public_id=specimen_id, reason=body.reason
    )
    return [
        schemas.LinkRead(
            specimen=x.specimen_id,
            subject_type=x.subject_type,
            subject_id=x.subject_id,
            relation=x.relation,
        )
        for x in links
    ]


@router.get("/dna/specimens/{specimen_id}/access-log")
def access_log(
    specimen_id: str,
    actor: Actor = require("dna.reveal"),
    session: Session = Depends(get_session),
) -> list[dict[str, object]]:
    """Who read or acted on this specimen (the DNA supervisors of its unit's line)."""
    specimen = service.get_specimen_for(
        session, actor=actor, public_id=specimen_id, permission="dna.reveal"
    )
    return [canonical_row(e) for e in service.access_log(session, actor=actor, specimen=specimen)]


@router.get("/admin/audit/dna/specimens/{specimen_id}/access-log")
def audit_access_log(
    specimen_id: str,
    actor: Actor = require("audit.read"),
    session: Session = Depends(get_session),
) -> list[dict[str, object]]:
    """Who read or acted on this specimen (the audit admin, without seeing the specimen)."""
    specimen = session.execute(
        select(Specimen).where(Specimen.public_id == specimen_id)
    ).scalar_one_or_none()
    if specimen is None:
        raise NotFound("specimen not found")
    return [canonical_row(e) for e in service.access_log(session, actor=actor, specimen=specimen)]
