"""The identification routes against the hand-written policy (tests/access/policy/identify.yaml)
for every matrix persona, and B2: lists and candidates hold exactly what is in scope."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from fanguai.identify.models import FoundPerson
from tests.access import oracle
from tests.access.policy import identify as identify_targets
from tests.access.test_matrix import PERSONAS, _who

OWN_IDS = ("found.", "missing.", "case.", "candidate.")
OPERATIONS = [op for op in oracle.SPEC["operations"] if op["id"].startswith(OWN_IDS)]


def _calls(session):  # type: ignore[no-untyped-def]
    extra = identify_targets.targets(session)
    for op in OPERATIONS:
        placeholder = next((p for p in extra if "{" + p + "}" in op["path"]), None)
        if placeholder is None:
            yield op, op["path"], None, None
            continue
        for label, target in extra[placeholder].items():
            yield op, op["path"].replace("{" + placeholder + "}", target["id"]), target, label


def test_the_policy_lists_the_module_operations() -> None:
    assert len(OPERATIONS) >= 20


@pytest.mark.parametrize("persona", PERSONAS)
def test_identification_routes_agree_with_the_policy(persona, login, session) -> None:  # type: ignore[no-untyped-def]
    who = _who(session, persona)
    client = login(persona)
    disagreements = []
    for op, path, target, label in _calls(session):
        response = client.request(op["method"], path, json=op.get("body"), follow_redirects=False)
        want = oracle.expected_status(op, who, target)
        if response.status_code != want:
            disagreements.append(
                f"{op['id']} {label or ''}: expected {want}, got {response.status_code}"
            )
        elif response.status_code >= 400 and target is not None:
            assert target["id"] not in response.text
            assert target["secret"] not in response.text
    assert disagreements == [], f"{persona}: " + "; ".join(disagreements)


@pytest.mark.parametrize(
    "persona", ["gusu.police", "gusu.civil", "suzhou.dna", "wuzhong.police", "nanjing.police"]
)
def test_found_lists_and_totals_hold_exactly_the_records_in_scope(persona, login, session) -> None:  # type: ignore[no-untyped-def]
    identify_targets.targets(session)
    who = _who(session, persona)
    body = login(persona).get("/api/found", params={"page_size": 200}).json()
    expected = {
        f.public_id
        for f in session.execute(select(FoundPerson)).scalars()
        if oracle.inside(who, f.owner_unit.division_code)
    }
    assert {i["id"] for i in body["items"]} == expected and body["total"] == len(expected)


def test_a_county_user_does_not_learn_of_a_candidate_in_another_county(login, session) -> None:  # type: ignore[no-untyped-def]
    from fanguai.identify.models import Candidate

    # The demo's Wuzhong case matched a child found in Gusu: the city lab sees the candidate, the
    # Gusu officer who registered the child does not (the family lies outside Gusu).
    crossing = next(
        c
        for c in session.execute(
            select(Candidate).where(Candidate.side_type == "missing_case")
        ).scalars()
        if c.side_division != c.found_person.owner_unit.division_code
    )
    found_id = crossing.found_person.public_id
    gusu = login("gusu.civil").get(f"/api/found/{found_id}/candidates").json()
    assert crossing.public_id not in {c["id"] for c in gusu}
    assert login("gusu.civil").get(f"/api/candidates/{crossing.public_id}").status_code == 404
    city = login("suzhou.dna").get(f"/api/found/{found_id}/candidates").json()
    assert crossing.public_id in {c["id"] for c in city}


def test_a_dna_only_candidate_without_a_family_is_listed_to_reviewers_only(login, session) -> None:  # type: ignore[no-untyped-def]
    from fanguai.identify.models import Candidate

    hidden = (
        session.execute(select(Candidate).where(Candidate.side_type == "specimen"))
        .scalars()
        .first()
    )
    found_id = hidden.found_person.public_id
    reviewer = login("gusu.chief").get(f"/api/found/{found_id}/candidates").json()
    officer = login("gusu.police").get(f"/api/found/{found_id}/candidates").json()
    assert hidden.public_id in {c["id"] for c in reviewer}
    assert hidden.public_id not in {c["id"] for c in officer}
    shown = next(c for c in reviewer if c["id"] == hidden.public_id)
    assert shown["side_hidden"] and shown["side_id"] is None and shown["specimens"]
