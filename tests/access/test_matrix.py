"""B1/B2: every operation × every fixture user × targets around them agrees with the oracle."""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from fanguai.org.models import Unit, User
from tests.access import oracle

PERSONAS = [
    "gusu.police",
    "gusu.chief",
    "wuzhong.police",
    "suzhou.police",
    "suzhou.dna",
    "gusu.civil",
    "gusu.edu",
    "nanjing.police",
    "jiangsu.office",
    "jiangsu.edu.liaison",
    "sysadmin",
    "secadmin",
    "auditor",
]
# Own unit, parent (city), province, sibling county, another city, another department.
UNIT_TARGETS = ["320508-GA", "320500-GA", "320000-GA", "320506-GA", "320100-GA", "320508-MZ"]
USER_TARGETS = [
    "gusu.police",
    "suzhou.dna",
    "wuzhong.police",
    "nanjing.police",
    "gusu.civil",
    "jiangsu.office",
]


def _who(session, username: str) -> oracle.Who:  # type: ignore[no-untyped-def]
    user = session.execute(select(User).where(User.username == username)).scalar_one()
    return oracle.Who(
        username,
        frozenset(r.code for r in user.roles),
        user.unit.division_code,
        user.unit.level,
        user.unit.department,
    )


def _units(session) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    return {
        u.code: {
            "id": u.public_id,
            "division": u.division_code,
            "department": u.department,
            "secret": u.name,
        }
        for u in session.execute(select(Unit)).scalars()
    }


def _users(session) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    return {
        u.username: {
            "id": u.public_id,
            "division": u.unit.division_code,
            "department": u.unit.department,
            "secret": u.display_name,
        }
        for u in session.execute(select(User)).scalars()
    }


def _people(session) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    from fanguai.people.demo import DEMO_PEOPLE
    from fanguai.people.models import Person

    out = {}
    for username, parent, child, _born, _county in DEMO_PEOPLE:
        owner = session.execute(select(User).where(User.username == username)).scalar_one().unit
        for kind, name in (("parent", parent), ("missing_child", child)):
            person = (
                session.execute(
                    select(Person).where(Person.owner_unit_id == owner.id, Person.kind == kind)
                )
                .scalars()
                .first()
            )
            out[f"{kind}@{owner.code}"] = {
                "id": person.public_id,
                "division": owner.division_code,
                "department": owner.department,
                "minor": kind == "missing_child",
                "secret": name,
            }
    return out


def _module_targets(session) -> dict[str, dict[str, dict]]:  # type: ignore[no-untyped-def]
    """Targets for the placeholders that modules declare in tests/access/policy/<module>.py
    (a function ``targets(session) -> {placeholder: {label: target}}``)."""
    found: dict[str, dict[str, dict]] = {}
    for path in sorted((Path(__file__).parent / "policy").glob("*.py")):
        if path.name.startswith("_"):
            continue
        module = importlib.import_module(f"tests.access.policy.{path.stem}")
        found.update(module.targets(session))
    return found


def _calls(session):  # type: ignore[no-untyped-def]
    units, users, people = _units(session), _users(session), _people(session)
    extra = _module_targets(session)
    for op in oracle.SPEC["operations"]:
        placeholder = next((p for p in extra if "{" + p + "}" in op["path"]), None)
        if placeholder is not None:
            for label, t in extra[placeholder].items():
                yield op, op["path"].replace("{" + placeholder + "}", t["id"]), t, label
        elif "{unit}" in op["path"]:
            for code in UNIT_TARGETS:
                t = units[code]
                yield op, op["path"].replace("{unit}", t["id"]), t, code
        elif "{person}" in op["path"]:
            for label, t in people.items():
                yield op, op["path"].replace("{person}", t["id"]), t, label
        elif "{user}" in op["path"]:
            for name in USER_TARGETS:
                t = users[name]
                yield op, op["path"].replace("{user}", t["id"]), t, name
        else:
            yield op, op["path"], None, None


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_operation_agrees_with_the_policy_oracle(persona, login, session) -> None:  # type: ignore[no-untyped-def]
    who = _who(session, persona)
    from fanguai.people.demo import DEMO_PEOPLE

    _plain_names = [t["secret"] for t in _people(session).values()]
    _plain_names += [f"1380000{i:04d}" for i in range(1, len(DEMO_PEOPLE) + 1)]  # phones
    _plain_names += ["示例路"]  # addresses are cut before the street
    own_unit = session.execute(select(User).where(User.username == persona)).scalar_one().unit.name
    client = login(persona)
    disagreements = []
    for op, path, target, label in _calls(session):
        response = client.request(op["method"], path, json=op.get("body"), follow_redirects=False)
        want = oracle.expected_status(op, who, target)
        got = response.status_code
        # I4: no list or record ever shows a person's name in clear.
        if not (op["id"] == "people.reveal" and response.status_code == 200):  # reveal's purpose
            for name in _plain_names:
                assert name not in response.text, f"{op['id']} {label}: unmasked name"
        if got != want:
            disagreements.append(f"{op['id']} {label or ''}: expected {want}, got {got}")
        elif got >= 400 and target is not None:
            # A refusal carries nothing of the target (the page header names the user's own
            # unit, which may be the target's name too).
            assert target["id"] not in response.text
            if target["secret"] != own_unit:
                assert target["secret"] not in response.text
    assert disagreements == [], f"{persona}: " + "; ".join(disagreements)


