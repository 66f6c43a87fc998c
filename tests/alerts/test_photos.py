"""Photos of a missing child are stored field-encrypted (under the child's key), decrypted only
for the staff route and the public photo while the alert is out; photos stored in clear before
migration 0016 are encrypted by a job that can run any number of times."""

from __future__ import annotations

import hashlib
import io
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from PIL import Image
from sqlalchemy import select, update

from fanguai import migrate
from fanguai.alerts import actions, alerting, jobs, photos
from fanguai.alerts.models import Alert, CasePhoto
from fanguai.core.actions import action
from fanguai.core.actor import cli_actor
from fanguai.db import utcnow
from fanguai.people.models import Person
from tests.alerts.conftest import T0, as_actor, report


def _jpeg(colour=(10, 120, 200)) -> bytes:  # type: ignore[no-untyped-def]
    buf = io.BytesIO()
    Image.new("RGB", (24, 16), colour).save(buf, format="JPEG")
    return buf.getvalue()


def test_a_photo_is_stored_encrypted_under_the_childs_key(session) -> None:  # type: ignore[no-untyped-def]
    case = report(session)
    photo = actions.add_photo(
        session, actor=as_actor(session, "gusu.police"), case_id=case.public_id, raw=_jpeg()
    )
    row = session.execute(
        select(CasePhoto.content, CasePhoto.data).where(CasePhoto.id == photo.id)
    ).one()
    assert row.data is None and row.content.startswith("fg1:")
    clear = photos.photo_bytes(session, photo)
    assert clear[:2] == b"\xff\xd8" and hashlib.sha256(clear).hexdigest() == photo.sha256
    assert clear not in row.content.encode()


def test_the_photo_routes_decrypt_for_staff_and_for_the_public_only_while_published(
    login, client, session
) -> None:  # type: ignore[no-untyped-def]
    police = login("gusu.police")
    body = {
        "child": {"name": "照片童", "sex": "female", "age": 4, "description": "绿色帽子"},
        "last_seen_place": "山塘街",
        "last_seen_lat": 31.3236,
        "last_seen_lng": 120.6175,
        "last_seen_at": (utcnow() - timedelta(minutes=10)).isoformat(),
        "category": "lost",
    }
    case = police.post("/api/cases", json=body).json()["id"]
    raw = _jpeg()
    r = police.post(
        f"/cases/{case}/photos",
        files={"photo": ("c.jpg", raw, "image/jpeg")},
        follow_redirects=False,
    )
    assert r.status_code == 303
    photo_id = police.get(f"/api/cases/{case}").json()["photos"][0]
    staff = police.get(f"/cases/photos/{photo_id}")
    assert staff.status_code == 200 and staff.content[:2] == b"\xff\xd8"
    assert staff.headers["cache-control"] == "no-store"
    assert login("nanjing.police").get(f"/cases/photos/{photo_id}").status_code == 404
    chief = login("gusu.chief")
    alert = chief.post(f"/api/cases/{case}/alert").json()["id"]
    public = client.get(f"/public/alerts/{alert}/photo")
    assert public.status_code == 200 and public.content == staff.content
    assert chief.post(f"/cases/{case}/withdraw", data={"reason": "误报"}).status_code in (200, 303)
    assert client.get(f"/public/alerts/{alert}/photo").status_code == 404
    assert police.get(f"/cases/photos/{photo_id}").status_code == 200  # staff still see it


def test_the_handoff_download_carries_the_photo_and_the_stored_package_does_not(
    login, session
) -> None:  # type: ignore[no-untyped-def]
    police = login("gusu.police")
    # 昆山 near Shanghai: the first ring leaves Jiangsu.
    body = {
        "child": {"name": "交接童", "sex": "male", "age": 8, "description": "蓝色书包"},
        "last_seen_lat": 31.385,
        "last_seen_lng": 120.98,
        "last_seen_at": (utcnow() - timedelta(minutes=10)).isoformat(),
        "category": "lost",
    }
    case = police.post("/api/cases", json=body).json()["id"]
    raw = _jpeg((200, 10, 10))
    police.post(f"/cases/{case}/photos", files={"photo": ("c.jpg", raw, "image/jpeg")})
    chief = login("gusu.chief")
    assert chief.post(f"/api/cases/{case}/alert").status_code == 201
    package = chief.get(f"/api/cases/{case}/handoff").json()
    import base64

    data = base64.b64decode(package["photo"]["base64"])
    assert hashlib.sha256(data).hexdigest() == package["photo"]["sha256"]
    alert = session.execute(select(Alert).order_by(Alert.id.desc())).scalars().first()
    (stored,) = alerting.handoffs(session, alert)
    assert "base64" not in stored.package["photo"]


def test_legacy_clear_photos_are_encrypted_by_an_idempotent_job(session, db) -> None:  # type: ignore[no-untyped-def]
    case = report(session)
    raw = _jpeg((1, 2, 3))
    with action(session, cli_actor("tests"), "test.legacy_photo"):
        legacy = CasePhoto(
            case_id=case.id,
            media_type="image/jpeg",
            data=raw,
            width=24,
            height=16,
            sha256=hashlib.sha256(raw).hexdigest(),
        )
        session.add(legacy)
    assert photos.photo_bytes(session, legacy) == raw  # served meanwhile, nothing lost
    assert jobs.encrypt_legacy_photos(db) >= 1
    session.commit()
    row = session.get(CasePhoto, legacy.id, populate_existing=True)
    assert row.data is None and row.content.startswith("fg1:")
    assert photos.photo_bytes(session, row) == raw
    assert jobs.encrypt_legacy_photos(db) == 0  # again: nothing left to do
    assert jobs.encrypt_photos(db, T0) == 0
    # Before a downgrade: back in clear, and again idempotent.
    assert jobs.encrypt_legacy_photos(db, decrypt=True) >= 1
    session.commit()
    back = session.get(CasePhoto, legacy.id, populate_existing=True)
    assert back.content is None and back.data == raw


