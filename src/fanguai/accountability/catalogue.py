"""Fixed vocabularies of the accountability module: indicators, implementation states, the
default rubric, accepted evidence files and reporting periods."""

from __future__ import annotations

from dataclasses import dataclass

# Numeric indicators a report or contribution may give (工作指标): code -> (label, unit).
INDICATORS: dict[str, tuple[str, str]] = {
    "people_trained": ("培训人次", "人次"),
    "campaigns": ("开展宣传活动", "场次"),
    "materials": ("发放宣传资料", "份"),
    "inspections": ("检查场所", "家次"),
    "cases_handled": ("办理案件", "件"),
    "people_helped": ("救助帮扶人数", "人"),
    "mandatory_reports": ("接收强制报告", "件"),
    "policies_issued": ("出台制度文件", "件"),
}
# The largest value one indicator may carry in one report (a typo guard, not a quota).
MAX_INDICATOR_VALUE = 10_000_000

# How far a measure's implementation has come (实施状态).
IMPLEMENTATION: dict[str, str] = {
    "not_started": "尚未启动",
    "in_progress": "正在推进",
    "ongoing": "常态化推进",
    "completed": "已完成",
}
# Share of the completion criterion a state earns when the office applies suggested scores.
COMPLETION_SHARE = {"not_started": 0.0, "in_progress": 0.6, "ongoing": 0.9, "completed": 1.0}

NARRATIVE_MIN = 10
TEXT_MAX = 5000


@dataclass(frozen=True)
class CriterionDef:
    """A criterion of the default rubric."""

    code: str
    label: str
    max_score: float
    description: str


DEFAULT_RUBRIC_NAME = "反拐工作实施情况评分细则（2021）"
DEFAULT_CRITERIA: tuple[CriterionDef, ...] = (
    CriterionDef("completion", "任务完成", 40, "措施落实程度与工作指标完成情况"),
    CriterionDef("timeliness", "按时报送", 20, "各周期进展报告是否按时报送"),
    CriterionDef("evidence", "佐证质量", 25, "佐证材料是否完整、真实、能说明成效"),
    CriterionDef("innovation", "工作创新", 15, "创新做法、经验推广与示范作用"),
)

# ProgressEvidence files: what the office accepts, recognised by content (magic bytes), not by name.
MAX_EVIDENCE_BYTES = 1_500_000
EVIDENCE_TYPES: dict[str, tuple[str, ...]] = {
    "application/pdf": (".pdf",),
    "image/jpeg": (".jpg", ".jpeg"),
    "image/png": (".png",),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (".docx",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (".xlsx",),
}

# Reporting periods the office can open a cycle for.
PERIOD_KINDS = ("half_year", "quarter", "year", "custom")
PERIODS: dict[str, tuple[str, int, int]] = {
    # code -> (label, first month, last month)
    "H1": ("上半年", 1, 6),
    "H2": ("下半年", 7, 12),
    "Q1": ("第一季度", 1, 3),
    "Q2": ("第二季度", 4, 6),
    "Q3": ("第三季度", 7, 9),
    "Q4": ("第四季度", 10, 12),
    "Y": ("全年", 1, 12),
}

EVALUATION_KIND_LABELS = {"phase": "阶段性评估", "final": "终期评估"}
RECOGNITION_LABELS = {"commend": "表扬", "criticise": "通报批评"}
# Thresholds (percent of the rubric's total) for the suggested lists; the office decides.
COMMEND_AT = 90.0
CRITICISE_BELOW = 60.0

# Live figures of the dashboard: source -> (module whose stats.py has it, function, label).
# Each function is ``f(session, *, since=None) -> [(county code, "YYYY-MM", count)]``.
LIVE_SOURCES: dict[str, tuple[str, str, str]] = {
    "leads": ("leads", "counts_by_county_month", "线索"),
    "alerts": ("alerts", "counts_by_county_month", "失踪儿童案件"),
    "identify": ("identify", "counts_by_county_month", "来历不明人员登记"),
    "identified": ("identify", "identified_by_county_month", "身份查明"),
    "victims": ("victims", "counts_by_county_month", "受助被拐受害人"),
}
# Victim services by kind (victims.stats.served_counts), as the dashboard names them.
SERVICE_LABELS = {
    "shelter": "救助安置",
    "medical": "医疗救治",
    "counselling": "心理疏导",
    "legal_aid": "法律援助",
    "disability": "残疾评定",
    "schooling": "入学安置",
    "employment": "就业服务",
    "return_home": "回归家庭",
    "repatriation": "跨境送返",
    "followup": "回访",
}
# Counts below this are shown as "<10" (small counts could point at a child or a victim).
SUPPRESS_BELOW = 10
