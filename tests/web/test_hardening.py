"""A3, B6, D7 and friends: enumeration, guessed IDs, sensitive parameters, opaque identifiers."""

from __future__ import annotations

import os
import random
import uuid

import pytest
from sqlalchemy import select

from fanguai.org.models import Unit
from fanguai.security import service as auth

SENSITIVE = ("id_card", "idcard", "phone", "mobile", "dna", "allele", "name", "address", "birth")


def test_no_sensitive_value_travels_in_a_path_or_query(app) -> None:  # type: ignore[no-untyped-def]
    spec = app.openapi()
    offending = []
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            for param in op.get("parameters", []):
                if param["in"] in ("path", "query") and any(
                    s in param["name"].lower() for s in SENSITIVE
                ):
                    offending.append(f"{method.upper()} {path} {param['name']}")
    assert offending == []


def test_unknown_users_and_wrong_passwords_look_and_cost_the_same(client, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    calls: list[str | None] = []
    real = auth.verify_password

    def spy(stored, password):  # type: ignore[no-untyped-def]
        calls.append(stored)
        return real(stored, password)

    monkeypatch.setattr(auth, "verify_password", spy)
    answers = []
    for name in ("no.such.user", "gusu.police"):
        r = client.post("/api/session", json={"username": name, "password": "Wrong-Pass-123"})
        headers = {k: v for k, v in r.headers.items() if k not in ("x-request-id", "date")}
        answers.append((r.status_code, r.content, headers))
    assert answers[0] == answers[1]
    assert len(calls) == 2  # one Argon2 verification each: the unknown name against a dummy hash


def test_public_identifiers_are_random_uuids(session) -> None:  # type: ignore[no-untyped-def]
    ids = session.execute(select(Unit.public_id).limit(50)).scalars().all()
    assert all(uuid.UUID(i).version == 4 for i in ids)


def _neighbours(public_id: str, n: int, rng: random.Random) -> list[str]:
    """IDs close to a real one, never the real one itself (which the caller may see)."""
    base = uuid.UUID(public_id).int
    offsets = [rng.choice((-1, 1)) * rng.randint(1, 5000) for _ in range(n)]
    return [str(uuid.UUID(int=(base + o) % (1 << 128))) for o in offsets]


@pytest.mark.parametrize("kind", ["units", "people"])
def test_guessed_identifiers_find_nothing(login, session, kind) -> None:  # type: ignore[no-untyped-def]
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    many = 10_000 if os.environ.get("SEC_EXTENDED") else 500
    c = login("gusu.police")
    own = session.execute(select(Unit.public_id).where(Unit.code == "320508-GA")).scalar_one()
    guesses = _neighbours(own, many, rng) + [
        str(uuid.UUID(int=rng.getrandbits(128))) for _ in range(many)
    ]
    hits = [g for g in guesses if c.get(f"/api/{kind}/{g}").status_code != 404]
    assert hits == [], f"seed {seed}"


def test_malformed_identifiers_answer_404_not_500(login) -> None:  # type: ignore[no-untyped-def]
    c = login("gusu.police")
    for bad in ("1", "../../etc/passwd", "' OR 1=1 --", "%00", "a%00b", "x" * 300):
        assert c.get(f"/api/units/{bad}").status_code in (400, 404, 422)


def test_text_the_database_cannot_store_is_refused_cleanly(login) -> None:  # type: ignore[no-untyped-def]
    c = login("gusu.police")
    r = c.post("/api/people", json={"kind": "parent", "name": "张\u0000三", "notes": "a\u0000b"})
    assert r.status_code in (201, 422)  # encrypted fields hold any text; never a 500
    r = c.post("/api/people/search", json={"id_card": "32050819850601\u00001234"})
    assert r.status_code in (200, 422)


def test_extra_fields_cannot_set_what_the_role_may_not(login) -> None:  # type: ignore[no-untyped-def]
    c = login("gusu.police")
    r = c.post(
        "/api/people",
        json={
            "kind": "parent",
            "name": "张三",
            "owner_unit_id": 1,
            "erased_at": "2020-01-01T00:00:00Z",
        },
    )
    assert r.status_code == 422
    dup = c.post(
        "/api/people",
        content=b'{"kind": "parent", "kind": "victim", "roles": ["x"]}',
        headers={"content-type": "application/json"},
    )
    assert dup.status_code == 422
