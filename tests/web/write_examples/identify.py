"""Writing routes of the identification module, for the B5 sweep in tests/web/test_routes.py."""

from __future__ import annotations

import io

from sqlalchemy import select

from fanguai.identify.models import Candidate, FoundPerson, MissingRecord

CSV = "source,found_at,county_code,name\ncensus,2026-01-05,320508,示例\n"
FOUND = {
    "source": "wandering_minor",
    "found_at": "2026-01-05T10:00:00+08:00",
    "county_code": "320508",
}
RECORD = {"county_code": "320508", "sex": "male", "lost_on": "2019-05"}


def _first(c, stmt):  # type: ignore[no-untyped-def]
    with c.app.state.db.session() as s:
        return s.execute(stmt).scalars().first()


def _found(c, source: str = "census") -> str:  # type: ignore[no-untyped-def]
    return _first(
        c,
        select(FoundPerson.public_id).where(FoundPerson.source == source).order_by(FoundPerson.id),
    )


def _record(c) -> str:  # type: ignore[no-untyped-def]
    return _first(c, select(MissingRecord.public_id).order_by(MissingRecord.id))


def _case(c) -> str:  # type: ignore[no-untyped-def]
    from fanguai.alerts.models import MissingCase

    return _first(
        c,
        select(MissingCase.public_id).where(MissingCase.status == "open").order_by(MissingCase.id),
    )


def _candidate(c, level: str = "dna_supported") -> str:  # type: ignore[no-untyped-def]
    return _first(
        c, select(Candidate.public_id).where(Candidate.level == level).order_by(Candidate.id)
    )


def _photo() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8), (1, 2, 3)).save(out, format="PNG")
    return out.getvalue()


def _police(login):  # type: ignore[no-untyped-def]
    return login("gusu.police")


def _dna(login):  # type: ignore[no-untyped-def]
    return login("suzhou.dna")


REUNION = {
    "reunited_on": "2026-01-06",
    "place": "姑苏区公安局",
    "family_contacted": "父亲到场",
    "child_wishes": "愿意回家",
}