def _all_pages(client, path: str) -> tuple[list[dict], int]:  # type: ignore[no-untyped-def]
    items, page = [], 1
    while True:
        body = client.get(path, params={"page": page, "page_size": 200}).json()
        items += body["items"]
        if page * 200 >= body["total"]:
            return items, body["total"]
        page += 1


@pytest.mark.parametrize(
    "persona", ["gusu.police", "suzhou.police", "jiangsu.office", "nanjing.police"]
)
def test_unit_lists_and_counts_hold_exactly_the_units_in_scope(persona, login, session) -> None:  # type: ignore[no-untyped-def]
    who = _who(session, persona)
    items, total = _all_pages(login(persona), "/api/units")
    expected = {code for code, u in _units(session).items() if oracle.unit_view(who, u["division"])}
    assert {u["code"] for u in items} == expected
    assert total == len(expected)


@pytest.mark.parametrize("persona", ["gusu.chief", "suzhou.police", "jiangsu.office", "sysadmin"])
def test_staff_lists_hold_exactly_the_users_in_scope(persona, login, session) -> None:  # type: ignore[no-untyped-def]
    who = _who(session, persona)
    got = {u["username"] for u in login(persona).get("/api/staff").json()}
    expected = {
        name
        for name, u in _users(session).items()
        if oracle.staff_line(who, u["division"], u["department"])
    }
    assert got == expected


def test_the_oracle_imports_nothing_of_the_application() -> None:
    # M2: the expectations must not come from the code under test.
    for path in [Path(oracle.__file__)]:
        tree = ast.parse(path.read_text())
        imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        assert not any(m and m.startswith("fanguai") for m in imported), imported


def test_every_get_route_of_the_api_is_in_the_policy_spec(app) -> None:  # type: ignore[no-untyped-def]
    from fanguai.web.deps import iter_api_routes

    def shape(path: str) -> str:  # path parameters compared by position, not by name
        return re.sub(r"\{[^}]+\}", "{}", path.split("?")[0])

    spec_paths = {shape(op["path"]) for op in oracle.SPEC["operations"]}
    covered_elsewhere = {
        "/healthz",
        "/login",
        "/mfa",
        "/password",
        "/mfa/enrol",
        "/units",
        "/measures/{measure_id}",
        "/api/measures/{measure_id}",
        # Public routes (tests/web/test_routes.py PUBLIC_ROUTES, tests/leads).
        "/report",
        "/report/status",
        "/api/leads/challenge",
    }
    covered_elsewhere = {shape(p) for p in covered_elsewhere}
    missing = sorted(
        p
        for m, p, _ in iter_api_routes(app)
        if m == "GET" and shape(p) not in spec_paths and shape(p) not in covered_elsewhere
    )
    assert missing == []


@pytest.mark.parametrize("persona", ["gusu.police", "suzhou.police", "gusu.chief", "gusu.civil"])
def test_people_lists_and_totals_hold_exactly_the_records_in_scope(persona, login, session) -> None:  # type: ignore[no-untyped-def]
    from fanguai.people.models import Person

    who = _who(session, persona)
    body = login(persona).get("/api/people").json()
    expected = {
        p.public_id
        for p in session.execute(select(Person)).scalars()
        if oracle.inside(who, p.owner_unit.division_code)
        and p.owner_unit.department == who.department
    }
    assert {i["id"] for i in body["items"]} == expected and body["total"] == len(expected)
