"""The policy oracle: reads policy_spec.yaml and decides from it alone (no application imports)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml


def _load_spec() -> dict:
    """policy_spec.yaml, plus each module's operations from policy/*.yaml."""
    here = Path(__file__).parent
    spec = yaml.safe_load((here / "policy_spec.yaml").read_text(encoding="utf-8"))
    for path in sorted((here / "policy").glob("*.yaml")):
        extra = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for role, perms in (extra.get("permissions") or {}).items():
            spec["permissions"].setdefault(role, [])
            spec["permissions"][role] += [p for p in perms if p not in spec["permissions"][role]]
        spec["operations"] += extra.get("operations") or []
    return spec


SPEC = _load_spec()
ADMINS_SEEING_ALL_LINES = {"sys_admin", "sec_admin"}


@dataclass(frozen=True)
class Who:
    """A fixture user as the oracle sees them."""

    username: str
    roles: frozenset[str]
    division: str  # six-digit code of the user's unit
    level: str  # province | city | county
    department: str


def permissions(roles: frozenset[str]) -> set[str]:
    granted: set[str] = set()
    for role in roles:
        granted |= set(SPEC["permissions"].get(role, []))
    return granted


def _jurisdiction(who: Who) -> str:
    return {"province": who.division[:2], "city": who.division[:4]}.get(who.level, who.division)


def inside(who: Who, division: str) -> bool:
    return division.startswith(_jurisdiction(who))


def above(who: Who, division: str) -> bool:
    return division in {who.division[:2] + "0000", who.division[:4] + "00"} - {who.division}


def unit_view(who: Who, unit_division: str) -> bool:
    return inside(who, unit_division) or above(who, unit_division)


def staff_line(who: Who, unit_division: str, unit_department: str) -> bool:
    if not inside(who, unit_division):
        return False
    return bool(who.roles & ADMINS_SEEING_ALL_LINES) or unit_department == who.department


def expected_status(op: dict, who: Who, target: dict | None) -> int:
    """The operation's success status (200 unless the spec says), or the deny status."""
    ok = op.get("ok_status", 200)
    if op["needs"] == "public":  # a public page: open to everyone, signed in or not
        return ok
    if op["needs"] not in permissions(who.roles):
        return SPEC["deny_status"]["permission"]
    if target is None or op["scope"] in ("all", "self"):
        return ok
    if op["scope"] == "unit_view":
        ok = unit_view(who, target["division"])
    elif op["scope"] == "staff_line":
        ok = staff_line(who, target["division"], target["department"])
    elif op["scope"] == "person_line":
        # Same rule as staff lines, without the admins' exception: no admin reads case data.
        ok = inside(who, target["division"]) and target["department"] == who.department
        if ok and target.get("minor") and not op.get("adult_only") and not target.get("granted"):
            return SPEC["deny_status"]["permission"]
    elif op["scope"] == "record_line":
        # A module's record owned by a unit: inside the jurisdiction and in the department line.
        ok = inside(who, target["division"]) and target["department"] == who.department
    elif op["scope"] == "record_inside":
        # A module's record shared across department lines: inside the jurisdiction.
        ok = inside(who, target["division"])
    else:
        raise ValueError(f"unknown scope {op['scope']!r}")
    return op.get("ok_status", 200) if ok else SPEC["deny_status"]["scope"]
