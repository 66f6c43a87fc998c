"""Evaluations: a configurable rubric, reviewers' scores, aggregation, the lists."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from fanguai.accountability import actions, evaluation
from fanguai.accountability.actions import ReportInput
from fanguai.accountability.catalogue import COMMEND_AT, CRITICISE_BELOW
from fanguai.accountability.evaluation import CriterionInput
from fanguai.accountability.models import Evaluation, EvaluationItem
from fanguai.core.actor import Actor
from fanguai.errors import Conflict, InvalidInput
from tests.accountability.helpers import actor, report_of

NOW = datetime(2027, 8, 1, 2, tzinfo=UTC)


@pytest.fixture
def scenario(session):  # type: ignore[no-untyped-def]
    """A cycle of its own, two of 省民政厅's reports filed (one late), a two-criterion rubric."""
    office = actor(session, "jiangsu.office")
    cycle = actions.open_cycle(
        session,
        actor=office,
        name="2027年上半年（评估测试）",
        kind="half_year",
        period_start=date(2027, 1, 1),
        period_end=date(2027, 6, 30),
        due_at=datetime(2027, 7, 15, 10, tzinfo=UTC),
        now=datetime(2027, 6, 20, tzinfo=UTC),
        track=False,
    )
    mz = actor(session, "jiangsu.mz.liaison")
    for code, when in (
        ("二(一)3(1)", datetime(2027, 7, 10, tzinfo=UTC)),
        ("二(三)1(2)", datetime(2027, 7, 20, tzinfo=UTC)),
    ):
        report = report_of(session, cycle, "320000-MZ", code)
        actions.file_report(
            session,
            actor=mz,
            public_id=report.public_id,
            data=ReportInput(
                "completed", "按计划完成年度工作任务并形成制度。", figures={"campaigns": 3}
            ),
            now=when,
        )
    rubric = evaluation.create_rubric(
        session,
        actor=office,
        name="测试细则",
        criteria=[CriterionInput("a", "完成", 60), CriterionInput("b", "质量", 40)],
    )
    ev = evaluation.create_evaluation(
        session,
        actor=office,
        kind="phase",
        title="2027年上半年阶段性评估（测试）",
        cycle_public_ids=[cycle.public_id],
        rubric_public_id=rubric.public_id,
        now=NOW,
    )
    return ev.public_id


def _item(session, ev_id: str, unit_code: str, code: str) -> EvaluationItem:  # type: ignore[no-untyped-def]
    ev = session.execute(select(Evaluation).where(Evaluation.public_id == ev_id)).scalar_one()
    return next(i for i in ev.items if i.unit.code == unit_code and i.measure_code == code)


def test_items_carry_the_reporting_facts(session, scenario) -> None:  # type: ignore[no-untyped-def]
    on_time = _item(session, scenario, "320000-MZ", "二(一)3(1)")
    late = _item(session, scenario, "320000-MZ", "二(三)1(2)")
    never = _item(session, scenario, "320000-MZ", "二(三)2(3)")
    assert (on_time.reports_due, on_time.reports_on_time, on_time.reports_late) == (1, 1, 0)
    assert (late.reports_on_time, late.reports_late) == (0, 1)
    assert (never.reports_on_time, never.reports_late, never.latest_implementation) == (0, 0, None)


