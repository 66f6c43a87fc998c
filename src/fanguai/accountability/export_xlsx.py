"""The evaluation as an Excel workbook: one sheet per view, a title row, frozen headers.

Sheets: 概况 (overview), 按领域 (plan sections, the plan's order), 按单位 (ranked), 按地区,
按措施 (the plan's order), 评分明细 (every item: facts, mean score per criterion, total,
reviewers' comments), 表扬与批评 (the lists with reasons).
"""

from __future__ import annotations

import io
from datetime import datetime

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from fanguai.accountability.catalogue import (
    EVALUATION_KIND_LABELS,
    IMPLEMENTATION,
    RECOGNITION_LABELS,
)
from fanguai.accountability.evaluation import Group, Results
from fanguai.accountability.export_pdf import ISSUER, chinese_date

HEAD_FILL = PatternFill("solid", fgColor="DDE4EE")
THIN = Side(style="thin", color="999999")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
GROUP_HEADER = [
    "评估事项",
    "已评分",
    "平均得分率(%)",
    "应报",
    "按时",
    "逾期",
    "未报送",
    "按时报送率(%)",
]


def _sheet(
    wb: Workbook, title: str, caption: str, header: list[str], widths: list[int]
) -> Worksheet:
    ws = wb.create_sheet(title)
    ws.append([caption])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    ws["A1"].font = Font(bold=True, size=14)
    ws["A1"].alignment = Alignment(horizontal="center")
    ws.append(header)
    for col, width in enumerate(widths, start=1):
        cell = ws.cell(row=2, column=col)
        cell.font = Font(bold=True)
        cell.fill = HEAD_FILL
        cell.border = BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.freeze_panes = "A3"
    return ws


def _rows(ws: Worksheet, rows: list[list[object]], *, wrap: set[int] | None = None) -> None:
    for row in rows:
        ws.append(row)
        for col, cell in enumerate(ws[ws.max_row], start=1):
            cell.border = BORDER
            if isinstance(cell.value, float):
                cell.number_format = "0.0"
            if wrap and col in wrap:
                cell.alignment = Alignment(wrap_text=True, vertical="top")


def _group(g: Group) -> list[object]:
    return [g.items, g.scored, g.mean, g.reports_due, g.on_time, g.late, g.missing, g.on_time_rate]


def build_xlsx(res: Results, *, now: datetime) -> bytes:
    """The evaluation report as an .xlsx file's bytes."""
    ev = res.evaluation
    wb = Workbook()
    wb.remove(wb.active)
    _overview(wb, res, now)
    ws = _sheet(wb, "按领域", f"{ev.title}——分领域", ["领域", *GROUP_HEADER], [12] + [12] * 8)
    _rows(ws, [[g.key, *_group(g)] for g in res.by_section])
    ws = _sheet(
        wb,
        "按单位",
        f"{ev.title}——成员单位",
        ["名次", "单位代码", "单位", *GROUP_HEADER],
        [6, 12, 30] + [12] * 8,
    )
    _rows(ws, [[i, g.key, g.label, *_group(g)] for i, g in enumerate(res.by_unit, start=1)])
    ws = _sheet(
        wb,
        "按地区",
        f"{ev.title}——各地区",
        ["地区代码", "地区", *GROUP_HEADER],
        [10, 18] + [12] * 8,
    )
    _rows(ws, [[g.key, g.label, *_group(g)] for g in res.by_region])
    ws = _sheet(
        wb, "按措施", f"{ev.title}——措施", ["措施", "内容", *GROUP_HEADER], [14, 60] + [12] * 8
    )
    _rows(ws, [[g.key, g.label, *_group(g)] for g in res.by_measure], wrap={2})
    _details(wb, res)
    _lists(wb, res)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _overview(wb: Workbook, res: Results, now: datetime) -> None:
    ev = res.evaluation
    overall = res.overall
    ws = _sheet(wb, "概况", ev.title, ["项目", "内容"], [22, 80])
    facts: list[list[object]] = [
        ["发文机关", ISSUER],
        ["文号", ev.document_number],
        ["评估类型", EVALUATION_KIND_LABELS[ev.kind]],
        ["状态", "已定稿" if ev.status == "closed" else "评估进行中（未定稿）"],
        ["报告周期", "、".join(c.name for c in res.cycles)],
        ["评分细则", f"{ev.rubric.name}（满分{ev.rubric.max_total:g}分）"],
    ]
    facts += [
        [f"评分项：{c.label}", f"{c.max_score:g}分 {c.description}"] for c in ev.rubric.criteria
    ]
    facts += [
        ["评估事项", overall.items],
        ["已评分事项", overall.scored],
        ["平均得分率(%)", overall.mean],
        ["应报送报告", overall.reports_due],
        ["按时报送", overall.on_time],
        ["逾期报送", overall.late],
        ["未报送", overall.missing],
        ["导出日期", chinese_date(ev.closed_at or now)],
    ]
    _rows(ws, facts, wrap={2})


def _details(wb: Workbook, res: Results) -> None:
    ev = res.evaluation
    criteria = list(ev.rubric.criteria)
    header = ["措施", "领域", "单位", "地区代码", "应报", "按时", "逾期", "佐证材料", "最新状态"]
    header += [f"{c.label}(满分{c.max_score:g})" for c in criteria]
    header += ["总分", "得分率(%)", "评审人", "评语"]
    widths = [14, 10, 28, 10, 8, 8, 8, 10, 12] + [12] * len(criteria) + [10, 10, 18, 50]
    ws = _sheet(wb, "评分明细", f"{ev.title}——评分明细", header, widths)
    rows = []
    for r in res.items:
        i = r.item
        rows.append(
            [
                i.measure_code,
                i.section_code,
                i.unit.name,
                i.division_code,
                i.reports_due,
                i.reports_on_time,
                i.reports_late,
                i.evidence_files,
                IMPLEMENTATION.get(i.latest_implementation or "", "未报送"),
                *[r.by_criterion.get(c.code) for c in criteria],
                r.total,
                r.percent,
                "、".join(r.reviewers),
                "；".join(r.comments),
            ]
        )
    _rows(ws, rows, wrap={len(header)})


def _lists(wb: Workbook, res: Results) -> None:
    ws = _sheet(
        wb,
        "表扬与批评",
        f"{res.evaluation.title}——表扬与通报批评",
        ["类别", "单位", "理由", "决定时间"],
        [12, 30, 70, 16],
    )
    rows = [
        [RECOGNITION_LABELS[r.kind], r.unit.name, r.reason, chinese_date(r.decided_at)]
        for r in sorted(res.evaluation.recognitions, key=lambda r: (r.kind != "commend", r.id))
    ]
    _rows(ws, rows, wrap={3})
