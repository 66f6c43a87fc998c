"""The evaluation as a PDF laid out like a government document (after GB/T 9704-2012).

A4 with the standard margins (top 37 mm, bottom 35 mm, left 28 mm, right 26 mm); the issuing
office's name in red above a red rule, the document number, the title, the recipients, then
the sections in order: overview, results by plan section (the plan's order), by unit, by
region, by measure (the plan's order), the commendation and criticism lists, requirements; the
office and the date at the end; page numbers as ``— 1 —`` at the outer edge.

Chinese text needs a TrueType font with CJK glyphs on the server. The font is looked up at run
time (``FANGUAI_CJK_FONT``, then the usual Debian paths); without one the export fails with
``FontUnavailable`` rather than printing empty boxes.
"""

from __future__ import annotations

import io
import os
from datetime import datetime
from pathlib import Path
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    HRFlowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from fanguai.accountability.catalogue import (
    EVALUATION_KIND_LABELS,
    IMPLEMENTATION,
    RECOGNITION_LABELS,
)
from fanguai.accountability.evaluation import Group, Results
from fanguai.errors import DomainError

BEIJING = ZoneInfo("Asia/Shanghai")
FONT_NAME = "FanguaiCJK"
FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
)
ISSUER = "江苏省反对拐卖人口联席会议办公室"
RECIPIENTS = "省反对拐卖人口联席会议各成员单位，各设区市反对拐卖人口联席会议办公室："
RED = colors.HexColor("#c00000")
NUMERALS = "一二三四五六七八九十"


class FontUnavailable(DomainError):
    """No TrueType font with Chinese glyphs was found on the server."""

    status_code = 503
    code = "font_unavailable"


def find_cjk_font() -> Path:
    """The first CJK TrueType font found; ``FontUnavailable`` naming where it looked."""
    configured = os.environ.get("FANGUAI_CJK_FONT")
    paths = ([configured] if configured else []) + list(FONT_CANDIDATES)
    for candidate in paths:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    raise FontUnavailable(
        "no Chinese TrueType font for the PDF report: install fonts-wqy-microhei or set "
        f"FANGUAI_CJK_FONT (looked in: {', '.join(p for p in paths if p)})"
    )


def _register_font() -> str:
    if FONT_NAME not in pdfmetrics.getRegisteredFontNames():
        path = find_cjk_font()
        font = (
            TTFont(FONT_NAME, str(path), subfontIndex=0)
            if path.suffix == ".ttc"
            else TTFont(FONT_NAME, str(path))
        )
        pdfmetrics.registerFont(font)
    return FONT_NAME


def _styles(font: str) -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("body", fontName=font, fontSize=14, leading=26, wordWrap="CJK")
    return {
        "issuer": ParagraphStyle(
            "issuer", parent=base, fontSize=26, leading=34, alignment=TA_CENTER, textColor=RED
        ),
        "number": ParagraphStyle("number", parent=base, fontSize=14, alignment=TA_CENTER),
        "title": ParagraphStyle(
            "title", parent=base, fontSize=20, leading=32, alignment=TA_CENTER, spaceAfter=6
        ),
        "draft": ParagraphStyle("draft", parent=base, fontSize=14, alignment=TA_CENTER),
        "body": ParagraphStyle("body_indent", parent=base, firstLineIndent=28),
        "plain": base,
        "h1": ParagraphStyle("h1", parent=base, fontSize=15, leading=28, spaceBefore=8),
        "cell": ParagraphStyle("cell", parent=base, fontSize=9.5, leading=13),
        "head": ParagraphStyle("head", parent=base, fontSize=9.5, leading=13, alignment=TA_CENTER),
        "sign": ParagraphStyle("sign", parent=base, alignment=TA_RIGHT),
    }


def _p(text: object, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(str(text)), style)


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def chinese_date(when: datetime) -> str:
    """``2026年12月1日`` in Beijing time."""
    d = when.astimezone(BEIJING)
    return f"{d.year}年{d.month}月{d.day}日"


def _table(header: list[str], rows: list[list[object]], widths: list[float], s: dict) -> Table:
    data = [[_p(h, s["head"]) for h in header]]
    data += [[_p(c, s["cell"]) for c in row] for row in rows]
    table = Table(data, colWidths=[w * mm for w in widths], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8e8e8")),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return table


def _group_rows(groups: list[Group], *, with_key: bool) -> list[list[object]]:
    rows = []
    for i, g in enumerate(groups, start=1):
        head = [i, g.key, g.label] if with_key else [i, g.label]
        rows.append(
            head
            + [g.items, g.scored, _fmt(g.mean), g.reports_due, f"{g.on_time_rate:.1f}%", g.missing]
        )
    return rows


GROUP_HEADER = ["评估事项", "已评分", "平均得分率", "应报", "按时报送率", "未报送"]


def build_pdf(res: Results, *, now: datetime) -> bytes:
    """The evaluation report as PDF bytes."""
    font = _register_font()
    s = _styles(font)
    ev = res.evaluation
    overall = res.overall
    story: list = [
        _p(ISSUER, s["issuer"]),
        Spacer(1, 4 * mm),
        _p(ev.document_number, s["number"]),
        HRFlowable(width="100%", thickness=1.5, color=RED, spaceBefore=2 * mm, spaceAfter=8 * mm),
        _p(ev.title, s["title"]),
    ]
    if ev.status != "closed":
        story.append(_p("（评估进行中，本稿未定稿）", s["draft"]))
    story += [Spacer(1, 4 * mm), _p(RECIPIENTS, s["plain"])]
    cycles = "、".join(c.name for c in res.cycles)
    story.append(
        _p(
            f"根据《江苏省贯彻〈中国反对拐卖人口行动计划（2021—2030年）〉实施意见》关于督促检查和"
            f"{EVALUATION_KIND_LABELS[ev.kind]}的要求，省反对拐卖人口联席会议办公室对{cycles}"
            f"各成员单位和各地落实情况进行了{EVALUATION_KIND_LABELS[ev.kind]}。现将有关情况通报如下。",
            s["body"],
        )
    )
    sections = [
        ("评估基本情况", _overview(res, overall, s)),
        ("分领域落实情况", _by_section(res, s)),
        ("成员单位评估得分", _by_unit(res, s)),
        ("各地区评估情况", _by_region(res, s)),
        ("措施落实情况", _by_measure(res, s)),
        ("表扬名单", _recognitions(res, "commend", s)),
        ("通报批评名单", _recognitions(res, "criticise", s)),
        ("下步工作要求", _requirements(s)),
    ]
    for n, (title, flowables) in enumerate(sections):
        story.append(_p(f"{NUMERALS[n]}、{title}", s["h1"]))
        story += flowables
    story += [
        Spacer(1, 12 * mm),
        KeepTogether([_p(ISSUER, s["sign"]), _p(chinese_date(ev.closed_at or now), s["sign"])]),
    ]
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        topMargin=37 * mm,
        bottomMargin=35 * mm,
        leftMargin=28 * mm,
        rightMargin=26 * mm,
        title=ev.title,
        author=ISSUER,
        subject=ev.document_number,
    )
    doc.build(story, onFirstPage=_page_number(font), onLaterPages=_page_number(font))
    return buffer.getvalue()


