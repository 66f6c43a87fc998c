"""Parser for the measures catalogue of the Jiangsu implementation opinions.

The opinions (江苏省贯彻《中国反对拐卖人口行动计划(2021-2030年)》实施意见) list their
measures in part 二 (行动措施和任务分工) as a three-level outline::

    (一)健全预防犯罪机制。                                  section  -> 二(一)
    1.加强与相关职能部门的互通互动,…。(省公安厅负责,…配合)  item     -> 二(一)1
    (1)健全人力资源市场…。(省人力资源社会保障厅…负责,…配合)  sub-item -> 二(一)2(1)

Each measure may end with a responsibility annotation in parentheses naming the lead
units (before 负责) and the cooperating units (before 配合). Part 三(一) lists the member
units of the provincial joint conference; every unit named in an annotation must be one
of them, and 省反对拐卖人口联席会议各成员单位 stands for all of them.

Conventions this module decides (the plan text leaves them open):

* ``text`` is the line verbatim minus the numbering prefix and the annotation, with
  surrounding whitespace stripped; a final ``。`` is kept at every level, headings
  included, so every text is a verbatim substring of the plan.
* A trailing parenthesised group is an annotation when it follows a sentence-ending
  ``。`` or mentions 负责/配合; other parentheses (``抚养(赡养)义务``) belong to the text.
* Line numbers are 1-based physical lines, counting ``\\n``, ``\\r\\n`` and ``\\r`` breaks.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources

__all__ = [
    "ALL_MEMBER_UNITS_PHRASE",
    "BUNDLED_PLAN_NAME",
    "ParsedMeasure",
    "ParsedPlan",
    "PlanParseError",
    "load_bundled_plan",
    "parse_plan",
]

BUNDLED_PLAN_NAME = "jiangsu-implementation-opinions-2021"

# The plan's shorthand for "every member unit of the provincial joint conference".
ALL_MEMBER_UNITS_PHRASE = "省反对拐卖人口联席会议各成员单位"

LEVEL_SECTION = 1
LEVEL_ITEM = 2
LEVEL_SUB_ITEM = 3

_MEASURES_PART = 2
_SAFEGUARDS_PART = 3

_NUMERAL_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_NUMERAL_CHARS = "一二三四五六七八九十"

_PART_RE = re.compile(rf"^([{_NUMERAL_CHARS}]+)、(.*)$")
# Both ASCII and full-width parentheses occur in official texts; the bundled one uses ASCII.
_SECTION_RE = re.compile(rf"^[(（]([{_NUMERAL_CHARS}]+)[)）]\s*(.*)$")
_SUB_ITEM_RE = re.compile(r"^[(（]([0-9]+)[)）]\s*(.*)$")
# The plan writes "1.加强" but also "3. 依法解救"; some official texts use "1．" or "1、".
_ITEM_RE = re.compile(r"^([0-9]+)\s*[.．、]\s*(.*)$")
_MEMBER_LIST_RE = re.compile(r"成员单位调整为\s*[:：]\s*(?P<units>[^。]*)")
_UNIT_SEPARATOR_RE = re.compile(r"[、,，]")
_ANNOTATION_RE = re.compile(
    r"^(?:(?P<lead>.+?)负责)?[\s、,，;；]*(?:(?P<coop>.+?)配合)?$", re.DOTALL
)
_OPEN_PARENS = "(（"
_CLOSE_PARENS = ")）"
# A title line carries none of these; the preamble and the notice's salutation do.
_SENTENCE_PUNCTUATION = "。,，:：;；"
_QUOTE_LIMIT = 40


class PlanParseError(ValueError):
    """The plan text cannot be read; ``line_no``/``line`` locate the offending line."""

    def __init__(self, reason: str, line_no: int | None = None, line: str | None = None) -> None:
        self.reason = reason
        self.line_no = line_no
        self.line = line
        super().__init__(_format_error(reason, line_no, line))


def _format_error(reason: str, line_no: int | None, line: str | None) -> str:
    """Render the message: line number, reason and a quoted prefix of the line."""
    if line_no is None:
        return reason
    quoted = (line or "").strip()
    if len(quoted) > _QUOTE_LIMIT:
        quoted = quoted[:_QUOTE_LIMIT] + "…"
    return f'line {line_no}: {reason}: "{quoted}"'


@dataclass(frozen=True)
class ParsedMeasure:
    """One numbered measure of part 二, with its responsibility annotation resolved."""

    code: str
    parent: str | None
    level: int
    ordinal: int
    text: str
    annotation: str | None
    lead_units: tuple[str, ...]
    cooperating_units: tuple[str, ...]
    line_no: int


@dataclass(frozen=True)
class ParsedPlan:
    """The plan's title, its measures in document order and the joint conference members."""

    title: str
    measures: tuple[ParsedMeasure, ...]
    member_units: tuple[str, ...]

    def by_code(self, code: str) -> ParsedMeasure:
        """Return the measure with this code, or raise KeyError."""
        for measure in self.measures:
            if measure.code == code:
                return measure
        raise KeyError(code)


