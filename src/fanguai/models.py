"""Every table of the platform, imported in one place for metadata and migrations."""

from fanguai.audit.models import AuditAnchor, AuditEvent, AuditHead, AuditPurgePermit
from fanguai.db import Base
from fanguai.org.models import Division, Role, Unit, User, user_role
from fanguai.outbox import OutboxMessage
from fanguai.people.models import AccessGrant, Person
from fanguai.plan.models import Measure, MeasureUnit, PlanVersion
from fanguai.security.models import AuthThrottle, UserSession

__all__ = [
    "AccessGrant",
    "OutboxMessage",
    "Person",
    "AuditAnchor",
    "AuthThrottle",
    "AuditEvent",
    "AuditHead",
    "AuditPurgePermit",
    "Base",
    "Division",
    "Measure",
    "MeasureUnit",
    "PlanVersion",
    "Role",
    "Unit",
    "User",
    "UserSession",
    "user_role",
]
