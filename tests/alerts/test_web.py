"""The API and pages: precise 422s, the case page, the public page without family data."""

from __future__ import annotations

import io
from datetime import timedelta

from PIL import Image

from fanguai.db import utcnow

CASE = {
    "child": {"name": "网页童", "sex": "male", "age": 7, "description": "黄色雨衣"},
    "guardian": {"name": "网页家长", "phone": "13911112222"},
    "last_seen_place": "平江路",
    "last_seen_lat": 31.3236,
    "last_seen_lng": 120.6175,
    "category": "lost",
}


def _body(**changes):  # type: ignore[no-untyped-def]
    return {**CASE, "last_seen_at": (utcnow() - timedelta(minutes=15)).isoformat(), **changes}


def test_the_api_opens_a_case_and_names_the_bad_field(login) -> None:  # type: ignore[no-untyped-def]
    police = login("gusu.police")
    r = police.post("/api/cases", json=_body())
    assert r.status_code == 201, r.text
    assert r.json()["child_name"] == "网**" and "网页家长" not in r.text
    r = police.post("/api/cases", json=_body(last_seen_lat=35.68, last_seen_lng=139.69))
    assert r.status_code == 422 and r.json()["field"] == "last_seen_lat"
    r = police.post(
        "/api/cases", json=_body(last_seen_at=(utcnow() + timedelta(hours=2)).isoformat())
    )
    assert r.status_code == 422 and r.json()["field"] == "last_seen_at"
    r = police.post("/api/cases", json=_body(category="kidnap"))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "category"


def test_an_unknown_subscriber_channel_answers_422_naming_it(login) -> None:  # type: ignore[no-untyped-def]
    chief = login("gusu.chief")
    r = chief.post(
        "/api/alerts/subscribers",
        json={"kind": "volunteer", "channel": "pigeon", "lat": 31.3, "lng": 120.6},
    )
    assert r.status_code == 422 and r.json()["field"] == "channel"
    assert "pigeon" in r.json()["message"]


def test_publish_from_the_page_and_the_public_page_shows_no_family_data(login, client) -> None:  # type: ignore[no-untyped-def]
    police = login("gusu.police")
    case = police.post("/api/cases", json=_body()).json()
    buf = io.BytesIO()
    Image.new("RGB", (20, 20), (10, 200, 10)).save(buf, format="PNG")
    r = police.post(
        f"/cases/{case['id']}/photos",
        files={"photo": ("child.png", buf.getvalue(), "image/png")},
        data={"csrf_token": police.csrf},
        follow_redirects=False,
    )
    assert r.status_code == 303
    r = police.post(
        f"/cases/{case['id']}/photos",
        files={"photo": ("child.png", b"not an image at all", "image/png")},
        data={"csrf_token": police.csrf},
    )
    assert r.status_code == 422
    chief = login("gusu.chief")
    page = chief.get(f"/cases/{case['id']}")
    assert page.status_code == 200 and "立即发布预警" in page.text
    assert "网页家长" not in page.text and "13911112222" not in page.text
    r = chief.post(f"/cases/{case['id']}/publish", follow_redirects=False)
    assert r.status_code == 303
    detail = chief.get(f"/api/cases/{case['id']}").json()
    alert = detail["alert_detail"]
    assert alert["radius_km"] == 100 and alert["stages"][0]["kind"] == "publish"
    public = client.get(f"/public/alerts/{alert['id']}")
    assert public.status_code == 200
    assert "黄色雨衣" in public.text and "网**" in public.text
    for private in ("网页家长", "13911112222", "网页童"):
        assert private not in public.text
    assert client.get(f"/public/alerts/{alert['id']}/photo").headers["content-type"] == "image/jpeg"
    # Closing an unsolved case is refused; the leader's sign-off with an outcome closes it.
    r = chief.post(f"/api/cases/{case['id']}/close", json={"outcome": None})
    assert r.status_code == 409
    r = chief.post(
        f"/api/cases/{case['id']}/close", json={"outcome": "found_alive", "reason": "已找到"}
    )
    assert r.status_code == 200 and r.json()["status"] == "closed"
    over = client.get(f"/public/alerts/{alert['id']}")
    assert "预警已结束" in over.text and "黄色雨衣" not in over.text
    assert client.get(f"/public/alerts/{alert['id']}/photo").status_code == 404


def test_the_report_form_keeps_what_was_typed_and_says_what_is_wrong(login) -> None:  # type: ignore[no-untyped-def]
    police = login("gusu.police")
    assert police.get("/cases/new").status_code == 200
    r = police.post(
        "/cases/new",
        data={
            "csrf_token": police.csrf,
            "child_name": "表单童",
            "description": "绿色帽子",
            "last_seen_place": "东京",
            "last_seen_lat": "35.68",
            "last_seen_lng": "139.69",
            "last_seen_at": "2026-05-04T10:00",
            "category": "lost",
            "contact_phone": "110",
        },
    )
    assert r.status_code == 422
    assert "不在中国境内" in r.text and "绿色帽子" in r.text
    r = police.post(
        "/cases/new",
        data={
            "csrf_token": police.csrf,
            "child_name": "表单童",
            "last_seen_place": "石路",
            "last_seen_lat": "31.31",
            "last_seen_lng": "120.60",
            "last_seen_at": "2026-05-04T10:00",
            "category": "runaway",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    page = police.get(r.headers["location"])
    assert "离家出走" in page.text and "表**" in page.text
    assert police.get("/cases").status_code == 200


def test_cases_of_another_county_answer_404(login) -> None:  # type: ignore[no-untyped-def]
    case = login("gusu.police").post("/api/cases", json=_body()).json()
    other = login("wuzhong.police")
    assert other.get(f"/api/cases/{case['id']}").status_code == 404
    assert other.get(f"/cases/{case['id']}").status_code == 404
