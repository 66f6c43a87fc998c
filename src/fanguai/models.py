"""Every table of the platform, imported in one place for metadata and migrations."""

# Modules whose tables register themselves on import (each lists its own in its models.py).
from fanguai.accountability import models as _accountability_models  # noqa: F401
from fanguai.alerts import models as _alerts_models  # noqa: F401
from fanguai.audit.models import AuditAnchor, AuditEvent, AuditHead, AuditPurgePermit
from fanguai.db import Base
from fanguai.dna import models as _dna_models  # noqa: F401
from fanguai.identify import models as _identify_models  # noqa: F401
from fanguai.leads import models as _leads_models  # noqa: F401
from fanguai.org.models import Division, Role, Unit, User, user_role
from fanguai.outbox import OutboxMessage
from fanguai.people.models import AccessGrant, Person
from fanguai.plan.models import Measure, MeasureUnit, PlanVersion
from fanguai.retention import models as _retention_models  # noqa: F401
from fanguai.security.models import AuthThrottle, UserSession
from fanguai.tasks import models as _tasks_models  # noqa: F401
from fanguai.victims import models as _victims_models  # noqa: F401

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
