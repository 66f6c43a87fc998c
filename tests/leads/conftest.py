"""Helpers of the leads tests: a public lead's body, a solved challenge issued a while ago (a
person takes time to write), rate limits off and a cheap proof of work unless a test says."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from fanguai.db import utcnow
from fanguai.leads import abuse

SECRET = b"test-secret-key-0123456789abcdefghijkl"  # the tests' Settings (tests/conftest.py)


@pytest.fixture(autouse=True)
def _leads_env(monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("FANGUAI_LEADS_RATE_LIMITS", "off")
    monkeypatch.setenv("FANGUAI_LEADS_POW_BITS", "8")


def proof(*, ago: float = 30, bits: int = 8) -> dict[str, str]:
    """A challenge issued ``ago`` seconds ago, solved."""
    challenge = abuse.issue_challenge(SECRET, now=utcnow() - timedelta(seconds=ago), bits=bits)
    return {"challenge": challenge.token, "nonce": abuse.solve(challenge.token, challenge.bits)}


def lead_body(**overrides) -> dict:  # type: ignore[no-untyped-def]
    """A public lead about a child missing near 姑苏区 (with a fresh solved challenge)."""
    body = {
        "lead_type": "missing_now",
        "description": "孩子在观前街走散了，穿红色外套。",
        "child": {"sex": "female", "age": "约6岁", "features": "红色外套"},
        "county_code": "320508",
        "place_text": "观前街",
        **proof(),
    }
    body.update(overrides)
    return body


def key() -> dict[str, str]:
    """A fresh Idempotency-Key header."""
    return {"Idempotency-Key": str(uuid.uuid4())}


def submit(client, body: dict | None = None, headers: dict | None = None):  # type: ignore[no-untyped-def]
    """POST a public lead (a fresh key unless ``headers`` says otherwise)."""
    return client.post(
        "/api/leads/public", json=body or lead_body(), headers=key() if headers is None else headers
    )
