"""The key store: set-up, master key handling, data keys, KEK lifecycle and D5 crypto-shredding."""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from fanguai.crypto.fields import FieldCrypto
from fanguai.crypto.keystore import (
    DataKeyRow,
    KekRow,
    KeyStore,
    KeyStoreError,
    SubjectShredded,
)
from fanguai.crypto.provider import CryptoIntegrityError, SoftwareCryptoProvider
from fanguai.errors import NotFound
from fanguai.settings import Settings

PROVIDER = SoftwareCryptoProvider()
ROW = {"table": "person", "column": "id_card"}


def _url(tmp_path: Path, name: str = "ks.sqlite3") -> str:
    return f"sqlite:///{tmp_path / name}"


@pytest.fixture
def master_key() -> bytes:
    return os.urandom(16)


@pytest.fixture
def store(tmp_path: Path, master_key: bytes) -> Iterator[KeyStore]:
    s = KeyStore(_url(tmp_path), master_key=master_key, provider=PROVIDER)
    s.initialise()
    yield s
    s.close()


@pytest.fixture
def fields(store: KeyStore) -> FieldCrypto:
    return FieldCrypto(store, PROVIDER)


# -- set-up and master key -----------------------------------------------------------------------


def test_initialise_is_idempotent_and_starts_with_kek_v1_primary(
    tmp_path: Path, master_key: bytes
) -> None:
    s = KeyStore(_url(tmp_path), master_key=master_key, provider=PROVIDER)
    assert s.initialise() is True
    assert s.initialise() is False
    assert s.primary_version() == 1
    info = s.status()
    assert info["primary"] == 1 and info["data_keys"] == 0 and info["shredded"] == 0
    assert [(k["version"], k["status"]) for k in info["keks"]] == [(1, "primary")]
    s.close()


def test_the_key_store_file_is_readable_by_its_owner_only(store: KeyStore, tmp_path: Path) -> None:
    assert stat.S_IMODE((tmp_path / "ks.sqlite3").stat().st_mode) == 0o600


def test_the_key_store_uses_its_own_tables_not_the_main_databases(store: KeyStore) -> None:
    from fanguai.crypto.keystore import metadata
    from fanguai.db import Base

    assert set(metadata.tables) == {"kek", "data_key", "shredded", "meta"}
    assert not set(metadata.tables) & set(Base.metadata.tables)


def test_a_wrong_master_key_is_refused(store: KeyStore, tmp_path: Path) -> None:
    store.data_key("s1")
    intruder = KeyStore(_url(tmp_path), master_key=os.urandom(16), provider=PROVIDER)
    with pytest.raises(CryptoIntegrityError, match="master key"):
        intruder.initialise()
    with pytest.raises(CryptoIntegrityError):
        intruder.data_key("s1")
    with pytest.raises(CryptoIntegrityError):
        intruder.index_key("person.id_card")
    intruder.close()


def test_a_wrong_master_key_cannot_unwrap_keks_even_when_the_meta_check_is_skipped(
    store: KeyStore, tmp_path: Path
) -> None:
    store.data_key("s1")
    intruder = KeyStore(_url(tmp_path), master_key=os.urandom(16), provider=PROVIDER)
    intruder._index_secret = b"\x00" * 32  # pretend the check passed
    with pytest.raises(CryptoIntegrityError):
        intruder.data_key("s1")
    intruder.close()


def test_an_uninitialised_store_asks_for_keys_init(tmp_path: Path, master_key: bytes) -> None:
    s = KeyStore(_url(tmp_path, "empty.sqlite3"), master_key=master_key, provider=PROVIDER)
    with pytest.raises(KeyStoreError, match="fanguai keys init"):
        s.data_key("s1")
    with pytest.raises(KeyStoreError, match="fanguai keys init"):
        s.status()
    s.close()


def test_a_master_key_must_be_16_bytes(tmp_path: Path) -> None:
    for bad in (b"", b"k" * 15, b"k" * 32, "k" * 16):
        with pytest.raises(ValueError):
            KeyStore(_url(tmp_path), master_key=bad, provider=PROVIDER)  # type: ignore[arg-type]


