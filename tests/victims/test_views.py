"""Field-level views (B3) and scope: each line sees its own piece of the file and nothing more."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from fanguai.victims.models import VictimFile
from fanguai.victims.service import today_in_beijing
from tests.victims.conftest import SENTINEL_DIAGNOSIS, SENTINEL_HISTORY, intake

SPEC = yaml.safe_load(Path(__file__).with_name("field_spec.yaml").read_text("utf-8"))


def _full_file(user):  # type: ignore[no-untyped-def]
    """A file with a profile, a medical record, counselling, a placement and an employment record."""
    civil = user("gusu.civil")
    received = intake(age=15, received_at=intake()["received_at"], wants_work=True)
    file_id = civil.post("/api/victims", json=received).json()["id"]
    today = str(today_in_beijing())
    civil.put(
        f"/api/victims/{file_id}/profile",
        json={"exploitation_types": ["sexual"], "narrative": SENTINEL_HISTORY},
    )
    hospital = civil.get("/api/victims/hospitals", params={"county": "320508"}).json()["items"][0]
    for body in (
        {
            "kind": "medical",
            "details": {"hospital": hospital["id"], "diagnosis": SENTINEL_DIAGNOSIS},
        },
        {"kind": "counselling", "details": {"provider": "心理中心", "notes": "SENTINEL-COUNSEL"}},
        {
            "kind": "schooling",
            "details": {"provider": "实验中学", "grade": "初三", "record_transferred": True},
        },
        {"kind": "employment", "details": {"provider": "人才市场", "activity": "training"}},
        {"kind": "legal_aid", "details": {"provider": "法律援助中心", "matter": "SENTINEL-LEGAL"}},
    ):
        r = civil.post(f"/api/victims/{file_id}/services", json={"started_on": today, **body})
        assert r.status_code == 201, r.text
    return file_id


def _keys_ok(view: dict, resource: str) -> None:
    assert set(view) <= set(SPEC[resource]), set(view) - set(SPEC[resource])


@pytest.mark.parametrize(
    ("persona", "line"), [("gusu.edu", "education"), ("gusu.health", "health"), ("gusu.hr", "hr")]
)
def test_a_sector_officer_sees_only_the_fields_of_their_line(user, persona, line) -> None:  # type: ignore[no-untyped-def]
    file_id = _full_file(user)
    officer = user(persona)
    r = officer.get(f"/api/victims/sector/{file_id}")
    assert r.status_code == 200, r.text
    view = r.json()
    _keys_ok(view, "sector_view")
    assert view["line"] == line
    kinds = {s["kind"] for s in view["services"]}
    assert kinds == set(SPEC["line_kinds"][line]) & {
        "schooling",
        "medical",
        "counselling",
        "employment",
    }
    for s in view["services"]:
        _keys_ok(s, "service")
        assert set(s["details"]) <= set(SPEC["details"][s["kind"]])
    # Nothing of the exploitation history, nor of the other lines' services.
    assert SENTINEL_HISTORY not in r.text and "SENTINEL-LEGAL" not in r.text
    if line != "health":
        assert SENTINEL_DIAGNOSIS not in r.text and "SENTINEL-COUNSEL" not in r.text
    # The whole file stays closed to them.
    assert officer.get(f"/api/victims/{file_id}").status_code == 403
    assert officer.get("/api/victims").status_code == 403


def test_the_education_ledger_lists_the_placement_and_nothing_of_the_history(user) -> None:  # type: ignore[no-untyped-def]
    file_id = _full_file(user)
    r = user("gusu.edu").get("/api/victims/sector")
    rows = {row["id"]: row for row in r.json()["items"]}
    assert file_id in rows
    row = rows[file_id]
    _keys_ok(row, "sector_row")
    assert (
        row["latest"]["details"]["provider"] == "实验中学" and row["latest"]["kind"] == "schooling"
    )
    assert SENTINEL_HISTORY not in r.text and SENTINEL_DIAGNOSIS not in r.text


def test_the_lines_that_keep_the_file_see_all_of_it(user) -> None:  # type: ignore[no-untyped-def]
    file_id = _full_file(user)
    for persona in ("gusu.civil", "gusu.police", "gusu.chief"):
        r = user(persona).get(f"/api/victims/{file_id}")
        assert r.status_code == 200, (persona, r.text)
        _keys_ok(r.json(), "file_detail")
        assert SENTINEL_HISTORY in r.text and SENTINEL_DIAGNOSIS in r.text


def test_a_sector_officer_cannot_record_another_lines_service(user, session) -> None:  # type: ignore[no-untyped-def]
    file_id = _full_file(user)
    today = str(today_in_beijing())
    r = user("gusu.edu").post(
        f"/api/victims/sector/{file_id}/services",
        json={"kind": "counselling", "started_on": today, "details": {"provider": "x"}},
    )
    assert r.status_code == 403
    r = user("gusu.edu").post(
        f"/api/victims/sector/{file_id}/services",
        json={
            "kind": "schooling",
            "started_on": today,
            "details": {"provider": "二中", "grade": "初三"},
        },
    )
    assert r.status_code == 201
    # Nor write through the caseworkers' routes.
    r = user("gusu.edu").post(
        f"/api/victims/{file_id}/services",
        json={
            "kind": "schooling",
            "started_on": today,
            "details": {"provider": "二中", "grade": "初三"},
        },
    )
    assert r.status_code == 403


def test_the_police_read_but_do_not_change_the_file(user) -> None:  # type: ignore[no-untyped-def]
    file_id = _full_file(user)
    police = user("gusu.police")
    assert police.get(f"/api/victims/{file_id}").status_code == 200
    r = police.post(f"/api/victims/{file_id}/close", json={"reason": "completed"})
    assert r.status_code == 403


@pytest.mark.parametrize("persona", ["wuzhong.civil", "nanjing.police", "nanjing.civil"])
def test_a_file_outside_the_jurisdiction_is_not_found(user, persona) -> None:  # type: ignore[no-untyped-def]
    file_id = _full_file(user)
    r = user(persona).get(f"/api/victims/{file_id}")
    assert r.status_code == 404 and file_id not in r.text
    assert file_id not in user(persona).get("/api/victims").text


def test_the_city_sees_its_counties_files(user) -> None:  # type: ignore[no-untyped-def]
    file_id = _full_file(user)
    assert user("suzhou.police").get(f"/api/victims/{file_id}").status_code == 200


@pytest.mark.parametrize("persona", ["sysadmin", "secadmin", "auditor", "jiangsu.office"])
def test_no_admin_nor_the_office_reads_a_file(user, persona) -> None:  # type: ignore[no-untyped-def]
    file_id = _full_file(user)
    for path in (f"/api/victims/{file_id}", f"/api/victims/sector/{file_id}", "/api/victims"):
        assert user(persona).get(path).status_code == 403


def test_education_does_not_see_an_adult_victim(user) -> None:  # type: ignore[no-untyped-def]
    adult = user("gusu.civil").post("/api/victims", json=intake(age=30)).json()["id"]
    assert user("gusu.edu").get(f"/api/victims/sector/{adult}").status_code == 404
    assert user("gusu.health").get(f"/api/victims/sector/{adult}").status_code == 200


def test_a_referral_opens_the_file_to_the_receiving_unit_of_another_county(user, session) -> None:  # type: ignore[no-untyped-def]
    civil = user("gusu.civil")
    file_id = civil.post("/api/victims", json=intake(age=12)).json()["id"]
    wuzhong_edu = "320506-JY"
    civil.post(
        f"/api/victims/{file_id}/consents",
        json={"scope": "education", "given_by": "guardian", "given_on": str(today_in_beijing())},
    )
    # No sector officer exists at 320506-JY in the demo; the referral itself is what counts.
    r = civil.post(
        f"/api/victims/{file_id}/referrals", json={"to_unit": wuzhong_edu, "kind": "schooling"}
    )
    assert r.status_code == 201, r.text
    assert r.json()["to_unit"] == "苏州市吴中区教育局" and r.json()["consent"] is not None


def test_erasing_a_file_shreds_its_key_and_leaves_others_readable(
    user, session, field_crypto
) -> None:  # type: ignore[no-untyped-def]
    gone = _full_file(user)
    kept = _full_file(user)
    chief = user("gusu.chief")
    assert (
        user("gusu.civil")
        .post(f"/api/victims/{gone}/erase", json={"reason": "依法删除"})
        .status_code
        == 403
    )
    assert chief.post(f"/api/victims/{gone}/erase", json={"reason": "依法删除"}).status_code == 204
    detail = chief.get(f"/api/victims/{gone}").json()
    assert detail["erased"] and detail["profile"] is None and detail["status"] == "closed"
    assert all(s["details"] == {} for s in detail["services"])
    stored = session.execute(select(VictimFile).where(VictimFile.public_id == gone)).scalar_one()
    from fanguai.crypto.keystore import SubjectShredded

    with pytest.raises(SubjectShredded):
        field_crypto.keystore.data_key(stored.subject_id, create=False)
    assert SENTINEL_HISTORY in chief.get(f"/api/victims/{kept}").text
    assert (
        chief.post(f"/api/victims/{gone}/erase", json={"reason": "再次删除档案"}).status_code == 409
    )


def test_the_access_log_lists_every_read_for_the_supervisor_only(user) -> None:  # type: ignore[no-untyped-def]
    file_id = _full_file(user)
    user("gusu.police").get(f"/api/victims/{file_id}")
    log = user("gusu.chief").get(f"/api/victims/{file_id}/access-log")
    assert log.status_code == 200
    readers = {(e["actor_name"], e["action"]) for e in log.json()}
    assert ("gusu.police", "victims.read") in readers
    assert user("gusu.police").get(f"/api/victims/{file_id}/access-log").status_code == 403


def test_dates_in_the_past_week_show_in_the_timeline_in_order(user) -> None:  # type: ignore[no-untyped-def]
    civil = user("gusu.civil")
    file_id = civil.post("/api/victims", json=intake(received_at=intake()["received_at"])).json()[
        "id"
    ]
    yesterday = str(today_in_beijing() - timedelta(days=1))
    civil.post(
        f"/api/victims/{file_id}/services",
        json={"kind": "shelter", "started_on": yesterday, "details": {"provider": "救助站"}},
    )
    days = [e["on"] for e in civil.get(f"/api/victims/{file_id}").json()["timeline"]]
    assert days == sorted(days)
