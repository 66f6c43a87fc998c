"""Demo personas (named staff users across units, levels and departments)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from fanguai.core.actor import Actor
from fanguai.demo import DemoReport, register
from fanguai.org.actions import create_user
from fanguai.org.models import User
from fanguai.org.schemas import UserCreate


@dataclass(frozen=True)
class Persona:
    """A demo staff user: who they are and what they show."""

    username: str
    display_name: str
    unit_code: str
    roles: tuple[str, ...]
    about: str


# Demo passwords are public by design (printed at start); demo mode never runs on real data.
DEMO_PASSWORD = "Demo-Persona#2026"  # noqa: S105 - public by design, demo only

PERSONAS: tuple[Persona, ...] = (
    Persona("gusu.police", "李明", "320508-GA", ("police_officer",), "姑苏区公安局民警"),
    Persona("gusu.chief", "王强", "320508-GA", ("supervisor",), "姑苏区公安局负责人"),
    Persona(
        "wuzhong.police", "赵磊", "320506-GA", ("police_officer",), "吴中区公安局民警（兄弟县区）"
    ),
    Persona("suzhou.police", "陈静", "320500-GA", ("supervisor",), "苏州市公安局负责人"),
    Persona("suzhou.dna", "周华", "320500-GA", ("dna_analyst",), "苏州市公安局DNA实验室"),
    Persona("gusu.civil", "刘芳", "320508-MZ", ("caseworker",), "姑苏区民政局社工"),
    Persona("gusu.edu", "孙丽", "320508-JY", ("sector_officer",), "姑苏区教育局"),
    Persona(
        "nanjing.police", "吴刚", "320100-GA", ("police_officer",), "南京市公安局民警（其他城市）"
    ),
    Persona("jiangsu.office", "郑伟", "320000-FGB", ("office_staff",), "省联席会议办公室"),
    Persona("jiangsu.edu.liaison", "冯雪", "320000-JY", ("liaison",), "省教育厅联络员"),
    Persona("sysadmin", "系统管理员", "320000-GA", ("sys_admin",), "系统管理员"),
    Persona("secadmin", "安全管理员", "320000-GA", ("sec_admin",), "安全管理员"),
    Persona("auditor", "审计管理员", "320000-GA", ("audit_admin",), "审计管理员"),
)


@register("org.personas", order=10)
def load_personas(session: Session, actor: Actor, report: DemoReport) -> None:
    """Create the demo personas that do not exist yet, with their second factor set up."""
    ensure_personas(session, actor, report, PERSONAS, key="personas")


def ensure_personas(
    session: Session,
    actor: Actor,
    report: DemoReport,
    personas: tuple[Persona, ...],
    *,
    key: str,
) -> None:
    """Create the given personas that do not exist yet (modules add their own this way)."""
    existing = set(session.execute(select(User.username)).scalars())
    session.rollback()
    added = 0
    for p in personas:
        report.credentials.append((p.username, DEMO_PASSWORD, p.about))
        if p.username in existing:
            continue
        user = create_user(
            session,
            actor=actor,
            data=UserCreate(
                username=p.username,
                display_name=p.display_name,
                unit_code=p.unit_code,
                password=DEMO_PASSWORD,
                roles=list(p.roles),
            ),
        )
        _enrol_demo_totp(session, actor, user.id)
        added += 1
    report.added[key] = added


def _enrol_demo_totp(session: Session, actor: Actor, user_id: int) -> None:
    # Demo personas come with a seed already set up; the demo's second-factor page shows the
    # current code, so a visitor needs no authenticator app (never outside demo mode).
    from fanguai.core.actions import action
    from fanguai.db import utcnow
    from fanguai.security import totp
    from fanguai.security.crypto_runtime import field_crypto

    crypto = field_crypto()
    with action(session, actor, "auth.mfa_enrol", object_type="user") as act:
        user = session.get(User, user_id)
        assert user is not None
        act.object_id = user.public_id
        user.totp_secret = crypto.encrypt(
            totp.new_secret(),
            subject_id=f"user:{user.public_id}",
            table="staff_user",
            column="totp_secret",
            row_id=user.public_id,
        )
        user.mfa_enrolled_at = utcnow()
