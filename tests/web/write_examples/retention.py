"""Writing routes of the retention module, for the B5 sweep in tests/web/test_routes.py."""

from __future__ import annotations


def _a_lead(login):  # type: ignore[no-untyped-def]
    """gusu.chief's client and a lead in Gusu's police line (from the chief's inbox)."""
    chief = login("gusu.chief")
    r = chief.get("/api/leads")
    assert r.status_code == 200, r.text
    body = r.json()
    items = body["items"] if isinstance(body, dict) else body
    return chief, items[0]["id"]


def _hold(login):  # type: ignore[no-untyped-def]
    chief, lead = _a_lead(login)
    r = chief.post(
        "/api/retention/holds",
        json={"object_type": "lead", "object_id": lead, "reason": "诉讼保全需要"},
    )
    assert r.status_code == 201, r.text
    return chief, r.json()["id"]


def _place_api(c, login):  # type: ignore[no-untyped-def]
    chief, lead = _a_lead(login)
    return chief.post(
        "/api/retention/holds",
        json={"object_type": "lead", "object_id": lead, "reason": "诉讼保全需要"},
    )


def _place_page(c, login):  # type: ignore[no-untyped-def]
    chief, lead = _a_lead(login)
    return chief.post(
        "/retention/holds",
        data={"object_type": "lead", "object_id": lead, "reason": "诉讼保全需要"},
        follow_redirects=False,
    )


def _release_api(c, login):  # type: ignore[no-untyped-def]
    chief, hold = _hold(login)
    return chief.post(f"/api/retention/holds/{hold}/release", json={"reason": "诉讼已终结"})


def _release_page(c, login):  # type: ignore[no-untyped-def]
    chief, hold = _hold(login)
    return chief.post(
        f"/retention/holds/{hold}/release", data={"reason": "诉讼已终结"}, follow_redirects=False
    )


EXAMPLES = {
    ("POST", "/api/retention/holds"): _place_api,
    ("POST", "/api/retention/holds/{hold_id}/release"): _release_api,
    ("POST", "/retention/holds"): _place_page,
    ("POST", "/retention/holds/{hold_id}/release"): _release_page,
}