# -- from_settings -------------------------------------------------------------------------------


@pytest.fixture
def no_test_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FANGUAI_TEST_KEYS", raising=False)


def _settings(tmp_path: Path, **kw: object) -> Settings:
    values: dict[str, object] = {
        "demo": False,
        "data_dir": tmp_path / "var",
        "keystore_url": "",
        "master_key_file": None,
    }
    values.update(kw)
    return Settings(**values)  # type: ignore[arg-type]


def test_from_settings_refuses_a_missing_master_key_outside_demo_and_test_mode(
    tmp_path: Path, no_test_keys: None
) -> None:
    with pytest.raises(KeyStoreError) as caught:
        KeyStore.from_settings(_settings(tmp_path))
    assert "FANGUAI_MASTER_KEY_FILE" in caught.value.message
    assert "fanguai keys init" in caught.value.message
    assert not (tmp_path / "var" / "keys" / "master.key").exists()


def test_from_settings_refuses_a_configured_master_key_file_that_is_missing(
    tmp_path: Path, no_test_keys: None
) -> None:
    with pytest.raises(KeyStoreError, match="fanguai keys init --master-key-file"):
        KeyStore.from_settings(_settings(tmp_path, master_key_file=tmp_path / "absent.key"))


def test_from_settings_refuses_a_master_key_file_others_can_read(
    tmp_path: Path, no_test_keys: None
) -> None:
    path = tmp_path / "master.key"
    path.write_text(os.urandom(16).hex())
    path.chmod(0o644)
    with pytest.raises(KeyStoreError, match="chmod 600"):
        KeyStore.from_settings(_settings(tmp_path, master_key_file=path))
    path.chmod(0o600)
    s = KeyStore.from_settings(_settings(tmp_path, master_key_file=path))
    s.initialise()
    assert s.primary_version() == 1
    s.close()


def test_demo_mode_creates_a_private_master_key_once_and_reuses_it(
    tmp_path: Path, no_test_keys: None
) -> None:
    settings = _settings(tmp_path, demo=True)
    first = KeyStore.from_settings(settings)
    key_file = tmp_path / "var" / "keys" / "master.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert (tmp_path / "var" / "keys" / "keystore.sqlite3").exists()
    key_id, dek = first.data_key("s1")
    first.close()
    second = KeyStore.from_settings(settings)
    assert second.data_key("s1") == (key_id, dek)
    second.close()


def test_the_test_keys_variable_also_allows_an_automatic_master_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FANGUAI_TEST_KEYS", "1")
    s = KeyStore.from_settings(_settings(tmp_path))
    assert s.primary_version() == 1
    s.close()


# -- data keys -----------------------------------------------------------------------------------


def test_a_subject_keeps_one_data_key(store: KeyStore, tmp_path: Path, master_key: bytes) -> None:
    key_id, dek = store.data_key("s1")
    assert len(key_id) == 32 and int(key_id, 16) >= 0 and len(dek) == 16
    assert store.data_key("s1") == (key_id, dek)
    assert store.data_key("s2")[0] != key_id
    assert store.dek_by_key_id(key_id) == ("s1", dek)
    fresh = KeyStore(_url(tmp_path), master_key=master_key, provider=PROVIDER)  # no cache
    assert fresh.data_key("s1", create=False) == (key_id, dek)
    assert fresh.dek_by_key_id(key_id) == ("s1", dek)
    fresh.close()


def test_no_data_key_is_made_when_create_is_false(store: KeyStore) -> None:
    with pytest.raises(SubjectShredded):
        store.data_key("nobody", create=False)
    with pytest.raises(SubjectShredded):
        store.dek_by_key_id("0" * 32)
    with pytest.raises(CryptoIntegrityError):
        store.dek_by_key_id("not-a-key-id")
    assert store.versions_in_use() == {}


