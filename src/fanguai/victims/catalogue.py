"""The codes of the victim file: services, department lines, and the case-data vocabulary.

The victim profile follows the fields of IOM's Human Trafficking Case Data Standard (HTCDS)
where they fit: type of exploitation, means of control, recruiter relation and a dated
recruitment → transit → exploitation timeline. The labels people read live in the message
catalogue (``victims.<group>.<code>``); the export's English labels live in ``stats.py``.
"""

from __future__ import annotations

# Services given to a victim (二(三)); each is one row of victim_service.
SERVICE_KINDS = (
    "shelter",  # 救助管理机构 / 儿童福利机构 stay: in and out
    "medical",  # designated hospital (二(三)1(6))
    "counselling",  # 心理疏导
    "legal_aid",  # 法律援助, green channel (二(三)1(7))
    "disability",  # 残疾评定 referral (二(三)1(6))
    "schooling",  # 入学安置台账 (二(三)2(1))
    "employment",  # 就业服务 for 16 and over (二(三)2(2))
    "return_home",  # 回归家庭和社区 (二(三)2(3))
    "repatriation",  # 跨国跨境送返 / 接收 (二(五)5, 二(五)6)
    "followup",  # 回访: 1, 3, 6 and 12 months after return (二(三)3)
)

# The department lines that keep the special file (二(三)3: 省公安厅、省民政厅负责): their staff
# with victims.read see whole files in their jurisdiction.
FILE_LINES = frozenset({"civil_affairs", "police"})

# The department lines that each do one piece, and the services they see and record. A sector
# officer (victims.sector) sees only these services of a file, never its exploitation history.
SECTOR_KINDS: dict[str, tuple[str, ...]] = {
    "education": ("schooling",),
    "health": ("medical", "counselling", "disability"),
    "hr": ("employment",),
    "justice": ("legal_aid",),
    "disabled": ("disability",),
}

# Unit-code suffix of each line's county counterpart (see fanguai.org.catalogue).
LINE_ABBR = {
    "civil_affairs": "MZ",
    "police": "GA",
    "education": "JY",
    "health": "WJ",
    "hr": "RS",
    "justice": "SF",
    "disabled": "CL",
}

EXPLOITATION_TYPES = (
    "sexual",
    "labour",
    "begging",
    "criminality",
    "illegal_adoption",
    "forced_marriage",
    "organ_removal",
    "other",
)
MEANS_OF_CONTROL = (
    "debt_bondage",
    "takes_earnings",
    "restricts_financial_access",
    "threats",
    "psychological_abuse",
    "physical_abuse",
    "sexual_abuse",
    "false_promises",
    "psychoactive_substances",
    "restricts_movement",
    "restricts_medical_care",
    "excessive_working_hours",
    "uses_children",
    "threat_of_law_enforcement",
    "withholds_necessities",
    "withholds_documents",
    "other",
)
RECRUITER_RELATIONS = (
    "intimate_partner",
    "friend",
    "family",
    "acquaintance",
    "stranger",
    "employer",
    "other",
    "unknown",
)
RECRUITMENT_METHODS = (
    "false_job_offer",
    "false_marriage",
    "abduction",
    "sold_by_family",
    "online",
    "other",
    "unknown",
)
TIMELINE_STAGES = ("recruitment", "transit", "exploitation")

NEEDS = (
    "shelter",
    "medical",
    "psychological",
    "legal",
    "education",
    "employment",
    "family_tracing",
    "documents",
    "repatriation",
    "disability",
    "financial",
)
PRIORITIES = ("urgent", "high", "normal")
CONSENT_SCOPES = ("all", *SECTOR_KINDS)
CONSENT_GIVERS = ("victim", "guardian", "legal_representative")
CLOSE_REASONS = ("completed", "declined", "deceased", "transferred", "other")
SEXES = ("male", "female", "unknown")

DISABILITY_CATEGORIES = (
    "visual",
    "hearing",
    "speech",
    "physical",
    "intellectual",
    "mental",
    "multiple",
    "none",
)
DISABILITY_GRADES = ("1", "2", "3", "4")
EMPLOYMENT_ACTIVITIES = ("training", "guidance", "referral", "placement")
RETURN_DESTINATIONS = ("family", "community", "institution")
REPATRIATION_DIRECTIONS = ("inbound", "outbound")
HOSPITAL_KINDS = ("general", "psychiatric")

FOLLOWUP_MONTHS = (1, 3, 6, 12)
# School age for the placement rule: the compulsory-education years, 6 to 15 (义务教育).
SCHOOL_AGE = (6, 15)
# Employment services are for victims of 16 and over who want to work (二(三)2(2)).
WORK_AGE = 16
# Unidentified this long in a shelter → household-registration application (二(三)1(5)).
SHELTER_MONTHS = 3
