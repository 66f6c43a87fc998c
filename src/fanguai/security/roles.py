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

ROLES: dict[str, RoleDef] = {
    r.code: r
    for r in (
        RoleDef("police_officer", "公安民警", _STAFF_BASE | _CASE_WORK),
        RoleDef("dna_analyst", "DNA检验人员", _STAFF_BASE),
        RoleDef("caseworker", "民政社工", _STAFF_BASE | _CASE_WORK),
        RoleDef("sector_officer", "行业部门工作人员", _STAFF_BASE),
        RoleDef("liaison", "联络员", _STAFF_BASE),
        RoleDef("supervisor", "单位负责人", _STAFF_BASE | _CASE_WORK | _SUPERVISION),
        RoleDef("office_staff", "联席会议办公室", _STAFF_BASE | {"users.read"}),
        RoleDef("viewer", "只读人员", _STAFF_BASE),
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