def test_subject_shredded_is_a_not_found_error() -> None:
    assert issubclass(SubjectShredded, NotFound)
    assert not issubclass(SubjectShredded, CryptoIntegrityError)


def test_concurrent_first_use_of_a_subject_yields_one_key(store: KeyStore) -> None:
    results: list[tuple[str, bytes]] = []
    barrier = threading.Barrier(12)

    def work() -> None:
        barrier.wait()
        results.append(store.data_key("contended"))

    threads = [threading.Thread(target=work) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 12 and len(set(results)) == 1
    assert store.versions_in_use() == {1: 1}


def test_the_data_key_cache_is_bounded(tmp_path: Path, master_key: bytes) -> None:
    s = KeyStore(_url(tmp_path), master_key=master_key, provider=PROVIDER, cache_size=3)
    s.initialise()
    keys = {f"s{i}": s.data_key(f"s{i}") for i in range(10)}
    assert len(s._cache) == 3 and len(s._by_key_id) == 3
    assert all(s.data_key(subject) == key for subject, key in keys.items())
    s.close()


def test_subject_ids_are_checked(store: KeyStore) -> None:
    for bad in ("", "x" * 65, "a\x1fb"):
        with pytest.raises(ValueError):
            store.data_key(bad)


# -- KEK lifecycle -------------------------------------------------------------------------------


def test_the_kek_lifecycle_refuses_unsafe_steps(store: KeyStore) -> None:
    store.data_key("s1")
    with pytest.raises(KeyStoreError, match="primary"):
        store.destroy_kek(1)
    with pytest.raises(KeyStoreError, match="primary"):
        store.set_decrypt_only(1)
    v2 = store.add_kek()
    assert v2 == 2 and store.primary_version() == 1
    with pytest.raises(KeyStoreError, match="decrypt-only first"):
        store.destroy_kek(2)
    store.make_primary(2)
    assert store.primary_version() == 2
    store.set_decrypt_only(1)
    with pytest.raises(KeyStoreError, match="still wraps 1 data keys"):
        store.destroy_kek(1)
    assert store.rewrap_all() == 1
    store.destroy_kek(1)
    store.destroy_kek(1)  # idempotent
    with pytest.raises(KeyStoreError, match="destroyed"):
        store.make_primary(1)
    with pytest.raises(KeyStoreError, match="no KEK v9"):
        store.make_primary(9)
    with store.engine.connect() as conn:
        row = conn.execute(
            select(KekRow.material, KekRow.status, KekRow.destroyed_at).where(KekRow.version == 1)
        ).one()
    assert row.material == b"" and row.status == "destroyed" and row.destroyed_at is not None


def test_rewrap_can_be_limited_to_one_old_version(store: KeyStore) -> None:
    for i in range(5):
        store.data_key(f"a{i}")
    store.make_primary(store.add_kek())
    for i in range(3):
        store.data_key(f"b{i}")
    store.make_primary(store.add_kek())
    assert store.versions_in_use() == {1: 5, 2: 3}
    assert store.rewrap_all(only_version=2, batch_size=2) == 3
    assert store.versions_in_use() == {1: 5, 3: 3}
    assert store.rewrap_all(batch_size=2) == 5
    assert store.versions_in_use() == {3: 8}
    assert store.rewrap_all() == 0


def test_rewrapping_keeps_every_value_readable(store: KeyStore, fields: FieldCrypto) -> None:
    tokens = {
        i: fields.encrypt(f"value {i}", subject_id=f"s{i}", row_id=str(i), **ROW) for i in range(20)
    }
    store.make_primary(store.add_kek())
    store.rewrap_all(batch_size=3)
    for i, token in tokens.items():
        assert fields.decrypt(token, subject_id=f"s{i}", row_id=str(i), **ROW) == f"value {i}"


# -- D5: crypto-shredding ------------------------------------------------------------------------


def _main_database(path: Path, rows: list[tuple[str, str, str]]) -> None:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE person (row_id TEXT, subject_id TEXT, id_card TEXT)")
        db.executemany("INSERT INTO person VALUES (?, ?, ?)", rows)


def _read_main_database(path: Path) -> list[tuple[str, str, str]]:
    with sqlite3.connect(path) as db:
        return list(db.execute("SELECT row_id, subject_id, id_card FROM person"))


def test_d5_a_shredded_subject_stays_unreadable_even_from_a_backup_taken_before(
    store: KeyStore, fields: FieldCrypto, tmp_path: Path
) -> None:
    values = {"S": "320502199001011234", "T": "320502198512125678"}
    rows = [
        (str(i), subject, fields.encrypt(values[subject], subject_id=subject, row_id=str(i), **ROW))
        for i, subject in enumerate(["S", "T", "S", "T"])
    ]
    main = tmp_path / "main.sqlite3"
    _main_database(main, rows)
    backup = tmp_path / "main-backup.sqlite3"
    shutil.copyfile(main, backup)  # taken BEFORE the shred

    assert store.shred("S") is True
    with sqlite3.connect(main) as db:  # the application deletes S's rows from the live database
        db.execute("DELETE FROM person WHERE subject_id = 'S'")

    restored = tmp_path / "restored.sqlite3"
    shutil.copyfile(backup, restored)  # restore the old backup, with the CURRENT key store
    for row_id, subject, token in _read_main_database(restored):
        if subject == "S":
            with pytest.raises(SubjectShredded):
                fields.decrypt(token, subject_id=subject, row_id=row_id, **ROW)
        else:
            assert fields.decrypt(token, subject_id=subject, row_id=row_id, **ROW) == values["T"]


def test_d5_a_shredded_subject_gets_no_new_key_and_shredding_twice_is_harmless(
    store: KeyStore, fields: FieldCrypto, tmp_path: Path, master_key: bytes
) -> None:
    token = fields.encrypt("v", subject_id="S", row_id="1", **ROW)
    assert store.shred("S") is True
    assert store.shred("S") is False
    assert store.is_shredded("S")
    with pytest.raises(SubjectShredded):
        store.data_key("S")
    with pytest.raises(SubjectShredded):
        fields.encrypt("new value", subject_id="S", row_id="2", **ROW)
    other_process = KeyStore(_url(tmp_path), master_key=master_key, provider=PROVIDER)
    with pytest.raises(SubjectShredded):
        FieldCrypto(other_process, PROVIDER).decrypt(token, subject_id="S", row_id="1", **ROW)
    other_process.close()
    # A subject that never had a key is tombstoned too.
    assert store.shred("never-had-one") is False
    with pytest.raises(SubjectShredded):
        store.data_key("never-had-one")
    assert store.status()["shredded"] == 2


def test_d5_the_wrapped_key_bytes_leave_the_key_store_files(
    store: KeyStore, tmp_path: Path
) -> None:
    store.data_key("S")
    store.data_key("T")
    with store.engine.connect() as conn:
        wrapped = conn.execute(
            select(DataKeyRow.wrapped).where(DataKeyRow.subject_id == "S")
        ).scalar_one()
    store.shred("S")
    files = [p for p in tmp_path.iterdir() if p.name.startswith("ks.sqlite3")]
    assert all(wrapped not in p.read_bytes() for p in files), [p.name for p in files]


def test_d5_a_key_read_just_before_a_shred_is_not_cached_after_it(
    store: KeyStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.data_key("S")
    store._cache.clear()
    store._by_key_id.clear()
    read_done, proceed = threading.Event(), threading.Event()
    real_unwrap = store._unwrap

    def slow_unwrap(row: object) -> bytes:
        # The reader has fetched S's row; hold it here while the shred commits.
        read_done.set()
        proceed.wait(10)
        return real_unwrap(row)

    monkeypatch.setattr(store, "_unwrap", slow_unwrap)
    results: list[object] = []
    reader = threading.Thread(target=lambda: results.append(store.data_key("S", create=False)))
    reader.start()
    assert read_done.wait(10)
    store.shred("S")
    proceed.set()
    reader.join()
    monkeypatch.setattr(store, "_unwrap", real_unwrap)
    assert len(results) == 1  # the read that began before the shred completes …
    with pytest.raises(SubjectShredded):  # … but leaves nothing behind in the cache
        store.data_key("S", create=False)


def test_d5_another_processs_cache_forgets_a_shredded_key_after_its_ttl(
    store: KeyStore, tmp_path: Path, master_key: bytes
) -> None:
    worker = KeyStore(_url(tmp_path), master_key=master_key, provider=PROVIDER, cache_ttl_s=0)
    key = store.data_key("S")
    assert worker.data_key("S") == key  # cached there, expiring at once
    store.shred("S")
    with pytest.raises(SubjectShredded):
        worker.data_key("S")
    worker.close()


# -- blind-index keys ----------------------------------------------------------------------------


def test_index_keys_are_stable_for_a_store_and_differ_between_stores(
    store: KeyStore, tmp_path: Path, master_key: bytes
) -> None:
    again = KeyStore(_url(tmp_path), master_key=master_key, provider=PROVIDER)
    assert again.index_key("person.id_card") == store.index_key("person.id_card")
    again.close()
    other = KeyStore(_url(tmp_path, "other.sqlite3"), master_key=master_key, provider=PROVIDER)
    other.initialise()
    assert other.index_key("person.id_card") != store.index_key("person.id_card")
    other.close()
    with pytest.raises(ValueError):
        store.index_key("")


# -- PostgreSQL parity ---------------------------------------------------------------------------


@pytest.fixture
def postgres_keystore_url() -> Iterator[str]:
    """A fresh PostgreSQL database for a key store, on the server of the PostgreSQL CI run."""
    base = os.environ.get("FANGUAI_TEST_DATABASE_URL", "")
    if not base.startswith(("postgresql", "postgres")):
        pytest.skip("PostgreSQL parity runs when FANGUAI_TEST_DATABASE_URL is a PostgreSQL URL")
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    url = make_url(base).set(drivername="postgresql+psycopg")
    name = f"fanguai_keystore_{os.urandom(6).hex()}"
    # The name is ours (hex digits), never user input; DDL takes no bind parameters.
    create_db = text('CREATE DATABASE "' + name + '"')
    drop_db = text('DROP DATABASE IF EXISTS "' + name + '" WITH (FORCE)')
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(create_db)
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(drop_db)
        admin.dispose()


def test_the_key_store_lifecycle_also_works_on_postgresql(postgres_keystore_url: str) -> None:
    master_key = os.urandom(16)
    store = KeyStore(postgres_keystore_url, master_key=master_key, provider=PROVIDER)
    assert store.initialise() is True and store.initialise() is False
    fields = FieldCrypto(store, PROVIDER)
    tokens: dict[tuple[str, str], str] = {}
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(60):
                subject, row_id = f"s{(i * 7 + n) % 40}", f"{n}-{i}"
                tokens[(subject, row_id)] = fields.encrypt(
                    "v", subject_id=subject, row_id=row_id, **ROW
                )
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    store.make_primary(store.add_kek())
    for t in threads:
        t.join()
    assert errors == []
    store.rewrap_all(batch_size=7)
    store.set_decrypt_only(1)
    store.destroy_kek(1)
    assert store.versions_in_use() == {2: 40}
    assert store.shred("s1") is True
    for (subject, row_id), token in tokens.items():
        if subject == "s1":
            with pytest.raises(SubjectShredded):
                fields.decrypt(token, subject_id=subject, row_id=row_id, **ROW)
        else:
            assert fields.decrypt(token, subject_id=subject, row_id=row_id, **ROW) == "v"
    intruder = KeyStore(postgres_keystore_url, master_key=os.urandom(16), provider=PROVIDER)
    with pytest.raises(CryptoIntegrityError):
        intruder.initialise()
    intruder.close()
    store.close()
