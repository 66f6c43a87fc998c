"""The DNA API and pages: IDs, LRs and classes only in matches; audited profile reads; the
import page's errors in Chinese with row and locus; the supervisors' reveal journey."""

from __future__ import annotations

from sqlalchemy import select

from fanguai.dna.demo import DEMO_TRUTH
from fanguai.dna.models import Specimen
from tests.dna.helpers import Family, wide

MATCH_KEYS = {
    "id", "relationship", "child", "parents", "couple", "query", "lr", "log10_lr",
    "inconsistent_loci", "loci_compared", "expected_false_hits", "rank", "match_class",
    "engine_version", "frequency_table", "settings", "status", "created_at",
}  # fmt: skip


def _child(session) -> Specimen:  # type: ignore[no-untyped-def]
    return session.execute(
        select(Specimen).where(Specimen.lab_ref == DEMO_TRUTH[0].child)
    ).scalar_one()


def test_the_specimen_list_names_specimens_without_profiles(login, session) -> None:  # type: ignore[no-untyped-def]
    analyst = login("suzhou.dna")
    body = analyst.get("/api/dna/specimens", params={"page_size": 200}).json()
    assert body["total"] == len(body["items"]) >= 74
    assert all("profile" not in item for item in body["items"])
    assert login("gusu.police").get("/api/dna/specimens").status_code == 403


def test_the_matching_api_returns_specimen_ids_lrs_and_classes_only(login, session) -> None:  # type: ignore[no-untyped-def]
    child = _child(session)
    matches = login("suzhou.dna").get(f"/api/dna/specimens/{child.public_id}/candidates").json()
    assert matches and all(set(m) == MATCH_KEYS for m in matches)
    ids = {s.public_id for s in session.execute(select(Specimen)).scalars()}
    best = matches[0]
    assert best["child"] == child.public_id and set(best["parents"]) <= ids
    assert best["rank"] == 1 and best["match_class"] == "strong"
    assert DEMO_TRUTH[0].father not in str(matches)  # not even the lab's numbers


def test_every_profile_read_is_in_the_specimens_access_log(login, session) -> None:  # type: ignore[no-untyped-def]
    child = _child(session)
    analyst = login("suzhou.dna")
    detail = analyst.get(f"/api/dna/specimens/{child.public_id}").json()
    assert len(detail["profile"]) == 22
    match = analyst.get(f"/api/dna/specimens/{child.public_id}/candidates").json()[0]
    loci = analyst.get(f"/api/dna/matches/{match['id']}").json()
    assert len(loci["loci"]) == 22 and loci["recomputed_lr"] == match["lr"]
    assert set(loci["loci"][0]["genotypes"]) == {"child", "father", "mother"}
    log = login("suzhou.police").get(f"/api/dna/specimens/{child.public_id}/access-log").json()
    reads = [e for e in log if e["action"] == "dna.profile.read"]
    assert [e["actor_name"] for e in reads] == ["suzhou.dna", "suzhou.dna"]
    father = match["parents"][0]
    father_log = login("auditor").get(f"/api/admin/audit/dna/specimens/{father}/access-log")
    assert [e["detail"]["view"] for e in father_log.json()] == [f"match {match['id']}"]
    assert analyst.get(f"/api/dna/specimens/{child.public_id}/access-log").status_code == 403


def test_settings_out_of_range_for_a_model_are_named(login, session) -> None:  # type: ignore[no-untyped-def]
    child = _child(session)
    analyst = login("suzhou.dna")
    match = analyst.get(f"/api/dna/specimens/{child.public_id}/candidates").json()[0]
    r = analyst.get(f"/api/dna/matches/{match['id']}", params={"model": "equal", "rate": 2})
    assert r.status_code == 422 and "'rate' must be between 0 and 1" in r.json()["message"]
    r = analyst.get(
        f"/api/dna/matches/{match['id']}", params={"model": "proportional", "rate": 0.9}
    )
    assert r.status_code == 422 and "locus" in r.json()["message"]
    r = analyst.get(f"/api/dna/matches/{match['id']}", params={"model": "none"})
    assert r.status_code == 200 and r.json()["settings"]["mutation_model"] == "none"


