"""The words of the leads module: lead types, channels, urgency and routing rules, deadlines.

Deadlines and abuse-control thresholds are module constants that an environment variable may
override (read when used, so a running test or benchmark can change them)::

    FANGUAI_LEADS_ACK_URGENT_MINUTES   acknowledgement deadline of an urgent lead (default 60)
    FANGUAI_LEADS_ACK_NORMAL_MINUTES   ... of any other lead (default 1440, one day)
    FANGUAI_LEADS_POW_BITS             proof-of-work difficulty in leading zero bits (default 15)
    FANGUAI_LEADS_RATE_LIMITS          per-address limits "minute,day,net24_hour" (default
                                       "10,50,2000"); "off" switches rate limiting off
"""

from __future__ import annotations

import os

# Lead types (线索类型). The first seven are the plan's; the last five route to other lines or
# come from mandatory reports.
LEAD_TYPES = (
    "missing_now",  # 儿童正在走失
    "trafficking",  # 疑似拐卖
    "illegal_adoption",  # 非法收养、买卖儿童
    "forced_labour",  # 强迫劳动
    "sexual_exploitation",  # 性剥削
    "online",  # 网络拐卖信息
    "wandering_minor",  # 流浪乞讨未成年人 → civil affairs
    "school_dropout",  # 失学辍学 → education
    "child_labour",  # 非法使用童工 → human resources
    "sexual_abuse",  # 性侵害 (mandatory report)
    "abuse_neglect",  # 虐待、遗弃 (mandatory report)
    "other",
)
# What a member of the public and a hotline operator choose from.
PUBLIC_TYPES = LEAD_TYPES[:9] + ("other",)
# Mandatory-report categories (强制报告) and the lead type each one becomes.
REPORT_CATEGORIES = {
    "sexual_abuse": "sexual_abuse",
    "abuse_neglect": "abuse_neglect",
    "suspected_trafficking": "trafficking",
    "missing": "missing_now",
    "other": "other",
}
# Registered institutions that must report (二(一)5).
INSTITUTION_KINDS = (
    "school",
    "childcare",
    "hospital",
    "welfare",
    "hotel",
    "village_committee",
)

CHANNELS = ("public", "hotline", "portal", "api")
URGENCIES = ("urgent", "normal")
STATUSES = ("quarantined", "received", "acknowledged", "closed")
OPEN_STATUSES = ("received", "acknowledged")
OUTCOMES = ("substantiated", "unsubstantiated", "merged", "case_opened")
# What the reporter's status page says: nothing of the handling beyond these three steps.
PUBLIC_STATUS = {
    "quarantined": "received",
    "received": "received",
    "acknowledged": "in_progress",
    "closed": "closed",
}

URGENT_TYPES = frozenset({"missing_now", "trafficking", "sexual_exploitation", "sexual_abuse"})

# Department line that must act on each type; police for everything not listed.
DEPARTMENT_FOR_TYPE = {
    "wandering_minor": "civil_affairs",
    "school_dropout": "education",
    "child_labour": "hr",
}
DEFAULT_DEPARTMENT = "police"
# Unit code suffix (see fanguai.org.catalogue) of each department line a lead may be sent to.
UNIT_ABBR = {
    "police": "GA",
    "civil_affairs": "MZ",
    "education": "JY",
    "hr": "RS",
    "health": "WJ",
    "women": "FL",
}
TRANSFER_DEPARTMENTS = tuple(UNIT_ABBR)

# Signals of a bot (H3): a filled honeypot, or a form sent this soon after it was served.
MIN_FILL_SECONDS = 3
# A challenge is valid this long (a person may take time to write a report).
CHALLENGE_HOURS = 6
# Idempotency keys are remembered this long (published in docs/leads.md).
IDEMPOTENCY_TTL_HOURS = 24
# Near-duplicates: same county and type within this many hours, and this similar.
DUPLICATE_WINDOW_HOURS = 72
DUPLICATE_SIMILARITY = 0.5
DUPLICATE_CANDIDATES = 20

# Attachments (E7, H5): images only, re-encoded; at most this many, each at most this large.
MAX_ATTACHMENTS = 3
MAX_ATTACHMENT_BYTES = 1_500_000
MAX_IMAGE_PIXELS = 40_000_000
MAX_IMAGE_SIDE = 2048
# Text limits.
MAX_DESCRIPTION = 4000
MAX_SHORT_TEXT = 200


def _env_int(name: str, default: int, *, minimum: int = 0) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, got {raw!r}") from None
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}")
    return value


def ack_minutes(urgency: str) -> int:
    """Minutes a unit has to acknowledge a lead of this urgency."""
    if urgency == "urgent":
        return _env_int("FANGUAI_LEADS_ACK_URGENT_MINUTES", 60, minimum=1)
    return _env_int("FANGUAI_LEADS_ACK_NORMAL_MINUTES", 24 * 60, minimum=1)


def pow_bits() -> int:
    """Proof-of-work difficulty: leading zero bits of SHA-256(challenge:nonce)."""
    return min(_env_int("FANGUAI_LEADS_POW_BITS", 15), 28)


def rate_limits() -> tuple[int, int, int] | None:
    """(per address per minute, per address per day, per /24 network per hour), or None."""
    raw = os.environ.get("FANGUAI_LEADS_RATE_LIMITS", "").strip().lower()
    if raw == "off":
        return None
    if not raw:
        return (10, 50, 2000)
    parts = raw.split(",")
    if len(parts) != 3 or not all(p.strip().isdigit() and int(p) > 0 for p in parts):
        raise ValueError(f"FANGUAI_LEADS_RATE_LIMITS must be 'off' or three numbers, got {raw!r}")
    minute, day, net = (int(p) for p in parts)
    return minute, day, net


def urgency_for(lead_type: str, *, danger_now: bool = False, channel: str = "public") -> str:
    """A child missing now, trafficking and sexual harm are urgent; so is a child in danger."""
    if danger_now or lead_type in URGENT_TYPES:
        return "urgent"
    if channel == "portal" and lead_type != "other":
        return "urgent"  # a mandatory report goes to the police at once
    return "normal"


def department_for(lead_type: str, *, channel: str = "public") -> str:
    """The department line that must act on a lead of this type."""
    if channel == "portal":
        return DEFAULT_DEPARTMENT  # mandatory reports go to the police (强制报告)
    return DEPARTMENT_FOR_TYPE.get(lead_type, DEFAULT_DEPARTMENT)