def test_erasing_the_child_shreds_the_photo(session, field_crypto) -> None:  # type: ignore[no-untyped-def]
    case = report(session)
    photo = actions.add_photo(
        session, actor=as_actor(session, "gusu.police"), case_id=case.public_id, raw=_jpeg()
    )
    person = session.get(Person, case.person_id)
    field_crypto.keystore.shred(person.subject_id)  # a new case's child: no shared demo key
    assert photos.photo_bytes(session, photo) is None


def test_migration_0016_keeps_existing_photos_and_downgrades(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.sqlite3'}"
    engine = sa.create_engine(url)  # no foreign-key pragma: one photo row without its case
    migrate.upgrade(engine, "0015")
    raw = _jpeg()
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO missing_case_photo (case_id, media_type, data, width, height, "
                "sha256, created_at, public_id) VALUES (1, 'image/jpeg', :d, 24, 16, 'x', "
                "'2026-01-01 00:00:00.000000', 'p-1')"
            ),
            {"d": raw},
        )
    migrate.upgrade(engine, "0016")
    with engine.connect() as conn:
        row = conn.execute(sa.text("SELECT data, content FROM missing_case_photo")).one()
    assert row.data == raw and row.content is None
    cfg = migrate.alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0015")
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT data FROM missing_case_photo")).scalar_one() == raw
    migrate.upgrade(engine, "0016")
    with engine.begin() as conn:
        conn.execute(
            update(sa.table("missing_case_photo", sa.column("data"), sa.column("content"))).values(
                data=None, content="fg1:x"
            )
        )
    with engine.begin() as conn, pytest.raises(RuntimeError, match="encrypt-photos --decrypt"):
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0015")
    engine.dispose()


def _legacy_photo(session, case, raw: bytes) -> CasePhoto:  # type: ignore[no-untyped-def]
    """A photo as stored before migration 0016: in clear in ``data``."""
    with action(session, cli_actor("tests"), "test.legacy_photo"):
        legacy = CasePhoto(
            case_id=case.id,
            media_type="image/jpeg",
            data=raw,
            width=24,
            height=16,
            sha256=hashlib.sha256(raw).hexdigest(),
        )
        session.add(legacy)
    return legacy


def test_an_erased_childs_clear_photo_is_never_served_and_the_job_deletes_it(
    session, db, field_crypto
) -> None:  # type: ignore[no-untyped-def]
    shredded_case, erased_case, kept_case = report(session), report(session), report(session)
    shredded = _legacy_photo(session, shredded_case, _jpeg((1, 1, 1)))
    erased = _legacy_photo(session, erased_case, _jpeg((2, 2, 2)))
    raw = _jpeg((3, 3, 3))
    kept = _legacy_photo(session, kept_case, raw)
    field_crypto.keystore.shred(session.get(Person, shredded_case.person_id).subject_id)
    with action(session, cli_actor("tests"), "test.erase"):
        session.get(Person, erased_case.person_id).erased_at = utcnow()
    assert photos.photo_bytes(session, shredded) is None
    assert photos.photo_bytes(session, erased) is None
    assert photos.photo_bytes(session, kept) == raw
    # The first two come first (by id) and cannot be sealed: they must not block the third.
    assert jobs.encrypt_legacy_photos(db, chunk=1) >= 3
    session.commit()
    assert session.get(CasePhoto, shredded.id, populate_existing=True) is None
    assert session.get(CasePhoto, erased.id, populate_existing=True) is None
    row = session.get(CasePhoto, kept.id, populate_existing=True)
    assert row.data is None and row.content.startswith("fg1:")
    assert photos.photo_bytes(session, row) == raw
    assert jobs.encrypt_photos(db, T0) == 0


def test_old_handoff_packages_lose_the_clear_photo_and_still_carry_it(session, db) -> None:  # type: ignore[no-untyped-def]
    import base64

    case = report(session, point=(31.385, 120.98))  # 昆山: the first ring leaves Jiangsu
    raw = _jpeg((9, 9, 200))
    legacy = _legacy_photo(session, case, raw)
    alert = actions.publish_alert(
        session, actor=as_actor(session, "gusu.chief"), case_id=case.public_id, now=T0
    )
    (handoff,) = alerting.handoffs(session, alert)
    old = {
        **handoff.package,
        "photo": {
            "media_type": "image/jpeg",
            "sha256": legacy.sha256,
            "base64": base64.b64encode(raw).decode("ascii"),
        },
    }
    with action(session, cli_actor("tests"), "test.legacy_handoff"):
        handoff.package = old  # as produced before migration 0016
    assert jobs.encrypt_photos(db, T0) >= 2  # the package and the photo
    session.commit()
    stored = session.get(type(handoff), handoff.id, populate_existing=True).package
    assert stored["photo"] == {
        "media_type": "image/jpeg",
        "sha256": legacy.sha256,
        "ref": legacy.public_id,
    }
    assert base64.b64encode(raw).decode("ascii")[:40] not in str(stored)
    assert {k: v for k, v in stored.items() if k != "photo"} == {
        k: v for k, v in old.items() if k != "photo"
    }
    handed = alerting.handoff_package(session, session.get(type(handoff), handoff.id))
    assert base64.b64decode(handed["photo"]["base64"]) == raw
    assert session.get(CasePhoto, legacy.id, populate_existing=True).data is None
    assert jobs.encrypt_photos(db, T0) == 0  # nothing left: idle afterwards
