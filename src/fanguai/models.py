"""Every table of the platform, imported in one place for metadata and migrations."""

from fanguai.audit.models import AuditAnchor, AuditEvent, AuditHead, AuditPurgePermit
from fanguai.db import Base
from fanguai.org.models import Division, Role, Unit, User, user_role
from fanguai.plan.models import Measure, MeasureUnit, PlanVersion
from fanguai.security.models import UserSession

__all__ = [
    "AuditAnchor", "AuditEvent", "AuditHead", "AuditPurgePermit", "Base", "Division", "Measure", "MeasureUnit", "PlanVersion",
    "Role", "Unit", "User", "UserSession", "user_role",
]
