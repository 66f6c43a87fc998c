"""Roles and the permissions they grant. Scope (which rows) is decided in fanguai.security.scope.

The three admin roles (三权分立) grant only their own admin work: none of them reads case, DNA
or victim data, and no account may hold two of them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RoleDef:
    """A role's code, Chinese name and permissions."""

    code: str
    name: str
    permissions: frozenset[str]
    is_admin: bool = False


# What every staff member may look at: reference data and the plan.
_STAFF_BASE = frozenset({"home.view", "divisions.read", "units.read", "measures.read"})

# Working with people's records: read (masked), register, ask for access to a minor's record,
# emergency access.
_CASE_WORK = frozenset({"people.read", "people.create", "grants.request", "grants.break_glass"})
# A unit's supervisor also unmasks, erases, approves access and reads who accessed a record.
_SUPERVISION = frozenset(
    {"users.read", "people.unmask", "people.erase", "people.access_log", "grants.approve"}
)

# Leads (issue 4): read the inbox, handle (acknowledge, transfer, outcome), take a hotline call,
# submit as a registered mandatory-reporting institution, read the monthly summary.
_LEADS_WORK = frozenset({"leads.read", "leads.handle", "leads.intake"})
# Missing-child cases and alerts (issue 5).
_CASES_READ = frozenset({"cases.read"})
_CASES_WORK = frozenset({"cases.read", "cases.manage"})
_CASES_COMMAND = frozenset({"cases.close", "alerts.publish", "subscribers.manage"})
# DNA (issue 6): named analysts read, import and search; revealing the person behind a
# specimen is a separate permission (R-DNA-4).
_DNA_WORK = frozenset({"dna.read", "dna.import", "dna.search"})
# Identification and reunification (issue 7).
_FOUND_WORK = frozenset({"found.read", "found.manage"})
# Victim assistance (issue 8): caseworkers keep the file; sector officers read and write only
# the fields of their department line (education: placement ledger; health: medical).
_VICTIMS_WORK = frozenset({"victims.read", "victims.manage"})
# Plan accountability (issue 9).
_PROGRESS = frozenset({"progress.read", "progress.report"})
_OVERSIGHT = frozenset(
    {
        "progress.read",
        "evaluation.manage",
        "evaluation.score",
        "dashboard.view",
        "leads.summary",
        "victims.stats",
    }
)
# Retention (SECURITY.md I1): place and release legal holds on records in scope.
_RETENTION = frozenset({"retention.hold"})

ROLES: dict[str, RoleDef] = {
    r.code: r
    for r in (
        RoleDef(
            "police_officer",
            "公安民警",
            _STAFF_BASE | _CASE_WORK | _LEADS_WORK | _CASES_WORK | _FOUND_WORK | {"victims.read"},
        ),
        RoleDef(
            "dna_analyst",
            "DNA检验人员",
            _STAFF_BASE | _DNA_WORK | _CASES_READ | {"found.read", "matches.review"},
        ),
        RoleDef(
            "caseworker",
            "民政社工",
            _STAFF_BASE | _CASE_WORK | _LEADS_WORK | _FOUND_WORK | _VICTIMS_WORK,
        ),
        RoleDef(
            "sector_officer",
            "行业部门工作人员",
            _STAFF_BASE | {"leads.read", "leads.handle", "victims.sector"},
        ),
        RoleDef("liaison", "联络员", _STAFF_BASE | _PROGRESS),
        RoleDef(
            "supervisor",
            "单位负责人",
            _STAFF_BASE
            | _CASE_WORK
            | _SUPERVISION
            | _LEADS_WORK
            | _CASES_WORK
            | _CASES_COMMAND
            | _FOUND_WORK
            | _VICTIMS_WORK
            | _PROGRESS
            | {"leads.summary", "matches.review", "dna.reveal", "dashboard.view"}
            | _RETENTION,
        ),
        RoleDef(
            "office_staff", "联席会议办公室", _STAFF_BASE | {"users.read"} | _OVERSIGHT | _RETENTION
        ),
        RoleDef("viewer", "只读人员", _STAFF_BASE | {"dashboard.view"}),
        # A registered mandatory-reporting institution (school, hospital, hotel, village
        # committee, welfare institution): submits reports and follows their own.
        RoleDef("mandatory_reporter", "强制报告责任人", frozenset({"home.view", "leads.report"})),
        RoleDef(
            "sys_admin",
            "系统管理员",
            frozenset({"home.view", "divisions.read", "units.read", "users.read", "users.manage"}),
            is_admin=True,
        ),
        RoleDef(
            "sec_admin",
            "安全管理员",
            frozenset({"home.view", "users.read", "roles.assign", "mfa.reset", "users.unlock"}),
            is_admin=True,
        ),
        RoleDef("audit_admin", "审计管理员", frozenset({"home.view", "audit.read"}), is_admin=True),
    )
}

ADMIN_ROLES = frozenset(code for code, r in ROLES.items() if r.is_admin)


def permissions_for(role_codes: frozenset[str] | set[str]) -> frozenset[str]:
    """The union of the permissions of the given roles (unknown codes grant nothing)."""
    granted: set[str] = set()
    for code in role_codes:
        role = ROLES.get(code)
        if role is not None:
            granted |= role.permissions
    return frozenset(granted)