def test_an_import_with_errors_answers_422_with_every_row_and_locus(login) -> None:  # type: ignore[no-untyped-def]
    fam = Family(80)
    a, b = fam.person(), fam.person()
    b["D8S1179"] = ("16-17",)  # type: ignore[assignment]
    text = wide([("API-1", "father", "", a), ("API-2", "mother", "", b)])
    analyst = login("suzhou.dna")
    before = analyst.get("/api/dna/specimens").json()["total"]
    r = analyst.post("/api/dna/imports", json={"layout": "wide", "csv": text, "kit": "kit"})
    assert r.status_code == 422 and "16-17" not in r.text
    assert r.json()["errors"] == [
        {
            "row": 3,
            "sample": "API-2",
            "locus": "D8S1179",
            "code": "malformed",
            "message": "the genotype is not an STR genotype (expected alleles such as "
            "15/16 or 9.3/10)",
        }
    ]
    assert analyst.get("/api/dna/specimens").json()["total"] == before


def test_the_import_page_checks_then_imports_and_says_what_is_wrong_in_chinese(login) -> None:  # type: ignore[no-untyped-def]
    analyst = login("suzhou.dna")
    fam = Family(81)
    father = fam.person()
    child = fam.child(father, None)
    bad = dict(child)
    bad["TH01"] = ("abc", "7")
    page = analyst.post(
        "/dna/import",
        data={
            "layout": "wide",
            "kit": "kit",
            "mode": "check",
            "text": wide([("PG-F", "father", "", father), ("PG-U", "unknown_child", "", bad)]),
        },
    )
    assert page.status_code == 422
    assert "第 3 行，样本 PG-U，基因座 TH01：基因型无法识别" in page.text
    good = wide([("PG-F", "father", "", father), ("PG-U", "unknown_child", "", child)])
    checked = analyst.post(
        "/dna/import", data={"layout": "wide", "kit": "kit", "mode": "check", "text": good}
    )
    assert checked.status_code == 200 and "检查通过：2 行，2 个样本" in checked.text
    done = analyst.post(
        "/dna/import",
        data={"layout": "wide", "kit": "kit", "mode": "import"},
        files={"file": ("results.csv", good.encode("utf-8"), "text/csv")},
    )
    assert done.status_code == 201 and "已导入 2 个样本" in done.text
    assert "强烈支持" in done.text  # the child's best candidate is its father


def test_the_specimen_and_match_pages_show_the_profile_and_the_loci(login, session) -> None:  # type: ignore[no-untyped-def]
    child = _child(session)
    analyst = login("suzhou.dna")
    page = analyst.get(f"/dna/specimens/{child.public_id}")
    assert page.status_code == 200 and "双亲（夫妇）" in page.text and "D3S1358" in page.text
    match = analyst.get(f"/api/dna/specimens/{child.public_id}/candidates").json()[0]
    detail = analyst.get(f"/dna/matches/{match['id']}")
    assert detail.status_code == 200 and "逐基因座似然比" in detail.text
    tried = analyst.get(f"/dna/matches/{match['id']}", params={"model": "equal", "rate": "2"})
    assert tried.status_code == 422 and "参数无效" in tried.text


def test_the_reveal_journey_through_the_pages(login, session, field_crypto) -> None:  # type: ignore[no-untyped-def]
    from fanguai.core.actions import action
    from fanguai.core.actor import cli_actor
    from fanguai.dna import service

    child = _child(session)
    with action(session, cli_actor("test"), "identify.test_link"):
        service.link_specimen(
            session,
            specimen_public_id=child.public_id,
            subject_type="found_person",
            subject_id="fp-42",
            relation="self",
        )
    chief = login("suzhou.police")
    page = chief.get(f"/dna/specimens/{child.public_id}/reveal")
    assert page.status_code == 200 and "fp-42" not in page.text
    denied = chief.post(f"/dna/specimens/{child.public_id}/reveal", data={"reason": "核对身份"})
    assert denied.status_code == 403 and "须有他人批准" in denied.text
    chief.post(f"/dna/specimens/{child.public_id}/reveal-grants", data={"reason": "比中后核对身份"})
    approver = login("suzhou.labchief")
    listing = approver.get("/dna/reveal-grants")
    grant = listing.text.split('data-grant="')[1].split('"')[0]
    assert approver.post(f"/dna/reveal-grants/{grant}/approve", follow_redirects=False).status_code == 303  # fmt: skip
    shown = chief.post(
        f"/dna/specimens/{child.public_id}/reveal", data={"reason": "比中后核对身份"}
    )
    assert shown.status_code == 200 and "fp-42" in shown.text and "本人" in shown.text
    log = chief.get(f"/dna/specimens/{child.public_id}/access-log")
    assert "揭示身份" in log.text and "suzhou.police" in log.text
