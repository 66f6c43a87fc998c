"""The victim module's periodic job: the rules that create tasks."""

from __future__ import annotations

from datetime import datetime

from fanguai.db import Database
from fanguai.security.crypto_runtime import field_crypto
from fanguai.victims.rules import run_rules
from fanguai.worker import job


@job("victims.rules")
def rules(db: Database, now: datetime) -> int:
    """Household registration, school placement, employment and follow-up tasks, when due."""
    return run_rules(db, field_crypto(), now)