def test_scores_average_over_reviewers_and_aggregate_by_unit_section_and_region(
    session, scenario
) -> None:  # type: ignore[no-untyped-def]
    office = actor(session, "jiangsu.office")
    second = Actor(
        kind="user",
        name="reviewer.two",
        division_code="320000",
        level="province",
        permissions=frozenset({"evaluation.score"}),
    )
    x = _item(session, scenario, "320000-MZ", "二(一)3(1)").public_id
    y = _item(session, scenario, "320000-MZ", "二(三)1(2)").public_id
    evaluation.score_item(
        session, actor=office, item_public_id=x, scores={"a": 30, "b": 20}, comment="基本完成"
    )
    evaluation.score_item(session, actor=second, item_public_id=x, scores={"a": 50, "b": 30})
    evaluation.score_item(session, actor=office, item_public_id=y, scores={"a": 60, "b": 40})
    # A reviewer scoring again replaces their own scores.
    evaluation.score_item(session, actor=office, item_public_id=y, scores={"a": 60, "b": 40})
    ev = session.execute(select(Evaluation).where(Evaluation.public_id == scenario)).scalar_one()
    res = evaluation.results(session, ev)
    by_item = {r.item.public_id: r for r in res.items}
    assert by_item[x].by_criterion == {"a": 40.0, "b": 25.0}
    assert by_item[x].total == 65.0 and by_item[x].percent == 65.0
    assert by_item[x].comments == ["jiangsu.office：基本完成"]
    assert by_item[y].percent == 100.0
    unit = next(g for g in res.by_unit if g.key == "320000-MZ")
    assert unit.scored == 2 and unit.mean == 82.5
    assert unit.items == 21 and unit.reports_due == 21 and unit.on_time == 1 and unit.late == 1
    assert unit.missing == 19
    sections = {g.key: g for g in res.by_section}
    assert sections["二(一)"].percents == [65.0] and sections["二(三)"].percents == [100.0]
    assert [g.key for g in res.by_section] == ["二(一)", "二(二)", "二(三)", "二(四)", "二(五)"]
    regions = {g.key: g for g in res.by_region}
    assert regions["320000"].label == "省级成员单位" and regions["320000"].mean == 82.5
    assert regions["320500"].label == "苏州市" and regions["320500"].scored == 0
    assert res.by_unit[0].key == "320000-MZ"  # the only unit with a mean ranks first


@pytest.mark.parametrize(
    ("scores", "field"),
    [
        ({"a": 61, "b": 10}, "scores.a"),
        ({"a": -1, "b": 10}, "scores.a"),
        ({"a": 10}, "scores.b"),
        ({"a": 10, "b": 10, "innovation": 5}, "scores.innovation"),
    ],
)
def test_a_score_outside_the_rubric_is_a_422_naming_the_criterion(
    login, session, scenario, scores, field
) -> None:  # type: ignore[no-untyped-def]
    item = _item(session, scenario, "320000-MZ", "二(一)3(1)")
    r = login("jiangsu.office").post(
        f"/api/evaluations/items/{item.public_id}/scores", json={"scores": scores}
    )
    assert r.status_code == 422, r.text
    assert r.json()["field"] == field
    session.expire_all()
    assert session.get(EvaluationItem, item.id).scores == []


def test_the_scoring_page_says_what_is_wrong_in_chinese(login, session, scenario) -> None:  # type: ignore[no-untyped-def]
    item = _item(session, scenario, "320000-MZ", "二(一)3(1)")
    r = login("jiangsu.office").post(
        f"/evaluations/items/{item.public_id}", data={"score_a": "75", "score_b": "10"}
    )
    assert r.status_code == 422 and "完成的得分应在0到60分之间" in r.text


def test_suggested_scores_follow_the_facts_and_are_marked(session, scenario) -> None:  # type: ignore[no-untyped-def]
    office = actor(session, "jiangsu.office")
    n = evaluation.apply_suggested(session, actor=office, public_id=scenario)
    ev = session.execute(select(Evaluation).where(Evaluation.public_id == scenario)).scalar_one()
    assert n == len(ev.items)
    item = _item(session, scenario, "320000-MZ", "二(一)3(1)")
    # The rubric's codes are "a" and "b", none of the known criteria: nothing is suggested.
    assert {s.criterion: s.score for s in item.scores} == {"a": 0.0, "b": 0.0}
    assert all(s.suggested for s in item.scores)
    # Scoring again by hand replaces the suggestion.
    evaluation.score_item(
        session, actor=office, item_public_id=item.public_id, scores={"a": 50, "b": 30}
    )
    item = _item(session, scenario, "320000-MZ", "二(一)3(1)")
    assert not any(s.suggested for s in item.scores)


