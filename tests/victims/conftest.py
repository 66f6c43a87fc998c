"""Helpers of the victim-module tests: personas as actors, intake bodies, a controlled clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from fanguai.core.actor import Actor
from fanguai.org.models import User
from fanguai.security.service import actor_for_user

# A fixed moment for the controlled-clock tests: 2026-03-02 10:00 in Beijing.
T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
SENTINEL_HISTORY = "SENTINEL-EXPLOIT-哨兵经历"
SENTINEL_DIAGNOSIS = "SENTINEL-DIAG-哨兵诊断"


def intake(**over: Any) -> dict[str, Any]:
    """A JSON intake body: a 14-year-old girl received yesterday, identity unknown."""
    body: dict[str, Any] = {
        "received_at": (datetime.now(UTC) - timedelta(days=1)).isoformat(),
        "sex": "female",
        "age": 14,
        "notes": "测试：公安机关解救后移交",
    }
    body.update(over)
    return body


def count(session, model) -> int:  # type: ignore[no-untyped-def]
    session.expire_all()
    return session.execute(select(func.count()).select_from(model)).scalar_one()


@pytest.fixture
def as_user(session) -> Callable[[str], Actor]:  # type: ignore[no-untyped-def]
    def _as(username: str) -> Actor:
        user = session.execute(select(User).where(User.username == username)).scalar_one()
        return actor_for_user(user)

    return _as


@pytest.fixture
def user(login):  # type: ignore[no-untyped-def]
    """``user("gusu.civil")`` → that persona's logged-in client, one per persona and test (a
    persona may only log in twice in one time window of the second factor)."""
    clients: dict[str, Any] = {}

    def _user(username: str):  # type: ignore[no-untyped-def]
        if username not in clients:
            clients[username] = login(username)
        return clients[username]

    return _user


@pytest.fixture
def new_file(user):  # type: ignore[no-untyped-def]
    """``new_file(**over)`` → (caseworker client, file id) for a fresh file of gusu.civil."""

    def _new(**over: Any):  # type: ignore[no-untyped-def]
        civil = user("gusu.civil")
        r = civil.post("/api/victims", json=intake(**over))
        assert r.status_code == 201, r.text
        return civil, r.json()["id"]

    return _new
