"""Fixtures of the DNA tests: the demo's named staff as actors, a store ready to search."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from fanguai.core.actor import Actor
from fanguai.org.models import User
from fanguai.security.service import actor_for_user


@pytest.fixture
def actor_of(session):  # type: ignore[no-untyped-def]
    """``actor_of("suzhou.dna")`` → the persona's Actor."""

    def _actor(username: str) -> Actor:
        user = session.execute(select(User).where(User.username == username)).scalar_one()
        return actor_for_user(user)

    return _actor


@pytest.fixture
def analyst(actor_of) -> Actor:  # type: ignore[no-untyped-def]
    return actor_of("suzhou.dna")


@pytest.fixture
def chief(actor_of) -> Actor:  # type: ignore[no-untyped-def]
    return actor_of("suzhou.police")


@pytest.fixture
def labchief(actor_of) -> Actor:  # type: ignore[no-untyped-def]
    return actor_of("suzhou.labchief")
