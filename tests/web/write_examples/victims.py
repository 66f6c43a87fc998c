"""Writing routes of the victim module, for the B5 sweep in tests/web/test_routes.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fanguai.victims.service import today_in_beijing


def _today() -> str:
    return str(today_in_beijing())


def _file(login, **over):  # type: ignore[no-untyped-def]
    """gusu.civil's client and a file received yesterday (a 12-year-old)."""
    civil = login("gusu.civil")
    body = {"received_at": (datetime.now(UTC) - timedelta(days=1)).isoformat(), "age": 12}
    body.update(over)
    r = civil.post("/api/victims", json=body)
    assert r.status_code == 201, r.text
    return civil, r.json()["id"]


def _shelter(civil, file_id):  # type: ignore[no-untyped-def]
    r = civil.post(
        f"/api/victims/{file_id}/services",
        json={"kind": "shelter", "started_on": _today(), "details": {"provider": "救助站"}},
    )
    return r.json()["id"]


def _consent(civil, file_id, scope="education"):  # type: ignore[no-untyped-def]
    r = civil.post(
        f"/api/victims/{file_id}/consents",
        json={"scope": scope, "given_by": "guardian", "given_on": _today()},
    )
    return r.json()["id"]


def _referral(login):  # type: ignore[no-untyped-def]
    civil, file_id = _file(login)
    _consent(civil, file_id)
    r = civil.post(
        f"/api/victims/{file_id}/referrals", json={"to_unit": "320508-JY", "kind": "schooling"}
    )
    return r.json()["id"]


def _hospital(login):  # type: ignore[no-untyped-def]
    health = login("gusu.health")
    items = health.get("/api/victims/hospitals", params={"county": "320508"}).json()["items"]
    return health, items[0]["id"]


SCHOOL = {"kind": "schooling", "provider": "实验小学", "grade": "六年级"}


def _page(path: str, data_of):  # type: ignore[no-untyped-def]
    """An example posting a page form of gusu.civil's new file."""

    def call(c, login):  # type: ignore[no-untyped-def]
        civil, file_id = _file(login)
        return civil.post(path.format(file_id=file_id), data=data_of(civil, file_id))

    return call


def _end_page(c, login):  # type: ignore[no-untyped-def]
    civil, file_id = _file(login)
    stay = _shelter(civil, file_id)
    return civil.post(f"/victims/{file_id}/services/{stay}/end", data={"ended_on": _today()})


def _withdraw_page(c, login):  # type: ignore[no-untyped-def]
    civil, file_id = _file(login)
    consent = _consent(civil, file_id)
    return civil.post(f"/victims/{file_id}/consents/{consent}/withdraw", data={})


def _sector_page(c, login):  # type: ignore[no-untyped-def]
    _, file_id = _file(login)
    data = {**SCHOOL, "started_on": _today()}
    return login("gusu.edu").post(f"/victims/sector/{file_id}/services", data=data)


def _decide_page(c, login):  # type: ignore[no-untyped-def]
    referral = _referral(login)
    return login("gusu.edu").post(f"/victims/referrals/{referral}", data={"decision": "accept"})


def _decide_api(decision: str):  # type: ignore[no-untyped-def]
    def call(c, login):  # type: ignore[no-untyped-def]
        referral = _referral(login)
        edu = login("gusu.edu")
        if decision == "done":
            edu.post(f"/api/victims/referrals/{referral}/accept", json={})
        return edu.post(f"/api/victims/referrals/{referral}/{decision}", json={})

    return call


def _api(method: str, path: str, body_of):  # type: ignore[no-untyped-def]
    """An example calling the API on gusu.civil's new file."""

    def call(c, login):  # type: ignore[no-untyped-def]
        civil, file_id = _file(login)
        return civil.request(method, path.format(file_id=file_id), json=body_of(civil, file_id))

    return call


def _end_api(c, login):  # type: ignore[no-untyped-def]
    civil, file_id = _file(login)
    stay = _shelter(civil, file_id)
    return civil.post(f"/api/victims/{file_id}/services/{stay}/end", json={"ended_on": _today()})


def _withdraw_api(c, login):  # type: ignore[no-untyped-def]
    civil, file_id = _file(login)
    consent = _consent(civil, file_id)
    return civil.post(
        f"/api/victims/{file_id}/consents/{consent}/withdraw", json={"withdrawn_on": _today()}
    )


def _sector_api(c, login):  # type: ignore[no-untyped-def]
    _, file_id = _file(login)
    body = {
        "kind": "schooling",
        "started_on": _today(),
        "details": {"provider": "实验小学", "grade": "六年级"},
    }
    return login("gusu.edu").post(f"/api/victims/sector/{file_id}/services", json=body)


def _erase_api(c, login):  # type: ignore[no-untyped-def]
    # Erasure shreds a key in the run's key store (outside the rolled-back transaction): only
    # ever a file the example created.
    _, file_id = _file(login)
    return login("gusu.chief").post(f"/api/victims/{file_id}/erase", json={"reason": "依法删除"})


def _hospital_form(county: str = "320508") -> dict:
    return {"county_code": county, "name": "示例医院", "kind": "general", "designated_on": _today()}


def _withdraw_hospital(page: bool):  # type: ignore[no-untyped-def]
    def call(c, login):  # type: ignore[no-untyped-def]
        health, hospital = _hospital(login)
        if page:
            return health.post(f"/victims/hospitals/{hospital}/withdraw", data={})
        return health.post(
            f"/api/victims/hospitals/{hospital}/withdraw", json={"withdrawn_on": _today()}
        )

    return call