def test_the_default_rubric_suggests_completion_timeliness_and_evidence(session) -> None:  # type: ignore[no-untyped-def]
    rubric = evaluation.default_rubric(session)
    item = EvaluationItem(
        reports_due=2,
        reports_on_time=1,
        reports_late=1,
        evidence_files=1,
        latest_implementation="ongoing",
    )
    assert evaluation.suggested_scores(item, rubric) == {
        "completion": 36.0,  # 40 x 0.9 (ongoing) x 2/2 filed
        "timeliness": 10.0,  # 20 x 1/2 on time
        "evidence": 12.5,  # 25 x 1 file / 2 reports
        "innovation": 0.0,  # the reviewer's judgement
    }


def test_lists_need_a_reason_and_a_unit_of_the_evaluation(session, scenario) -> None:  # type: ignore[no-untyped-def]
    office = actor(session, "jiangsu.office")
    ev = session.execute(select(Evaluation).where(Evaluation.public_id == scenario)).scalar_one()
    mz = _item(session, scenario, "320000-MZ", "二(一)3(1)").unit.public_id
    with pytest.raises(InvalidInput) as err:
        evaluation.add_recognition(
            session,
            actor=office,
            public_id=scenario,
            unit_public_id=mz,
            kind="commend",
            reason="好",
        )
    assert err.value.field == "reason"
    with pytest.raises(InvalidInput) as err:
        evaluation.add_recognition(
            session,
            actor=office,
            public_id=scenario,
            unit_public_id="nope",
            kind="commend",
            reason="措施得力",
        )
    assert err.value.field == "unit"
    entry = evaluation.add_recognition(
        session,
        actor=office,
        public_id=scenario,
        unit_public_id=mz,
        kind="criticise",
        reason="19项措施未报送进展",
    )
    assert entry.kind == "criticise"
    with pytest.raises(Conflict):
        evaluation.add_recognition(
            session,
            actor=office,
            public_id=scenario,
            unit_public_id=mz,
            kind="commend",
            reason="措施得力",
        )
    assert ev.public_id == scenario


def test_a_final_evaluation_takes_no_more_scores(session, scenario) -> None:  # type: ignore[no-untyped-def]
    office = actor(session, "jiangsu.office")
    evaluation.close_evaluation(session, actor=office, public_id=scenario)
    item = _item(session, scenario, "320000-MZ", "二(一)3(1)")
    with pytest.raises(Conflict):
        evaluation.score_item(
            session, actor=office, item_public_id=item.public_id, scores={"a": 1, "b": 1}
        )


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"cycle_public_ids": []}, "cycles"), ({"kind": "annual"}, "kind"), ({"title": " "}, "title")],
)
def test_an_evaluation_needs_a_kind_a_title_and_cycles(session, kwargs, field) -> None:  # type: ignore[no-untyped-def]
    args = {"kind": "phase", "title": "测试", "cycle_public_ids": ["x"]}
    with pytest.raises(InvalidInput) as err:
        evaluation.create_evaluation(
            session, actor=actor(session, "jiangsu.office"), **{**args, **kwargs}
        )
    assert err.value.field == field


def test_a_rubric_with_a_bad_criterion_is_refused(session) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput):
        evaluation.parse_criteria("completion|完成|四十")
    with pytest.raises(InvalidInput):
        evaluation.create_rubric(
            session,
            actor=actor(session, "jiangsu.office"),
            name="坏细则",
            criteria=[CriterionInput("a", "完成", 0)],
        )


def test_the_demo_lists_follow_the_rules(session) -> None:  # type: ignore[no-untyped-def]
    ev = session.execute(select(Evaluation).where(Evaluation.status == "closed")).scalars().first()
    res = evaluation.results(session, ev)
    by_unit = {g.key: g for g in res.by_unit}
    assert ev.recognitions, "the demo names units"
    for r in ev.recognitions:
        g = by_unit[r.unit.code]
        if r.kind == "commend":
            assert g.mean >= COMMEND_AT and g.on_time == g.reports_due
        else:
            assert g.mean < CRITICISE_BELOW or g.missing > 0
        assert r.reason