def _page_number(font: str):  # type: ignore[no-untyped-def]
    def draw(canvas, doc) -> None:  # type: ignore[no-untyped-def]
        canvas.saveState()
        canvas.setFont(font, 14)
        text = f"— {doc.page} —"
        y = 20 * mm
        if doc.page % 2:  # odd pages: right, even pages: left (GB/T 9704)
            canvas.drawRightString(A4[0] - 26 * mm, y, text)
        else:
            canvas.drawString(28 * mm, y, text)
        canvas.restoreState()

    return draw


def _overview(res: Results, overall: Group, s: dict) -> list:
    ev = res.evaluation
    units = len(res.by_unit)
    text = (
        f"本次评估覆盖{len(res.cycles)}个报告周期（{'、'.join(c.name for c in res.cycles)}），"
        f"涉及{units}个责任单位、{len(res.by_measure)}项措施，共{overall.items}个评估事项，"
        f"已评分{overall.scored}个。应报送进展报告{overall.reports_due}份，按时报送{overall.on_time}份，"
        f"逾期报送{overall.late}份，未报送{overall.missing}份，按时报送率{overall.on_time_rate:.1f}%。"
        f"评分采用《{ev.rubric.name}》，满分{ev.rubric.max_total:g}分："
        + "；".join(f"{c.label}{c.max_score:g}分" for c in ev.rubric.criteria)
        + "。"
    )
    if overall.mean is not None:
        text += f"已评分事项平均得分率为{overall.mean:.1f}%。"
    return [_p(text, s["body"])]


def _by_section(res: Results, s: dict) -> list:
    rows = [
        [
            i,
            g.key,
            g.items,
            g.scored,
            _fmt(g.mean),
            g.reports_due,
            f"{g.on_time_rate:.1f}%",
            g.missing,
        ]
        for i, g in enumerate(res.by_section, start=1)
    ]
    return [_table(["序号", "领域", *GROUP_HEADER], rows, [10, 22, 20, 16, 22, 14, 22, 16], s)]


def _by_unit(res: Results, s: dict) -> list:
    rows = _group_rows(res.by_unit, with_key=False)
    return [_table(["名次", "单位", *GROUP_HEADER], rows, [11, 45, 17, 14, 20, 12, 21, 16], s)]


def _by_region(res: Results, s: dict) -> list:
    rows = _group_rows(res.by_region, with_key=False)
    return [_table(["序号", "地区", *GROUP_HEADER], rows, [11, 45, 17, 14, 20, 12, 21, 16], s)]


def _by_measure(res: Results, s: dict) -> list:
    rows = []
    for g in res.by_measure:
        text = g.label if len(g.label) <= 60 else g.label[:60] + "……"
        rows.append([g.key, text, g.items, _fmt(g.mean), f"{g.on_time_rate:.1f}%"])
    latest = {r.item.measure_code: r.item.latest_implementation for r in res.items}
    for row in rows:
        row.append(IMPLEMENTATION.get(latest.get(str(row[0])) or "", "未报送"))
    return [
        _table(
            ["措施", "内容", "责任单位数", "平均得分率", "按时报送率", "最新状态"],
            rows,
            [22, 68, 15, 17, 17, 17],
            s,
        )
    ]


def _recognitions(res: Results, kind: str, s: dict) -> list:
    entries = [r for r in res.evaluation.recognitions if r.kind == kind]
    if not entries:
        return [_p(f"本次评估无{RECOGNITION_LABELS[kind]}单位。", s["body"])]
    rows = [[i, r.unit.name, r.reason] for i, r in enumerate(entries, start=1)]
    return [_table(["序号", "单位", "理由"], rows, [12, 50, 94], s)]


def _requirements(s: dict) -> list:
    return [
        _p(
            "各成员单位和各地要对照评估发现的问题，逐项研究整改措施，按要求报送整改情况；"
            "受到表扬的单位要总结推广经验做法，被通报批评的单位要认真查找原因，"
            "切实履行反拐工作职责，确保各项措施落到实处。",
            s["body"],
        )
    ]
