"""D9 encrypted backup and restore, D5 crypto-shredding across a restore, and the commands.

Each database here is a file of its own under tmp_path (not the shared test database), with a
key store of its own, as in production where the key store lives apart from the database.
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import inspect, select, text
from sqlalchemy.engine import Engine, make_url
from typer.testing import CliRunner

from fanguai import migrate
from fanguai.audit.models import AuditEvent
from fanguai.audit.service import verify
from fanguai.backup import (
    MAGIC,
    BackupError,
    BackupInfo,
    create_backup,
    restore_backup,
    table_digests,
)
from fanguai.core.actor import Actor, cli_actor
from fanguai.crypto.fields import FieldCrypto
from fanguai.crypto.keystore import KeyStore, SubjectShredded
from fanguai.crypto.provider import CryptoProvider, get_provider
from fanguai.db import Database, make_engine
from fanguai.org.actions import create_user
from fanguai.org.models import User
from fanguai.org.schemas import UserCreate
from fanguai.people.actions import create_person, erase
from fanguai.people.demo import demo_id_card
from fanguai.people.models import Person
from fanguai.people.schemas import PersonCreate
from fanguai.reference import ensure_reference_data
from fanguai.security.service import actor_for_user
from fanguai.settings import get_settings

UNIT = "320508-GA"
PASSWORD = "Qz7!Backup-Drill-2026"
PEOPLE = (
    ("诸葛明", date(1984, 3, 2), "13912340001"),
    ("欧阳晓", date(1986, 7, 9), "13912340002"),
    ("司马光", date(1979, 11, 30), "13912340003"),
)


# -- helpers (also used by tests/test_leaks.py) ---------------------------------------------------


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def open_keystore(path: Path, master_key: bytes, provider: CryptoProvider) -> KeyStore:
    """A key store in its own SQLite file (initialised if new)."""
    store = KeyStore(sqlite_url(path), master_key=master_key, provider=provider)
    store.initialise()
    return store


def copy_sqlite(source: Path, target: Path) -> None:
    """A consistent copy of a live SQLite database (WAL included), through the backup API."""
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()


def make_users(engine: Engine) -> tuple[Actor, Actor]:
    """Schema, reference data and two staff users of one county police bureau."""
    migrate.upgrade(engine)
    with Database(engine).session() as session:
        ensure_reference_data(session, actor=cli_actor("tests"))
        actors = []
        for username, role in (("bk.officer", "police_officer"), ("bk.chief", "supervisor")):
            user = create_user(
                session,
                actor=cli_actor("tests"),
                data=UserCreate(
                    username=username,
                    display_name=f"备份测试{role}",
                    unit_code=UNIT,
                    password=PASSWORD,
                    roles=[role],
                ),
                password_profile="cn-mlps3",
            )
            actors.append(actor_for_user(user))
    return actors[0], actors[1]


def add_people(engine: Engine, crypto: FieldCrypto, actor: Actor) -> dict[str, str]:
    """Register the parents of PEOPLE; returns public id → name."""
    names: dict[str, str] = {}
    with Database(engine).session() as session:
        for i, (name, born, phone) in enumerate(PEOPLE, start=1):
            person = create_person(
                session,
                crypto,
                actor=actor,
                data=PersonCreate(
                    kind="parent",
                    name=name,
                    sex="male",
                    id_card=demo_id_card("320508", born, i, True),
                    birth_date=born,
                    phone=phone,
                    address=f"苏州市姑苏区测试路{i}号",
                    notes=f"{name}的寻亲登记",
                ),
            )
            names[person.public_id] = name
    return names


def person_tokens(engine: Engine) -> dict[str, tuple[str, str | None]]:
    """public id → (subject id, name token) as stored."""
    with engine.connect() as conn:
        rows = conn.execute(select(Person.public_id, Person.subject_id, Person.name)).all()
    return {r.public_id: (r.subject_id, r.name) for r in rows}


def decrypt_name(crypto: FieldCrypto, public_id: str, subject_id: str, token: str) -> str:
    return crypto.decrypt(
        token, subject_id=subject_id, table="person", column="name", row_id=public_id
    )


def audit_ok(engine: Engine) -> bool:
    with Database(engine).session() as session:
        result = verify(session)
    assert result.ok, result
    return result.ok


def table_names(engine: Engine) -> list[str]:
    return inspect(engine).get_table_names()


# -- the world: one populated source database and a backup of it -----------------------------------


@dataclass
class World:
    root: Path
    provider: CryptoProvider
    master_key: bytes
    keystore_path: Path
    keystore: KeyStore
    crypto: FieldCrypto
    engine: Engine
    people: dict[str, str]
    backup: BackupInfo


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("backup")
    provider = get_provider()
    master_key = provider.random_bytes(16)
    keystore_path = root / "keys" / "keystore.sqlite3"
    keystore = open_keystore(keystore_path, master_key, provider)
    crypto = FieldCrypto(keystore, provider)
    engine = make_engine(sqlite_url(root / "source.sqlite3"))
    officer, _chief = make_users(engine)
    people = add_people(engine, crypto, officer)
    backup = create_backup(engine, keystore, provider, root / "source.fgbk", actor=cli_actor("t"))
    yield World(root, provider, master_key, keystore_path, keystore, crypto, engine, people, backup)
    engine.dispose()
    keystore.close()


def fresh_engine(tmp_path: Path, name: str = "restored.sqlite3") -> Engine:
    return make_engine(sqlite_url(tmp_path / name))


@pytest.fixture
def restored(world: World, tmp_path: Path) -> Iterator[Engine]:
    engine = fresh_engine(tmp_path)
    restore_backup(engine, world.keystore, world.provider, world.backup.path, actor=cli_actor("t"))
    yield engine
    engine.dispose()


# -- D9 --------------------------------------------------------------------------------------------


def test_a_restored_copy_has_the_same_row_counts_and_sm3_digests(
    world: World, tmp_path: Path
) -> None:
    engine = fresh_engine(tmp_path)
    info = restore_backup(
        engine, world.keystore, world.provider, world.backup.path, actor=cli_actor("t")
    )
    print(
        f"\nD9 restore: {info.total_rows} rows in {len(info.counts)} tables, "
        f"{world.backup.size_bytes} bytes, restored in {info.duration_s:.3f} s"
    )
    assert info.backup_id == world.backup.backup_id
    assert info.counts == world.backup.counts and info.digests == world.backup.digests
    assert info.digest == world.backup.digest
    assert world.backup.counts["person"] == len(PEOPLE) and world.backup.counts["unit"] > 1000
    # Live databases: the same bytes in every table but the audit log, where the source has
    # the backup.create event (after the snapshot) and the copy the backup.restore event.
    source, copy = table_digests(world.engine), table_digests(engine)
    audit_tables = {"audit_event", "audit_head"}
    assert {t for t in source if source[t] != copy[t]} == audit_tables
    assert {t: d for t, d in copy.items() if t not in audit_tables} == {
        t: d for t, d in world.backup.digests.items() if t not in audit_tables
    }
    assert migrate.current_revision(engine) == world.backup.revision == migrate.head_revision()
    engine.dispose()


def test_the_backup_file_is_private_and_its_header_holds_no_secret(world: World) -> None:
    raw = world.backup.path.read_bytes()
    assert stat.S_IMODE(world.backup.path.stat().st_mode) == 0o600
    assert raw.startswith(MAGIC)
    length = int.from_bytes(raw[5:9], "big")
    header = json.loads(raw[9 : 9 + length])
    assert set(header) == {
        "format",
        "backup_id",
        "key_id",
        "nonce",
        "created_at",
        "cipher",
        "compression",
    }
    assert header["cipher"] == "SM4-GCM" and header["backup_id"] == world.backup.backup_id
    # Compressed and encrypted: none of the reference data shows through.
    for clear in ("姑苏区公安局", "division", "320508-GA", "audit_event"):
        assert clear.encode("utf-8") not in raw[9 + length :]
    assert not list(world.root.glob(".*.tmp"))


def test_the_restored_audit_chain_verifies_and_records_the_restore(
    world: World, restored: Engine
) -> None:
    assert audit_ok(restored) and audit_ok(world.engine)
    with restored.connect() as conn:
        last = conn.execute(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)).one()
    assert last.action == "backup.restore" and last.object_id == world.backup.backup_id
    assert last.detail["digest"] == world.backup.digest
    with world.engine.connect() as conn:
        made = conn.execute(select(AuditEvent).where(AuditEvent.action == "backup.create")).all()
    assert [m.object_id for m in made] == [world.backup.backup_id]
    assert made[0].detail["rows"] == world.backup.total_rows


def test_restored_people_decrypt_with_the_same_key_store(world: World, restored: Engine) -> None:
    tokens = person_tokens(restored)
    assert set(tokens) == set(world.people)
    for public_id, (subject_id, token) in tokens.items():
        assert token is not None and token.startswith("fg1:")
        assert decrypt_name(world.crypto, public_id, subject_id, token) == world.people[public_id]


@pytest.mark.parametrize("how", ["a new key store", "the same key store file, another master key"])
def test_another_key_store_cannot_restore_and_nothing_is_written(
    world: World, tmp_path: Path, how: str
) -> None:
    other_key = world.provider.random_bytes(16)
    path = tmp_path / "other-keys.sqlite3"
    if how == "a new key store":
        store = open_keystore(path, other_key, world.provider)
        expected = "holds no key for backup"
    else:
        copy_sqlite(world.keystore_path, path)
        store = KeyStore(sqlite_url(path), master_key=other_key, provider=world.provider)
        expected = "master key"
    engine = fresh_engine(tmp_path)
    with pytest.raises(BackupError, match=expected):
        restore_backup(engine, store, world.provider, world.backup.path, actor=cli_actor("t"))
    assert table_names(engine) == []
    engine.dispose()
    store.close()


@pytest.mark.parametrize("where", ["header", "ciphertext", "tag"])
def test_a_flipped_bit_is_detected_and_nothing_is_written(
    world: World, tmp_path: Path, where: str
) -> None:
    raw = bytearray(world.backup.path.read_bytes())
    length = int.from_bytes(raw[5:9], "big")
    offset = {"header": 9 + length // 2, "ciphertext": (9 + length + len(raw)) // 2}.get(
        where, len(raw) - 1
    )
    raw[offset] ^= 0x10
    damaged = tmp_path / "damaged.fgbk"
    damaged.write_bytes(bytes(raw))
    engine = fresh_engine(tmp_path)
    with pytest.raises(BackupError, match="damaged"):
        restore_backup(engine, world.keystore, world.provider, damaged, actor=cli_actor("t"))
    assert table_names(engine) == []
    engine.dispose()


def test_a_file_that_is_no_backup_is_refused(world: World, tmp_path: Path) -> None:
    other = tmp_path / "notes.txt"
    other.write_text("hello", encoding="utf-8")
    engine = fresh_engine(tmp_path)
    with pytest.raises(BackupError, match="not a fanguai backup"):
        restore_backup(engine, world.keystore, world.provider, other, actor=cli_actor("t"))
    with pytest.raises(BackupError, match="cannot read"):
        restore_backup(
            engine, world.keystore, world.provider, tmp_path / "missing", actor=cli_actor("t")
        )
    assert table_names(engine) == []
    engine.dispose()


def test_restore_into_a_database_that_is_not_empty_is_refused(
    world: World, restored: Engine
) -> None:
    before = table_digests(restored)
    for target in (restored, world.engine):
        with pytest.raises(BackupError, match="not empty"):
            restore_backup(
                target, world.keystore, world.provider, world.backup.path, actor=cli_actor("t")
            )
    assert table_digests(restored) == before


def test_a_backup_never_overwrites_a_file(world: World) -> None:
    before = world.backup.path.read_bytes()
    with pytest.raises(BackupError, match="already exists"):
        create_backup(
            world.engine, world.keystore, world.provider, world.backup.path, actor=cli_actor("t")
        )
    assert world.backup.path.read_bytes() == before


# -- D5 --------------------------------------------------------------------------------------------


def test_d5_a_person_erased_after_the_backup_stays_unreadable_when_it_is_restored(
    world: World, tmp_path: Path
) -> None:
    # "Production" gets a key store of its own (a copy, so the module's world is untouched).
    keys_path = tmp_path / "keystore.sqlite3"
    copy_sqlite(world.keystore_path, keys_path)
    store = KeyStore(sqlite_url(keys_path), master_key=world.master_key, provider=world.provider)
    crypto = FieldCrypto(store, world.provider)
    production = fresh_engine(tmp_path, "production.sqlite3")
    restore_backup(production, store, world.provider, world.backup.path, actor=cli_actor("t"))

    victim = sorted(world.people)[0]
    with Database(production).session() as session:
        chief = session.execute(select(User).where(User.username == "bk.chief")).scalar_one()
        erase(
            session,
            crypto,
            actor=actor_for_user(chief),
            public_id=victim,
            reason="当事人撤回同意",
        )
    assert person_tokens(production)[victim][1] is None
    assert audit_ok(production)

    # The backup taken BEFORE the erasure, restored with the CURRENT key store.
    old_copy = fresh_engine(tmp_path, "old-copy.sqlite3")
    restore_backup(old_copy, store, world.provider, world.backup.path, actor=cli_actor("t"))
    tokens = person_tokens(old_copy)
    subject_id, token = tokens[victim]
    assert token is not None  # the ciphertext is back ...
    with pytest.raises(SubjectShredded):  # ... and unreadable for good
        decrypt_name(crypto, victim, subject_id, token)
    for public_id, (subject, name_token) in tokens.items():
        if public_id != victim:
            assert name_token is not None
            assert decrypt_name(crypto, public_id, subject, name_token) == world.people[public_id]
    assert audit_ok(old_copy)
    # No new key is ever made for the shredded subject, not even by a write after the restore.
    assert store.is_shredded(subject_id)
    with pytest.raises(SubjectShredded):
        store.data_key(subject_id, create=False)
    for engine in (production, old_copy):
        engine.dispose()
    store.close()


# -- PostgreSQL ------------------------------------------------------------------------------------


POSTGRES_URL = os.environ.get("FANGUAI_TEST_DATABASE_URL", "")


@pytest.mark.skipif(
    not POSTGRES_URL.startswith(("postgresql", "postgres")),
    reason="FANGUAI_TEST_DATABASE_URL does not point at PostgreSQL",
)
def test_backup_and_restore_round_trip_on_postgresql_and_across_backends(
    world: World, tmp_path: Path
) -> None:
    server = make_url(POSTGRES_URL)
    admin = make_engine(server.set(database="postgres").render_as_string(hide_password=False))
    names = [f"fanguai_bk_{uuid.uuid4().hex[:12]}" for _ in range(2)]
    engines: list[Engine] = []
    try:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for name in names:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        first, second = (
            make_engine(server.set(database=name).render_as_string(hide_password=False))
            for name in names
        )
        engines += [first, second]
        # SQLite backup → PostgreSQL: the canonical dump is the same on both backends.
        crossed = restore_backup(
            first, world.keystore, world.provider, world.backup.path, actor=cli_actor("t")
        )
        assert crossed.digests == world.backup.digests
        # New rows after a restore need the sequences moved past the restored ids.
        with Database(first).session() as session:
            officer = session.execute(
                select(User).where(User.username == "bk.officer")
            ).scalar_one()
            actor = actor_for_user(officer)
        added = add_people(first, world.crypto, actor)
        assert len(added) == len(PEOPLE)
        # PostgreSQL → PostgreSQL, read in one REPEATABLE READ snapshot.
        backup = create_backup(
            first, world.keystore, world.provider, tmp_path / "pg.fgbk", actor=cli_actor("t")
        )
        assert backup.counts["person"] == 2 * len(PEOPLE)
        info = restore_backup(
            second, world.keystore, world.provider, backup.path, actor=cli_actor("t")
        )
        print(f"\nD9 PostgreSQL restore: {info.total_rows} rows in {info.duration_s:.3f} s")
        assert info.counts == backup.counts and info.digests == backup.digests
        source, copy = table_digests(first), table_digests(second)
        assert {t for t in source if source[t] != copy[t]} == {"audit_event", "audit_head"}
        assert audit_ok(first) and audit_ok(second)
        expected = {**world.people, **added}
        for public_id, (subject_id, token) in person_tokens(second).items():
            assert token is not None
            assert decrypt_name(world.crypto, public_id, subject_id, token) == expected[public_id]
        with pytest.raises(BackupError, match="not empty"):
            restore_backup(
                second, world.keystore, world.provider, backup.path, actor=cli_actor("t")
            )
    finally:
        for engine in engines:
            engine.dispose()
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for name in names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# -- the commands ----------------------------------------------------------------------------------


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    for name in ("FANGUAI_DEMO", "FANGUAI_KEYSTORE_URL", "FANGUAI_MASTER_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("FANGUAI_TEST_KEYS", "1")
    monkeypatch.setenv("FANGUAI_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("FANGUAI_DATABASE_URL", sqlite_url(tmp_path / "source.sqlite3"))
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_the_backup_and_restore_commands_round_trip_and_refuse_with_one_line(
    cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fanguai.cli.main import app

    def run(*args: str):  # type: ignore[no-untyped-def]
        get_settings.cache_clear()
        return cli.invoke(app, list(args))

    def refused(result, words: str) -> None:  # type: ignore[no-untyped-def]
        assert result.exit_code == 1, result.output
        assert result.stderr.startswith("error: ") and result.stderr.strip().count("\n") == 0
        assert words in result.stderr and "Traceback" not in result.output

    assert run("db", "upgrade").exit_code == 0
    out = tmp_path / "nightly.fgbk"
    made = run("backup", str(out))
    assert made.exit_code == 0, made.output
    assert "wrote backup" in made.stdout and "key store" in made.stdout
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    refused(run("backup", str(out)), "already exists")
    refused(run("backup", str(tmp_path / "no-such-folder" / "x.fgbk")), "does not exist")

    monkeypatch.setenv("FANGUAI_DATABASE_URL", sqlite_url(tmp_path / "target.sqlite3"))
    done = run("restore", str(out))
    assert done.exit_code == 0, done.output
    assert "every table's SM3 digest matches" in done.stdout
    refused(run("restore", str(out)), "not empty")
    refused(run("restore", str(tmp_path / "missing.fgbk")), "cannot read")

    # Another installation (its own master key and key store) cannot read the backup.
    monkeypatch.setenv("FANGUAI_DATA_DIR", str(tmp_path / "elsewhere"))
    monkeypatch.setenv("FANGUAI_DATABASE_URL", sqlite_url(tmp_path / "elsewhere.sqlite3"))
    refused(run("restore", str(out)), "holds no key for backup")