EXAMPLES = {
    # pages
    ("POST", "/victims"): lambda c, login: login("gusu.civil").post(
        "/victims", data={"received_at": "2026-01-05T09:00", "age": "11", "sex": "male"}
    ),
    ("POST", "/victims/{file_id}/basics"): _page(
        "/victims/{file_id}/basics", lambda c, f: {"wants_work": "no"}
    ),
    ("POST", "/victims/{file_id}/profile"): _page(
        "/victims/{file_id}/profile", lambda c, f: {"exploitation_types": "begging"}
    ),
    ("POST", "/victims/{file_id}/assessments"): _page(
        "/victims/{file_id}/assessments",
        lambda c, f: {"assessed_on": _today(), "needs": "education", "priority": "high"},
    ),
    ("POST", "/victims/{file_id}/consents"): _page(
        "/victims/{file_id}/consents",
        lambda c, f: {"scope": "health", "given_by": "victim", "given_on": _today()},
    ),
    ("POST", "/victims/{file_id}/consents/{consent_id}/withdraw"): _withdraw_page,
    ("POST", "/victims/{file_id}/services"): _page(
        "/victims/{file_id}/services",
        lambda c, f: {"kind": "shelter", "started_on": _today(), "provider": "救助站"},
    ),
    ("POST", "/victims/{file_id}/services/{service_id}/end"): _end_page,
    ("POST", "/victims/{file_id}/referrals"): _page(
        "/victims/{file_id}/referrals",
        lambda c, f: {
            "to_unit": "320508-WJ",
            "kind": "medical",
            "override_reason": "本人昏迷无法表达，需立即转介救治",
        },
    ),
    ("POST", "/victims/{file_id}/identity"): _page(
        "/victims/{file_id}/identity", lambda c, f: {"identified_on": _today()}
    ),
    ("POST", "/victims/{file_id}/hukou"): _page(
        "/victims/{file_id}/hukou", lambda c, f: {"step": "applied", "on": _today()}
    ),
    ("POST", "/victims/{file_id}/assign"): _page("/victims/{file_id}/assign", lambda c, f: {}),
    ("POST", "/victims/{file_id}/close"): _page(
        "/victims/{file_id}/close", lambda c, f: {"reason": "completed"}
    ),
    ("POST", "/victims/sector/{file_id}/services"): _sector_page,
    ("POST", "/victims/referrals/{referral_id}"): _decide_page,
    ("POST", "/victims/hospitals"): lambda c, login: login("gusu.health").post(
        "/victims/hospitals", data=_hospital_form()
    ),
    ("POST", "/victims/hospitals/{hospital_id}/withdraw"): _withdraw_hospital(page=True),
    # the JSON API
    ("POST", "/api/victims"): lambda c, login: login("gusu.civil").post(
        "/api/victims",
        json={"received_at": (datetime.now(UTC) - timedelta(hours=2)).isoformat(), "age": 8},
    ),
    ("PATCH", "/api/victims/{file_id}"): _api(
        "PATCH", "/api/victims/{file_id}", lambda c, f: {"sex": "male"}
    ),
    ("PUT", "/api/victims/{file_id}/profile"): _api(
        "PUT", "/api/victims/{file_id}/profile", lambda c, f: {"exploitation_types": ["labour"]}
    ),
    ("POST", "/api/victims/{file_id}/assessments"): _api(
        "POST",
        "/api/victims/{file_id}/assessments",
        lambda c, f: {"assessed_on": _today(), "needs": ["medical"]},
    ),
    ("POST", "/api/victims/{file_id}/consents"): _api(
        "POST",
        "/api/victims/{file_id}/consents",
        lambda c, f: {"scope": "all", "given_by": "guardian", "given_on": _today()},
    ),
    ("POST", "/api/victims/{file_id}/consents/{consent_id}/withdraw"): _withdraw_api,
    ("POST", "/api/victims/{file_id}/services"): _api(
        "POST",
        "/api/victims/{file_id}/services",
        lambda c, f: {"kind": "counselling", "started_on": _today(), "details": {"provider": "x"}},
    ),
    ("POST", "/api/victims/{file_id}/services/{service_id}/end"): _end_api,
    ("POST", "/api/victims/{file_id}/referrals"): _api(
        "POST",
        "/api/victims/{file_id}/referrals",
        lambda c, f: {"to_unit": "320508-JY", "kind": "schooling"},  # refused: no consent
    ),
    ("POST", "/api/victims/{file_id}/identity"): _api(
        "POST", "/api/victims/{file_id}/identity", lambda c, f: {"identified_on": _today()}
    ),
    ("POST", "/api/victims/{file_id}/hukou"): _api(
        "POST", "/api/victims/{file_id}/hukou", lambda c, f: {"step": "applied", "on": _today()}
    ),
    ("POST", "/api/victims/{file_id}/assign"): _api(
        "POST", "/api/victims/{file_id}/assign", lambda c, f: {"username": "gusu.civil"}
    ),
    ("POST", "/api/victims/{file_id}/close"): _api(
        "POST", "/api/victims/{file_id}/close", lambda c, f: {"reason": "declined"}
    ),
    ("POST", "/api/victims/{file_id}/erase"): _erase_api,
    ("POST", "/api/victims/sector/{file_id}/services"): _sector_api,
    ("POST", "/api/victims/referrals/{referral_id}/accept"): _decide_api("accept"),
    ("POST", "/api/victims/referrals/{referral_id}/reject"): _decide_api("reject"),
    ("POST", "/api/victims/referrals/{referral_id}/done"): _decide_api("done"),
    ("POST", "/api/victims/hospitals"): lambda c, login: login("gusu.health").post(
        "/api/victims/hospitals", json=_hospital_form()
    ),
    ("POST", "/api/victims/hospitals/{hospital_id}/withdraw"): _withdraw_hospital(page=False),
}