def load_bundled_plan() -> ParsedPlan:
    """Parse the plan text shipped in ``fanguai/plan/data``."""
    resource = resources.files("fanguai.plan").joinpath("data", f"{BUNDLED_PLAN_NAME}.txt")
    return parse_plan(resource.read_text(encoding="utf-8"))


def parse_plan(text: str) -> ParsedPlan:
    """Parse the implementation opinions into their measures catalogue.

    Part 二 (from ``二、行动措施和任务分工`` to ``三、保障措施``) must consist only of
    blank lines, section headings ``(一)``, numbered items ``1.`` and sub-items ``(1)``,
    numbered consecutively within their parent. Part 三(一) must hold the member list
    after ``成员单位调整为:``. Anything else raises :class:`PlanParseError` naming the line.

    Example:

    >>> plan = parse_plan(
    ...     "二、行动措施和任务分工\\n"
    ...     "(一)健全预防犯罪机制。\\n"
    ...     "1.拓宽举报渠道。(省公安厅负责,省教育厅、省公安厅配合)\\n"
    ...     "三、保障措施\\n"
    ...     "(一)加强组织协调。\\n"
    ...     "省联席会议成员单位调整为:省教育厅、省公安厅。\\n"
    ... )
    >>> [m.code for m in plan.measures]
    ['二(一)', '二(一)1']
    >>> item = plan.by_code("二(一)1")
    >>> item.parent, item.text, item.lead_units, item.cooperating_units
    ('二(一)', '拓宽举报渠道。', ('省公安厅',), ('省教育厅',))
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    parts = _find_parts(lines)
    measures_start = next((i for i, value in parts if value == _MEASURES_PART), None)
    if measures_start is None:
        raise PlanParseError("part 二 (行动措施和任务分工), which holds the measures, is missing")
    later = [(i, value) for i, value in parts if i > measures_start]
    if later and later[0][1] != _SAFEGUARDS_PART:
        index = later[0][0]
        raise PlanParseError(
            "part heading out of order inside part 二 (expected 三、)", index + 1, lines[index]
        )
    measures_end = later[0][0] if later else len(lines)
    safeguards = later[0][0] if later else None
    safeguards_end = later[1][0] if len(later) > 1 else len(lines)
    member_units = _read_member_units(lines, safeguards, safeguards_end)
    measures = _read_measures(lines, measures_start, measures_end, member_units)
    return ParsedPlan(
        title=_read_title(lines, parts[0][0]),
        measures=tuple(measures),
        member_units=member_units,
    )


def _numeral_value(numeral: str) -> int | None:
    """Value of a Chinese numeral from 一 to 九十九, or None when it is not well formed."""
    if numeral in _NUMERAL_DIGITS:
        return _NUMERAL_DIGITS[numeral]
    tens, ten, ones = numeral.partition("十")
    if not ten or (tens and tens not in _NUMERAL_DIGITS) or (ones and ones not in _NUMERAL_DIGITS):
        return None
    return (_NUMERAL_DIGITS[tens] if tens else 1) * 10 + (_NUMERAL_DIGITS[ones] if ones else 0)


def _numeral(value: int) -> str:
    """Canonical Chinese numeral for 1..99, so codes never depend on spelling variants."""
    digits = "一二三四五六七八九"
    tens, ones = divmod(value, 10)
    prefix = "" if tens == 0 else ("十" if tens == 1 else digits[tens - 1] + "十")
    return prefix + (digits[ones - 1] if ones else "")


def _find_parts(lines: list[str]) -> list[tuple[int, int]]:
    """Indexes and values of the top-level part headings (``一、`` … ``十、``)."""
    parts = []
    for index, raw in enumerate(lines):
        match = _PART_RE.match(raw.strip())
        if match and (value := _numeral_value(match.group(1))) is not None:
            parts.append((index, value))
    return parts


def _read_title(lines: list[str], front_end: int) -> str:
    """Title of the opinions: the heading lines right above the preamble of part 一."""
    front = [i for i in range(front_end) if lines[i].strip()]
    if not front:
        return ""
    cursor = len(front) - 1
    if lines[front[cursor]].strip().endswith("。"):
        cursor -= 1  # the preamble paragraph, not part of the title
    title_lines: list[str] = []
    while cursor >= 0:
        raw = lines[front[cursor]]
        # Indented lines are the notice's signature and date; punctuated ones are prose.
        if raw[:1].isspace() or any(mark in raw for mark in _SENTENCE_PUNCTUATION):
            break
        title_lines.insert(0, raw.strip())
        cursor -= 1
    return "".join(title_lines) or lines[front[0]].strip()


def _read_member_units(lines: list[str], part_start: int | None, part_end: int) -> tuple[str, ...]:
    """The member list after ``成员单位调整为:`` in section (一) of part 三."""
    if part_start is None:
        raise PlanParseError(
            "part 三 (保障措施), whose section (一) lists the member units, is missing"
        )
    section_start = section_end = None
    for index in range(part_start + 1, part_end):
        match = _SECTION_RE.match(lines[index].strip())
        if match is None:
            continue
        if section_start is None and _numeral_value(match.group(1)) == 1:
            section_start = index
        elif section_start is not None:
            section_end = index
            break
    if section_start is None:
        raise PlanParseError(
            "part 三 has no section (一) listing the member units",
            part_start + 1,
            lines[part_start],
        )
    for index in range(section_start + 1, section_end or part_end):
        match = _MEMBER_LIST_RE.search(lines[index])
        if match is None:
            continue
        units = tuple(name.strip() for name in _UNIT_SEPARATOR_RE.split(match.group("units")))
        if not all(units):
            raise PlanParseError("empty unit name in the member list", index + 1, lines[index])
        duplicates = sorted({name for name in units if units.count(name) > 1})
        if duplicates:
            raise PlanParseError(
                f"member list names {'、'.join(duplicates)} twice", index + 1, lines[index]
            )
        return units
    raise PlanParseError(
        "section 三(一) has no member list (成员单位调整为:…)",
        section_start + 1,
        lines[section_start],
    )


def _read_measures(
    lines: list[str], start: int, end: int, member_units: tuple[str, ...]
) -> list[ParsedMeasure]:
    """Read part 二 line by line into measures, checking numbering and units."""
    part_code = _numeral(_MEASURES_PART)
    measures: list[ParsedMeasure] = []
    section_code: str | None = None
    item_code: str | None = None
    last_section = last_item = last_sub_item = 0
    for index in range(start + 1, end):
        raw = lines[index]
        line_no = index + 1
        stripped = raw.strip()
        if not stripped:
            continue
        if match := _SECTION_RE.match(stripped):
            number = _numeral_value(match.group(1))
            if number is None:
                raise PlanParseError("malformed Chinese numeral in section heading", line_no, raw)
            _check_sequence(number, last_section, "section", _numeral, line_no, raw)
            last_section, last_item = number, 0
            code = section_code = f"{part_code}({_numeral(number)})"
            item_code, parent, level = None, None, LEVEL_SECTION
        elif match := _SUB_ITEM_RE.match(stripped):
            if item_code is None:
                raise PlanParseError("sub-item outside a numbered item", line_no, raw)
            number = int(match.group(1))
            _check_sequence(number, last_sub_item, "sub-item", str, line_no, raw)
            last_sub_item = number
            code, parent, level = f"{item_code}({number})", item_code, LEVEL_SUB_ITEM
        elif match := _ITEM_RE.match(stripped):
            if section_code is None:
                raise PlanParseError("numbered item outside a section (一)…", line_no, raw)
            number = int(match.group(1))
            _check_sequence(number, last_item, "item", str, line_no, raw)
            last_item, last_sub_item = number, 0
            code = item_code = f"{section_code}{number}"
            parent, level = section_code, LEVEL_ITEM
        else:
            raise PlanParseError(
                "not a section heading (一), numbered item 1. or sub-item (1)", line_no, raw
            )
        body, annotation = _split_annotation(match.group(2).strip(), line_no, raw)
        if not body:
            raise PlanParseError("measure has no text", line_no, raw)
        lead: tuple[str, ...] = ()
        cooperating: tuple[str, ...] = ()
        if annotation is not None:
            lead, cooperating = _read_annotation(annotation, member_units, line_no, raw)
        measures.append(
            ParsedMeasure(
                code=code,
                parent=parent,
                level=level,
                ordinal=len(measures) + 1,
                text=body,
                annotation=annotation,
                lead_units=lead,
                cooperating_units=cooperating,
                line_no=line_no,
            )
        )
    return measures


def _check_sequence(
    number: int,
    previous: int,
    kind: str,
    render: Callable[[int], str],
    line_no: int,
    line: str,
) -> None:
    """Numbering must run 1, 2, 3… within the parent; a gap or repeat names the line."""
    if number != previous + 1:
        raise PlanParseError(
            f"{kind} numbered {render(number)} where {render(previous + 1)} was expected",
            line_no,
            line,
        )


def _split_annotation(body: str, line_no: int, line: str) -> tuple[str, str | None]:
    """Split ``text。(… 负责, … 配合)`` into the text and the raw annotation content."""
    depth = 0
    open_at: list[int] = []
    last_group_start = -1
    for position, char in enumerate(body):
        if char in _OPEN_PARENS:
            depth += 1
            open_at.append(position)
        elif char in _CLOSE_PARENS:
            if depth == 0:
                raise PlanParseError("closing parenthesis without an opening one", line_no, line)
            depth -= 1
            last_group_start = open_at.pop()
    if depth:
        raise PlanParseError("unterminated parenthesis (annotation not closed)", line_no, line)
    if not body.endswith(tuple(_CLOSE_PARENS)):
        return body, None
    inner = body[last_group_start + 1 : -1]
    before = body[:last_group_start].rstrip()
    if not (before.endswith("。") or "负责" in inner or "配合" in inner):
        return body, None
    return before, inner.strip()


def _read_annotation(
    annotation: str, member_units: tuple[str, ...], line_no: int, line: str
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Lead and cooperating units of an annotation; a unit named as both is lead only."""
    match = _ANNOTATION_RE.match(annotation)
    if match is None or not (match.group("lead") or match.group("coop")):
        raise PlanParseError("cannot read the annotation as '…负责' and/or '…配合'", line_no, line)
    lead = _read_units(match.group("lead"), member_units, line_no, line)
    cooperating = _read_units(match.group("coop"), member_units, line_no, line)
    return lead, tuple(unit for unit in cooperating if unit not in lead)


def _read_units(
    names: str | None, member_units: tuple[str, ...], line_no: int, line: str
) -> tuple[str, ...]:
    """Split a unit list, expand the all-members phrase and reject unknown units."""
    if names is None:
        return ()
    units: list[str] = []
    for name in (piece.strip() for piece in _UNIT_SEPARATOR_RE.split(names)):
        if not name:
            raise PlanParseError("empty unit name in the annotation", line_no, line)
        if name == ALL_MEMBER_UNITS_PHRASE:
            expanded: tuple[str, ...] = member_units
        elif name in member_units:
            expanded = (name,)
        else:
            raise PlanParseError(
                f"unknown unit {name} (not a member unit of the joint conference)",
                line_no,
                line,
            )
        units.extend(unit for unit in expanded if unit not in units)
    return tuple(units)