EXAMPLES = {
    ("POST", "/found"): lambda c, login: _police(login).post(
        "/found", data={**FOUND, "found_at": "2026-01-05T10:00"}
    ),
    ("POST", "/found/import"): lambda c, login: _police(login).post(
        "/found/import", files={"file": ("a.csv", CSV.encode(), "text/csv")}
    ),
    ("POST", "/found/linkage"): lambda c, login: _police(login).post("/found/linkage"),
    ("POST", "/found/missing"): lambda c, login: _police(login).post("/found/missing", data=RECORD),
    ("POST", "/found/missing/{record_id}/specimens"): lambda c, login: _dna(login).post(
        f"/found/missing/{_record(c)}/specimens",
        data={"specimen": "no-such-specimen", "relation": "father"},
    ),
    ("POST", "/found/cases/{case_id}/specimens"): lambda c, login: _dna(login).post(
        f"/found/cases/{_case(c)}/specimens",
        data={"specimen": "no-such-specimen", "relation": "mother"},
    ),
    ("POST", "/found/{found_id}/search-notice"): lambda c, login: login("gusu.civil").post(
        f"/found/{_found(c, 'shelter_intake')}/search-notice",
        data={"reference": "全国救助寻亲网 0001"},
    ),
    ("POST", "/found/{found_id}/sample"): lambda c, login: _police(login).post(
        f"/found/{_found(c, 'wandering_minor')}/sample", data={"sample_ref": "GS-0001"}
    ),
    ("POST", "/found/{found_id}/specimen"): lambda c, login: _dna(login).post(
        f"/found/{_found(c, 'wandering_minor')}/specimen", data={"specimen": "no-such-specimen"}
    ),
    ("POST", "/found/{found_id}/photos"): lambda c, login: _police(login).post(
        f"/found/{_found(c)}/photos", files={"photo": ("p.png", _photo(), "image/png")}
    ),
    ("POST", "/found/{found_id}/dna-search"): lambda c, login: _dna(login).post(
        f"/found/{_found(c)}/dna-search"
    ),
    ("POST", "/found/{found_id}/linkage"): lambda c, login: _police(login).post(
        f"/found/{_found(c)}/linkage"
    ),
    ("POST", "/found/{found_id}/close"): lambda c, login: _police(login).post(
        f"/found/{_found(c)}/close", data={"reason": "已由家属领回"}
    ),
    ("POST", "/found/{found_id}/reunify"): lambda c, login: login("gusu.chief").post(
        f"/found/{_found(c, 'wandering_minor')}/reunify", data=REUNION
    ),
    ("POST", "/found/candidates/{candidate_id}/reveal"): lambda c, login: login("gusu.chief").post(
        f"/found/candidates/{_candidate(c)}/reveal", data={"reason": "核对家庭"}
    ),
    ("POST", "/found/candidates/{candidate_id}/retest"): lambda c, login: _dna(login).post(
        f"/found/candidates/{_candidate(c)}/retest", data={"profile": ""}
    ),
    ("POST", "/found/candidates/{candidate_id}/confirm"): lambda c, login: _dna(login).post(
        f"/found/candidates/{_candidate(c)}/confirm", data={"note": "x"}
    ),
    ("POST", "/found/candidates/{candidate_id}/reject"): lambda c, login: _dna(login).post(
        f"/found/candidates/{_candidate(c)}/reject", data={"reason": "特征不符"}
    ),
    ("POST", "/api/found"): lambda c, login: _police(login).post("/api/found", json=FOUND),
    ("POST", "/api/found/import"): lambda c, login: _police(login).post(
        "/api/found/import",
        files={"file": ("b.csv", CSV.replace("示例", "示例二").encode(), "text/csv")},
    ),
    ("POST", "/api/found/linkage"): lambda c, login: _police(login).post("/api/found/linkage"),
    ("POST", "/api/found/{found_id}/search-notice"): lambda c, login: login("gusu.civil").post(
        f"/api/found/{_found(c, 'shelter_intake')}/search-notice",
        json={"reference": "全国救助寻亲网 0002"},
    ),
    ("POST", "/api/found/{found_id}/sample"): lambda c, login: _police(login).post(
        f"/api/found/{_found(c, 'wandering_minor')}/sample", json={"sample_ref": "GS-0002"}
    ),
    ("POST", "/api/found/{found_id}/specimen"): lambda c, login: _dna(login).post(
        f"/api/found/{_found(c, 'wandering_minor')}/specimen", json={"specimen": "no-such-specimen"}
    ),
    ("POST", "/api/found/{found_id}/dna-search"): lambda c, login: _dna(login).post(
        f"/api/found/{_found(c)}/dna-search"
    ),
    ("POST", "/api/found/{found_id}/linkage"): lambda c, login: _police(login).post(
        f"/api/found/{_found(c)}/linkage"
    ),
    ("POST", "/api/found/{found_id}/close"): lambda c, login: _police(login).post(
        f"/api/found/{_found(c)}/close", json={"reason": "已由家属领回"}
    ),
    ("POST", "/api/found/{found_id}/reunification"): lambda c, login: login("gusu.chief").post(
        f"/api/found/{_found(c, 'wandering_minor')}/reunification", json=REUNION
    ),
    ("POST", "/api/candidates/{candidate_id}/reveal"): lambda c, login: login("gusu.chief").post(
        f"/api/candidates/{_candidate(c)}/reveal", json={"reason": "核对家庭"}
    ),
    ("POST", "/api/candidates/{candidate_id}/retest"): lambda c, login: _dna(login).post(
        f"/api/candidates/{_candidate(c)}/retest", json={}
    ),
    ("POST", "/api/candidates/{candidate_id}/confirm"): lambda c, login: _dna(login).post(
        f"/api/candidates/{_candidate(c)}/confirm", json={}
    ),
    ("POST", "/api/candidates/{candidate_id}/reject"): lambda c, login: _dna(login).post(
        f"/api/candidates/{_candidate(c)}/reject", json={"reason": "特征不符"}
    ),
    ("POST", "/api/missing-records"): lambda c, login: _police(login).post(
        "/api/missing-records", json=RECORD
    ),
    ("POST", "/api/missing-records/{record_id}/specimens"): lambda c, login: _dna(login).post(
        f"/api/missing-records/{_record(c)}/specimens",
        json={"specimen": "no-such-specimen", "relation": "father"},
    ),
    ("POST", "/api/missing-cases/{case_id}/specimens"): lambda c, login: _dna(login).post(
        f"/api/missing-cases/{_case(c)}/specimens",
        json={"specimen": "no-such-specimen", "relation": "mother"},
    ),
}
