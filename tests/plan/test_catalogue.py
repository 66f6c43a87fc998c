"""The stored catalogue and the CLI contract match the plan text, measure by measure."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from fanguai.core.actor import cli_actor
from fanguai.errors import Conflict, InvalidInput
from fanguai.plan import service
from fanguai.plan.actions import load_plan
from fanguai.plan.models import Measure, PlanVersion
from tests.plan.expected_measures import EXPECTED_MEASURES

EXPECTED = {m.code: m for m in EXPECTED_MEASURES}


@pytest.fixture
def stored(session):  # type: ignore[no-untyped-def]
    return {m.code: m for m in service.list_measures(session, actor=None)}


def test_the_stored_catalogue_holds_every_measure_in_plan_order(session) -> None:  # type: ignore[no-untyped-def]
    codes = [m.code for m in service.list_measures(session, actor=None)]
    assert codes == [m.code for m in EXPECTED_MEASURES]


@pytest.mark.parametrize("code", list(EXPECTED), ids=list(EXPECTED))
def test_each_stored_measure_matches_the_plan(stored, code) -> None:  # type: ignore[no-untyped-def]
    want, got = EXPECTED[code], stored[code]
    assert got.parent_code == want.parent
    assert got.text.startswith(want.starts) and got.text.endswith(want.ends)
    assert tuple(got.lead_units) == want.lead
    assert tuple(got.cooperating_units) == want.cooperating


def test_measure_units_link_to_the_provincial_member_units(stored) -> None:  # type: ignore[no-untyped-def]
    for m in stored.values():
        for mu in m.units:
            assert mu.unit_id is not None


def test_a_revised_plan_loads_beside_the_current_one(session) -> None:  # type: ignore[no-untyped-def]
    revised = service.bundled_plan_text().replace(
        "(省教育厅、省公安厅负责)", "(省教育厅、省公安厅负责,省妇联配合)", 1
    )
    v2 = load_plan(session, actor=cli_actor("test"), text=revised, name="jiangsu-2021-rev1")
    assert v2.is_current
    versions = session.execute(select(PlanVersion).order_by(PlanVersion.id)).scalars().all()
    assert [v.is_current for v in versions] == [False, True]
    assert session.execute(select(func.count()).select_from(Measure)).scalar_one() == 2 * 68
    changed = service.get_measure_by_code(session, actor=_reader(session), code="二(一)2(4)")
    assert changed.cooperating_units == ["省妇联"]
    old = service.current_version(session, name="jiangsu-2021")
    assert [m for m in old.measures if m.code == "二(一)2(4)"][0].cooperating_units == []


def test_a_malformed_plan_names_its_line_and_stores_nothing(session) -> None:  # type: ignore[no-untyped-def]
    bad = service.bundled_plan_text().replace(
        "3.加大拐卖人口犯罪", "这一行没有编号3.加大拐卖人口犯罪", 1
    )
    before = session.execute(select(func.count()).select_from(Measure)).scalar_one()
    with pytest.raises(InvalidInput, match=r"line \d+"):
        load_plan(session, actor=cli_actor("test"), text=bad, name="broken")
    assert session.execute(select(func.count()).select_from(Measure)).scalar_one() == before
    assert session.execute(select(PlanVersion).where(PlanVersion.name == "broken")).first() is None


def test_a_version_name_cannot_be_loaded_twice(session) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(Conflict):
        load_plan(
            session, actor=cli_actor("test"), text=service.bundled_plan_text(), name="jiangsu-2021"
        )


def _reader(session):  # type: ignore[no-untyped-def]
    from fanguai.org.models import User
    from fanguai.security.service import actor_for_user

    return actor_for_user(
        session.execute(select(User).where(User.username == "gusu.police")).scalar_one()
    )


def test_the_measures_api_filters_by_unit_and_role(login, session) -> None:  # type: ignore[no-untyped-def]
    from fanguai.org.models import Unit

    c = login("gusu.edu")
    own = session.execute(select(Unit.public_id).where(Unit.code == "320508-JY")).scalar_one()
    lead = c.get("/api/measures", params={"unit": own, "role": "lead"}).json()
    want = [m.code for m in EXPECTED_MEASURES if "省教育厅" in m.lead]
    assert [m["code"] for m in lead] == want
    everything = c.get("/api/measures").json()
    assert len(everything) == 68


def test_the_measures_pages_show_the_catalogue_and_a_detail(login, stored) -> None:  # type: ignore[no-untyped-def]
    c = login("jiangsu.edu.liaison")
    page = c.get("/measures", params={"section": "二(三)"})
    assert page.status_code == 200 and "入学安置台账" in page.text
    detail = c.get(f"/measures/{stored['二(三)2(1)'].public_id}")
    assert detail.status_code == 200 and "省教育厅" in detail.text and "二(三)2" in detail.text


def test_plan_measures_json_is_the_contract_other_tools_read(
    tmp_path, monkeypatch, field_crypto
) -> None:  # type: ignore[no-untyped-def]
    from fanguai.cli.main import app
    from fanguai.settings import get_settings

    monkeypatch.setenv("FANGUAI_DATABASE_URL", f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["plan", "measures", "--json"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [r["code"] for r in rows] == [m.code for m in EXPECTED_MEASURES]
    for r in rows:
        assert {"code", "parent", "text", "lead_units", "cooperating_units"} <= set(r)
        want = EXPECTED[r["code"]]
        assert (r["parent"], tuple(r["lead_units"]), tuple(r["cooperating_units"])) == (
            want.parent,
            want.lead,
            want.cooperating,
        )
    assert not (tmp_path / "fresh.sqlite3").exists()  # looking does not create a database
