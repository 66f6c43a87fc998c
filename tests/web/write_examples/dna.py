"""Writing routes of the DNA store, for the B5 sweep in tests/web/test_routes.py."""

from __future__ import annotations

from sqlalchemy import select

from tests.dna.helpers import Family, as_profile, wide


def _demo(client):  # type: ignore[no-untyped-def]
    """A demo child and its best match (specimen ID, match ID, the child's profile)."""
    from fanguai.dna.demo import DEMO_TRUTH, demo_samples
    from fanguai.dna.models import CandidateMatch, Specimen

    ref = DEMO_TRUTH[0].child
    genotypes = next(s.genotypes for s in demo_samples()[1] if s.ref == ref)
    with client.app.state.db.session() as s:
        child = s.execute(select(Specimen).where(Specimen.lab_ref == ref)).scalar_one()
        match = (
            s.execute(
                select(CandidateMatch.public_id)
                .where(CandidateMatch.child_id == child.id)
                .order_by(CandidateMatch.log10_lr.desc())
            )
            .scalars()
            .first()
        )
        return child.public_id, match, {x: "/".join(g) for x, g in genotypes.items()}


def _new_father(login, ref: str) -> str:  # type: ignore[no-untyped-def]
    # Withdrawal shreds a key outside the rolled-back transaction: only a specimen made here.
    r = login("suzhou.dna").post(
        "/api/dna/specimens",
        json={"kind": "father", "profile": as_profile(Family(70).person()), "kit": "kit",
              "lab_ref": ref},
    )  # fmt: skip
    return r.json()["id"]


def _grant(client, login) -> str:  # type: ignore[no-untyped-def]
    specimen, _, _ = _demo(client)
    r = login("suzhou.police").post(
        f"/api/dna/specimens/{specimen}/reveal-grants", json={"reason": "比中后核对身份"}
    )
    return r.json()["id"]


def _csv() -> str:
    fam = Family(71)
    return wide([("EX-1", "unknown_child", "", fam.person())])


EXAMPLES = {
    ("POST", "/api/dna/imports"): lambda c, login: login("suzhou.dna").post(
        "/api/dna/imports", json={"layout": "wide", "csv": _csv(), "kit": "kit"}
    ),
    ("POST", "/api/dna/specimens"): lambda c, login: login("suzhou.dna").post(
        "/api/dna/specimens",
        json={"kind": "mother", "profile": as_profile(Family(72).person()), "kit": "kit"},
    ),
    ("POST", "/api/dna/specimens/{specimen_id}/withdraw"): lambda c, login: login(
        "suzhou.dna"
    ).post(
        f"/api/dna/specimens/{_new_father(login, 'EX-W1')}/withdraw",
        json={"reason": "家属撤回同意"},
    ),
    ("POST", "/api/dna/matches/{match_id}/retest"): lambda c, login: login("suzhou.dna").post(
        f"/api/dna/matches/{_demo(c)[1]}/retest", json={"profile": _demo(c)[2]}
    ),
    ("POST", "/api/dna/specimens/{specimen_id}/reveal-grants"): lambda c, login: login(
        "suzhou.police"
    ).post(f"/api/dna/specimens/{_demo(c)[0]}/reveal-grants", json={"reason": "比中后核对身份"}),
    ("POST", "/api/dna/reveal-grants/{grant_id}/approve"): lambda c, login: login(
        "suzhou.labchief"
    ).post(f"/api/dna/reveal-grants/{_grant(c, login)}/approve"),
    ("POST", "/api/dna/reveal-grants/{grant_id}/reject"): lambda c, login: login(
        "suzhou.labchief"
    ).post(f"/api/dna/reveal-grants/{_grant(c, login)}/reject"),
    ("POST", "/api/dna/specimens/{specimen_id}/reveal"): lambda c, login: login(
        "suzhou.police"
    ).post(f"/api/dna/specimens/{_demo(c)[0]}/reveal", json={"reason": "比中后核对身份"}),
    ("POST", "/dna/import"): lambda c, login: login("suzhou.dna").post(
        "/dna/import", data={"layout": "wide", "kit": "kit", "mode": "import", "text": _csv()}
    ),
    ("POST", "/dna/specimens/{specimen_id}/withdraw"): lambda c, login: login("suzhou.dna").post(
        f"/dna/specimens/{_new_father(login, 'EX-W2')}/withdraw",
        data={"reason": "家属撤回同意"},
        follow_redirects=False,
    ),
    ("POST", "/dna/matches/{match_id}/retest"): lambda c, login: login("suzhou.dna").post(
        f"/dna/matches/{_demo(c)[1]}/retest",
        data={"profile": "\n".join(f"{x} {g}" for x, g in _demo(c)[2].items())},
        follow_redirects=False,
    ),
    ("POST", "/dna/specimens/{specimen_id}/reveal-grants"): lambda c, login: login(
        "suzhou.police"
    ).post(
        f"/dna/specimens/{_demo(c)[0]}/reveal-grants",
        data={"reason": "比中后核对身份"},
        follow_redirects=False,
    ),
    ("POST", "/dna/specimens/{specimen_id}/reveal"): lambda c, login: login("suzhou.police").post(
        f"/dna/specimens/{_demo(c)[0]}/reveal", data={"reason": "比中后核对身份"}
    ),
    ("POST", "/dna/reveal-grants/{grant_id}/approve"): lambda c, login: login(
        "suzhou.labchief"
    ).post(f"/dna/reveal-grants/{_grant(c, login)}/approve", follow_redirects=False),
    ("POST", "/dna/reveal-grants/{grant_id}/reject"): lambda c, login: login(
        "suzhou.labchief"
    ).post(f"/dna/reveal-grants/{_grant(c, login)}/reject", follow_redirects=False),
}
