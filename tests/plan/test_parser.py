"""The measures catalogue parsed from the Jiangsu implementation opinions matches the plan text."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fanguai.plan import (
    BUNDLED_PLAN_NAME,
    ParsedPlan,
    PlanParseError,
    load_bundled_plan,
    parse_plan,
)

from .expected_measures import (
    EXPECTED_MEASURES,
    HEADINGS_WITHOUT_ANNOTATION,
    MEMBER_UNITS,
    TITLE,
    ExpectedMeasure,
)

RAW = (
    resources.files("fanguai.plan")
    .joinpath("data", f"{BUNDLED_PLAN_NAME}.txt")
    .read_text(encoding="utf-8")
)
RAW_LINES = RAW.split("\n")
SHARED_PLAN = Path("/work/shared/plan/jiangsu-implementation-opinions-2021.txt")

# Physical lines of landmarks in the bundled plan file.
MEASURES_HEADING_LINE = 40  # 二、行动措施和任务分工
SAFEGUARDS_HEADING_LINE = 178  # 三、保障措施
MEMBER_LIST_SECTION_LINE = 180  # (一)加强组织协调。
MEMBER_LIST_LINE = 182


def _case_id(code: str) -> str:
    """ASCII test id for a code: 二(一)2(1) -> 2(1)2(1)."""
    return code.translate(str.maketrans("一二三四五六七八九", "123456789"))


def _replace_line(line_no: int, new: str) -> str:
    lines = list(RAW_LINES)
    lines[line_no - 1] = new
    return "\n".join(lines)


def _insert_line(line_no: int, new: str) -> str:
    """Plan text where ``new`` becomes line ``line_no`` and the old lines move down."""
    lines = list(RAW_LINES)
    lines.insert(line_no - 1, new)
    return "\n".join(lines)


def _level(expected: ExpectedMeasure) -> int:
    parents = {row.code: row.parent for row in EXPECTED_MEASURES}
    level, parent = 1, expected.parent
    while parent is not None:
        level, parent = level + 1, parents[parent]
    return level


@pytest.fixture(scope="module")
def plan() -> ParsedPlan:
    return parse_plan(RAW)


def test_the_bundled_plan_is_a_byte_copy_of_the_shared_plan_text() -> None:
    if not SHARED_PLAN.exists():
        pytest.skip("the shared plan text is not present on this machine")
    bundled = resources.files("fanguai.plan").joinpath("data", f"{BUNDLED_PLAN_NAME}.txt")
    assert bundled.read_bytes() == SHARED_PLAN.read_bytes()


def test_load_bundled_plan_parses_the_packaged_text(plan: ParsedPlan) -> None:
    assert load_bundled_plan() == plan


def test_it_reads_the_title_of_the_opinions(plan: ParsedPlan) -> None:
    assert plan.title == TITLE


def test_it_lists_every_measure_code_in_document_order(plan: ParsedPlan) -> None:
    assert [m.code for m in plan.measures] == [row.code for row in EXPECTED_MEASURES]


def test_it_finds_five_sections_twenty_items_and_forty_three_sub_items(plan: ParsedPlan) -> None:
    levels = [m.level for m in plan.measures]
    assert (levels.count(1), levels.count(2), levels.count(3)) == (5, 20, 43)


def test_ordinals_count_the_measures_in_document_order(plan: ParsedPlan) -> None:
    assert [m.ordinal for m in plan.measures] == list(range(1, len(EXPECTED_MEASURES) + 1))


@pytest.mark.parametrize(
    "expected", EXPECTED_MEASURES, ids=[_case_id(row.code) for row in EXPECTED_MEASURES]
)
def test_each_measure_matches_the_plan_text(plan: ParsedPlan, expected: ExpectedMeasure) -> None:
    measure = plan.by_code(expected.code)
    assert measure.parent == expected.parent
    assert measure.level == _level(expected)
    assert measure.line_no == expected.line_no
    assert measure.text.startswith(expected.starts)
    assert measure.text.endswith(expected.ends)
    assert measure.lead_units == expected.lead
    assert measure.cooperating_units == expected.cooperating


@pytest.mark.parametrize(
    "expected", EXPECTED_MEASURES, ids=[_case_id(row.code) for row in EXPECTED_MEASURES]
)
def test_each_measure_text_appears_verbatim_on_its_line(
    plan: ParsedPlan, expected: ExpectedMeasure
) -> None:
    measure = plan.by_code(expected.code)
    line = RAW_LINES[measure.line_no - 1]
    assert measure.text == measure.text.strip()
    assert measure.text in RAW
    assert measure.text in line
    if measure.annotation is None:
        assert line.rstrip().endswith(measure.text)
    else:
        assert line.rstrip().endswith(f"{measure.text}({measure.annotation})")


def test_the_annotation_is_the_raw_content_of_the_trailing_parentheses(plan: ParsedPlan) -> None:
    assert plan.by_code("二(一)1").annotation == (
        "省公安厅负责,省委网信办、省教育厅、省民政厅、省司法厅、省卫生健康委、"
        "省信访局、省通信管理局、省妇联配合"
    )
    assert plan.by_code("二(五)3").annotation == "省公安厅负责"


def test_inner_parentheses_stay_in_the_text(plan: ParsedPlan) -> None:
    assert plan.by_code("二(三)1(4)").text.endswith("履行抚养(赡养)义务。")
    assert plan.by_code("二(三)1(6)").text.startswith("在各县(市、区)指定")
    assert plan.by_code("二(一)5").text.startswith("严格执行《关于建立侵害未成年案件强制报告")


def test_an_item_with_a_space_after_its_number_is_read(plan: ParsedPlan) -> None:
    measure = plan.by_code("二(二)3")
    assert RAW_LINES[measure.line_no - 1].startswith("3. ")
    assert measure.text.startswith("依法解救被拐卖儿童")


def test_section_headings_keep_their_final_full_stop(plan: ParsedPlan) -> None:
    assert plan.by_code("二(一)").text == "健全预防犯罪机制。"
    assert plan.by_code("二(五)").text == "加强国际省际合作。"


def test_member_units_are_the_thirty_listed_in_part_three(plan: ParsedPlan) -> None:
    assert plan.member_units == MEMBER_UNITS
    assert len(plan.member_units) == 30


@pytest.mark.parametrize("code", ["二(二)1(1)", "二(四)3"], ids=_case_id)
def test_it_expands_every_member_unit(plan: ParsedPlan, code: str) -> None:
    measure = plan.by_code(code)
    assert measure.annotation == "省反对拐卖人口联席会议各成员单位负责"
    assert measure.lead_units == MEMBER_UNITS
    assert measure.cooperating_units == ()


def test_a_unit_named_as_lead_and_cooperating_is_lead_only(plan: ParsedPlan) -> None:
    measure = plan.by_code("二(三)3")
    assert "省公安厅" in measure.annotation.split("负责")[1]
    assert "省公安厅" in measure.lead_units
    assert "省公安厅" not in measure.cooperating_units


@pytest.mark.parametrize("code", HEADINGS_WITHOUT_ANNOTATION, ids=_case_id)
def test_headings_without_annotation_have_no_units(plan: ParsedPlan, code: str) -> None:
    measure = plan.by_code(code)
    assert measure.annotation is None
    assert measure.lead_units == ()
    assert measure.cooperating_units == ()
    assert any(m.parent == code for m in plan.measures)


def test_every_annotated_measure_names_a_lead_unit(plan: ParsedPlan) -> None:
    annotated = [m for m in plan.measures if m.annotation is not None]
    assert len(annotated) == len(EXPECTED_MEASURES) - len(HEADINGS_WITHOUT_ANNOTATION)
    assert all(m.lead_units for m in annotated)


def test_by_code_rejects_an_unknown_code(plan: ParsedPlan) -> None:
    with pytest.raises(KeyError):
        plan.by_code("二(六)")


def test_windows_line_endings_give_the_same_catalogue(plan: ParsedPlan) -> None:
    assert parse_plan(RAW.replace("\n", "\r\n")) == plan


def test_it_tolerates_spacing_and_punctuation_variants_in_numbering() -> None:
    text = "\n".join(
        [
            "二、行动措施和任务分工",
            "(一) 健全预防犯罪机制。",
            "1.甲。(省公安厅负责,省教育厅配合)",
            "2. 乙。(省公安厅负责，省教育厅配合)",
            "3 ．丙。(省公安厅负责, 省教育厅配合)",
            "4、丁。",
            "（1）戊。（省教育厅、省公安厅负责）",
            "三、保障措施",
            "(一)加强组织协调。",
            "省联席会议成员单位调整为：省教育厅、省公安厅。",
        ]
    )
    plan = parse_plan(text)
    assert [m.code for m in plan.measures] == [
        "二(一)",
        "二(一)1",
        "二(一)2",
        "二(一)3",
        "二(一)4",
        "二(一)4(1)",
    ]
    assert [m.text for m in plan.measures] == [
        "健全预防犯罪机制。",
        "甲。",
        "乙。",
        "丙。",
        "丁。",
        "戊。",
    ]
    for code in ("二(一)1", "二(一)2", "二(一)3"):
        assert plan.by_code(code).lead_units == ("省公安厅",)
        assert plan.by_code(code).cooperating_units == ("省教育厅",)
    assert plan.by_code("二(一)4(1)").lead_units == ("省教育厅", "省公安厅")


# --- malformed inputs -------------------------------------------------------------------


def _parse_error(text: str) -> PlanParseError:
    with pytest.raises(PlanParseError) as caught:
        parse_plan(text)
    return caught.value


def test_an_unnumbered_line_inside_part_two_is_reported_at_its_line() -> None:
    stray = "这一行没有编号,不属于任何措施。"
    error = _parse_error(_insert_line(45, stray))
    assert error.line_no == 45
    assert error.line == stray
    assert str(error).startswith("line 45: ")
    assert f'"{stray}"' in str(error)


def test_the_message_quotes_only_a_prefix_of_a_long_line() -> None:
    stray = "无编号" * 30
    error = _parse_error(_insert_line(47, stray))
    assert error.line_no == 47
    assert stray[:40] in str(error)
    assert stray not in str(error)


@pytest.mark.parametrize(
    ("line_no", "old", "new"),
    [
        (52, "(3)加强网络空间", "(4)加强网络空间"),  # sub-item gap
        (52, "(3)加强网络空间", "(2)加强网络空间"),  # sub-item repeat
        (108, "3. 依法解救", "4. 依法解救"),  # item gap
        (80, "4.强化拐卖", "3.强化拐卖"),  # item repeat
        (110, "(三)加强被拐卖", "(四)加强被拐卖"),  # section gap
        (42, "(一)健全预防", "(二)健全预防"),  # sections must start at (一)
        (44, "1.加强与相关", "2.加强与相关"),  # items must start at 1
        (48, "(1)健全人力资源", "(0)健全人力资源"),  # sub-items must start at (1)
    ],
)
def test_a_gap_or_repeat_in_numbering_is_reported_at_its_line(
    line_no: int, old: str, new: str
) -> None:
    line = RAW_LINES[line_no - 1]
    assert line.startswith(old)
    error = _parse_error(_replace_line(line_no, line.replace(old, new, 1)))
    assert error.line_no == line_no
    assert "expected" in error.reason


def test_an_unknown_unit_in_an_annotation_is_reported_with_its_line() -> None:
    line = RAW_LINES[43].replace("省信访局", "省外星局")
    error = _parse_error(_replace_line(44, line))
    assert error.line_no == 44
    assert "省外星局" in str(error)


def test_an_unknown_lead_unit_is_reported_too() -> None:
    line = RAW_LINES[163].replace("(省公安厅负责)", "(省海关负责)")
    error = _parse_error(_replace_line(164, line))
    assert error.line_no == 164
    assert "省海关" in str(error)


def test_an_unterminated_annotation_is_reported_at_its_line() -> None:
    line = RAW_LINES[61]
    assert line.endswith("团省委配合)")
    error = _parse_error(_replace_line(62, line[:-1]))
    assert error.line_no == 62
    assert "unterminated" in error.reason


def test_an_annotation_without_lead_or_cooperating_units_is_reported() -> None:
    line = RAW_LINES[163].replace("(省公安厅负责)", "(省公安厅牵头)")
    error = _parse_error(_replace_line(164, line))
    assert error.line_no == 164


def test_a_measure_without_text_is_reported() -> None:
    error = _parse_error(_replace_line(164, "3.(省公安厅负责)"))
    assert error.line_no == 164


def test_a_sub_item_directly_under_a_section_is_reported() -> None:
    error = _parse_error(_insert_line(43, "(1)没有上级条目的子项。(省公安厅负责)"))
    assert error.line_no == 43


def test_a_text_without_part_two_is_rejected_clearly() -> None:
    lines = RAW_LINES[: MEASURES_HEADING_LINE - 1] + RAW_LINES[SAFEGUARDS_HEADING_LINE - 1 :]
    error = _parse_error("\n".join(lines))
    assert error.line_no is None
    assert "part 二" in str(error)


def test_a_text_without_part_three_is_rejected_clearly() -> None:
    error = _parse_error("\n".join(RAW_LINES[: SAFEGUARDS_HEADING_LINE - 1]))
    assert error.line_no is None
    assert "part 三" in str(error)


def test_a_text_without_the_member_list_is_rejected_clearly() -> None:
    error = _parse_error(
        _replace_line(MEMBER_LIST_LINE, "反拐工作继续实行省、市、县三级联席会议制度。")
    )
    assert error.line_no == MEMBER_LIST_SECTION_LINE
    assert "成员单位调整为" in str(error)


def test_a_member_list_naming_a_unit_twice_is_rejected() -> None:
    line = RAW_LINES[MEMBER_LIST_LINE - 1].replace("省外办、", "省外办、省外办、")
    error = _parse_error(_replace_line(MEMBER_LIST_LINE, line))
    assert error.line_no == MEMBER_LIST_LINE


def test_a_part_heading_out_of_order_inside_part_two_is_reported() -> None:
    error = _parse_error(_insert_line(100, "四、组织实施"))
    assert error.line_no == 100


@pytest.mark.parametrize(
    "junk",
    [
        "(省公安厅负责)",  # an annotation on its own line
        "  加强组织领导。",  # indented prose
        "——",
        "附件",
        "(九)加强国际合作。",  # a section out of sequence
        "二、行动措施和任务分工",  # the part heading repeated
        "一、指导思想和总体目标",
        "a.加强合作。",
        "１.全角数字。",
    ],
)
@pytest.mark.parametrize("line_no", [41, 45, 109, 157, 178])
def test_a_junk_line_inside_part_two_is_reported_at_its_line(junk: str, line_no: int) -> None:
    error = _parse_error(_insert_line(line_no, junk))
    assert error.line_no == line_no
    assert error.line == junk


# A line that could be a valid heading or measure at the spot it lands is not junk.
_MAYBE_NUMBERED = re.compile(r"[0-9(（]|[一二三四五六七八九十]+、")


@settings(max_examples=300, deadline=None)
@given(
    junk=st.text(
        st.characters(exclude_categories=("Cs",), exclude_characters="\r\n"),
        min_size=1,
        max_size=30,
    ).filter(lambda s: s.strip() != "" and not _MAYBE_NUMBERED.match(s.strip())),
    line_no=st.integers(min_value=MEASURES_HEADING_LINE + 1, max_value=SAFEGUARDS_HEADING_LINE),
)
def test_any_junk_line_inserted_in_part_two_is_reported_at_that_line(
    junk: str, line_no: int
) -> None:
    with pytest.raises(PlanParseError) as caught:
        parse_plan(_insert_line(line_no, junk))
    assert caught.value.line_no == line_no
    assert caught.value.line == junk
