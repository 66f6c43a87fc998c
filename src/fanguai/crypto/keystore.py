"""The key store: key encryption keys (KEKs) and one data encryption key (DEK) per subject.

Envelope scheme::

    master key (16 bytes, a file outside both databases, or a hardware provider)
      └─ wraps KEK v1, v2, … (SM4-GCM, AAD = b"kek:" + version)     table ``kek``
           └─ wraps one DEK per subject (AAD = subject_id ‖ 0x1F ‖ key_id)  table ``data_key``
                └─ encrypts that subject's fields (``fanguai.crypto.fields``)

The key store lives in its **own database**, never in the main one: a backup of the main
database without the key store is unreadable, and when a subject is crypto-shredded (its
``data_key`` row deleted and a tombstone written) every copy of its fields, including those in
older backups of the main database, stays unreadable against the current key store.

The schema is created with ``metadata.create_all`` and versioned by a ``schema_version`` row
instead of Alembic: four small tables in a separate store, which must be usable before (and
independently of) the main database's migrations. A future change bumps ``SCHEMA_VERSION`` and
adds an explicit upgrade step in ``initialise``.
"""

from __future__ import annotations

import os
import re
import stat
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    bindparam,
    delete,
    func,
    insert,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from fanguai.crypto.provider import (
    GCM_NONCE_BYTES,
    SM4_KEY_BYTES,
    CryptoIntegrityError,
    CryptoProvider,
    get_provider,
)
from fanguai.db import NAMING_CONVENTION, UTCDateTime, make_engine, utcnow
from fanguai.errors import DomainError, NotFound

if TYPE_CHECKING:
    from fanguai.settings import Settings

SCHEMA_VERSION = 1
KEK_STATUSES = ("primary", "active", "decrypt_only", "destroyed")
KEY_ID_BYTES = 16
INDEX_SECRET_BYTES = 32
MASTER_KEY_BYTES = SM4_KEY_BYTES
TEST_KEYS_ENV = "FANGUAI_TEST_KEYS"

_NOT_INITIALISED = "the key store is not initialised; run `fanguai keys init`"
_WRONG_MASTER_KEY = "the master key does not open this key store"
_KEY_ID = re.compile(r"\A[0-9a-f]{32}\Z")
_INDEX_SECRET_AAD = b"meta:index_secret"


class KeyStoreError(DomainError):
    """The key store cannot do what was asked (not set up, refused lifecycle step, …)."""

    status_code = 503
    code = "keystore"


class SubjectShredded(NotFound):
    """The subject has no data key: it was crypto-shredded, or never had one.

    A subclass of ``NotFound`` rather than ``CryptoIntegrityError``: erasure is a normal,
    lawful end of a record's life, not an attack, so it must not raise tamper alarms; and
    "erased" and "never existed" look the same (404) from outside.
    """

    def __init__(
        self,
        message: str = "no data key for this subject (erased or never created)",
        *,
        field: str | None = None,
    ) -> None:
        super().__init__(message, field=field)


# -- schema ------------------------------------------------------------------------------------


class KeyStoreBase(DeclarativeBase):
    """Declarative base of the key store's own tables (not ``fanguai.db.Base``)."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class KekRow(KeyStoreBase):
    """A key encryption key, itself encrypted under the master key."""

    __tablename__ = "kek"
    __table_args__ = (
        CheckConstraint(
            "status IN ('primary', 'active', 'decrypt_only', 'destroyed')", name="status"
        ),
        # At most one primary KEK, enforced by the database as well as by the code.
        Index(
            "uq_kek_one_primary",
            "status",
            unique=True,
            sqlite_where=text("status = 'primary'"),
            postgresql_where=text("status = 'primary'"),
        ),
    )

    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    status: Mapped[str] = mapped_column(String(16))
    material: Mapped[bytes] = mapped_column(LargeBinary)  # nonce ‖ SM4-GCM(KEK) ‖ tag
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    destroyed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class DataKeyRow(KeyStoreBase):
    """A subject's data key, wrapped under one KEK."""

    __tablename__ = "data_key"

    subject_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    key_id: Mapped[str] = mapped_column(String(32), unique=True)
    kek_version: Mapped[int] = mapped_column(ForeignKey("kek.version"), index=True)
    wrapped: Mapped[bytes] = mapped_column(LargeBinary)  # nonce ‖ SM4-GCM(DEK) ‖ tag
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ShreddedRow(KeyStoreBase):
    """Tombstone of a crypto-shredded subject: no data key may ever be created for it again."""

    __tablename__ = "shredded"

    subject_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    shredded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class MetaRow(KeyStoreBase):
    """The single row describing the store: schema version and the blind-index secret."""

    __tablename__ = "meta"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    schema_version: Mapped[int] = mapped_column(Integer)
    index_secret: Mapped[bytes] = mapped_column(LargeBinary)  # sealed under the master key
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


metadata = KeyStoreBase.metadata
_kek = KekRow.__table__
_dk = DataKeyRow.__table__
_shredded = ShreddedRow.__table__
_meta = MetaRow.__table__


# -- master key file ---------------------------------------------------------------------------


def read_master_key(path: Path) -> bytes:
    """Read a master key file (32 hex digits, or 16 raw bytes); refuse loose permissions."""
    path = Path(path)
    if not path.exists():
        raise KeyStoreError(
            f"master key file {path} does not exist; run "
            f"`fanguai keys init --master-key-file {path}`"
        )
    if os.name == "posix":
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            # Like ssh with private keys: a key others can read is a key already leaked.
            raise KeyStoreError(
                f"master key file {path} is accessible to other users (mode {mode:o}); "
                f"run `chmod 600 {path}`"
            )
    raw = path.read_bytes()
    if len(raw) == MASTER_KEY_BYTES:
        return raw
    text = raw.decode("ascii", errors="replace").strip()
    if len(text) != 2 * MASTER_KEY_BYTES or not re.fullmatch(r"[0-9a-fA-F]+", text):
        raise KeyStoreError(f"master key file {path} must hold {2 * MASTER_KEY_BYTES} hex digits")
    return bytes.fromhex(text)


def create_master_key(path: Path, provider: CryptoProvider) -> bytes:
    """Create a new master key file (mode 0600, never overwriting); return the key."""
    path = Path(path)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = provider.random_bytes(MASTER_KEY_BYTES)
    # O_EXCL: two processes starting at once must not each write a different key.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, (key.hex() + "\n").encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)
    return key


def load_or_create_master_key(path: Path, provider: CryptoProvider) -> bytes:
    """The master key in ``path``, creating the file first when it does not exist."""
    try:
        return create_master_key(path, provider)
    except FileExistsError:
        return read_master_key(path)


# -- the store ---------------------------------------------------------------------------------


def _check_subject_id(subject_id: str) -> str:
    if not isinstance(subject_id, str) or not 1 <= len(subject_id) <= 64:
        raise ValueError("subject_id must be a string of 1 to 64 characters")
    if "\x1f" in subject_id:
        raise ValueError("subject_id must not contain the unit separator U+001F")
    return subject_id


def _kek_aad(version: int) -> bytes:
    return b"kek:" + str(version).encode("ascii")


def _dek_aad(subject_id: str, key_id: str) -> bytes:
    return subject_id.encode("utf-8") + b"\x1f" + key_id.encode("ascii")


class KeyStore:
    """KEKs and per-subject DEKs in a database of their own (see the module docstring).

    Thread-safe: the DEK cache sits behind a lock, database writes serialise on SQLite's
    ``BEGIN IMMEDIATE`` (and on a row lock of ``meta`` on PostgreSQL).
    """

    def __init__(
        self,
        engine_or_url: Engine | str,
        *,
        master_key: bytes,
        provider: CryptoProvider,
        cache_size: int = 4096,
        cache_ttl_s: float = 60.0,
        sqlite_busy_timeout_ms: int = 10_000,
    ) -> None:
        if not isinstance(master_key, bytes) or len(master_key) != MASTER_KEY_BYTES:
            raise ValueError(f"master_key must be {MASTER_KEY_BYTES} bytes")
        if isinstance(engine_or_url, str):
            self.engine = make_engine(engine_or_url, sqlite_busy_timeout_ms=sqlite_busy_timeout_ms)
            self._owns_engine = True
        else:
            self.engine = engine_or_url
            self._owns_engine = False
        self._is_sqlite = self.engine.dialect.name == "sqlite"
        self._master_key = master_key
        self.provider = provider
        self._cache_size = max(0, int(cache_size))
        # Other processes' shreds cannot purge this process's cache; the TTL bounds how long a
        # shredded subject's DEK may linger here (the shredding process purges at once).
        self._cache_ttl_s = float(cache_ttl_s)
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, tuple[str, bytes, float]] = OrderedDict()
        self._by_key_id: dict[str, str] = {}
        self._generation = 0
        self._keks: dict[int, bytes] = {}
        self._index_secret: bytes | None = None
        self._index_keys: dict[str, bytes] = {}

    # -- construction from settings -----------------------------------------------------------

    @classmethod
    def from_settings(
        cls, settings: Settings, *, provider: CryptoProvider | None = None
    ) -> KeyStore:
        """The configured key store; in demo or test mode the master key is made on first use."""
        provider = provider or get_provider()
        path = settings.master_key_file
        automatic = path is None and (settings.demo or os.environ.get(TEST_KEYS_ENV) == "1")
        if path is not None:
            master_key = read_master_key(path)
        elif automatic:
            keys_dir = settings.data_dir / "keys"
            keys_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            master_key = load_or_create_master_key(keys_dir / "master.key", provider)
        else:
            raise KeyStoreError(
                "no master key configured: set FANGUAI_MASTER_KEY_FILE to the master key file, "
                "creating it first with `fanguai keys init --master-key-file PATH`"
            )
        store = cls(
            settings.effective_keystore_url,
            master_key=master_key,
            provider=provider,
            sqlite_busy_timeout_ms=settings.sqlite_busy_timeout_ms,
        )
        if automatic:
            store.initialise()
        return store

    def close(self) -> None:
        """Release the database connections (when the store created its own engine)."""
        if self._owns_engine:
            self.engine.dispose()

    # -- transactions and sealing -------------------------------------------------------------

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            if self._is_sqlite:
                # Take the write lock at BEGIN, where the busy timeout applies.
                conn.execution_options(sqlite_immediate=True)
            with conn.begin():
                if not self._is_sqlite:
                    # Serialise writers across processes (create vs shred vs rotation).
                    conn.execute(select(_meta.c.id).where(_meta.c.id == 1).with_for_update())
                yield conn

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn, conn.begin():
            yield conn

    def _seal(self, key: bytes, aad: bytes, plaintext: bytes) -> bytes:
        nonce = self.provider.random_bytes(GCM_NONCE_BYTES)
        return nonce + self.provider.sm4_gcm_encrypt(key, nonce, plaintext, aad)

    def _open(self, key: bytes, aad: bytes, blob: bytes, message: str) -> bytes:
        if len(blob) <= GCM_NONCE_BYTES:
            raise CryptoIntegrityError(message)
        try:
            return self.provider.sm4_gcm_decrypt(
                key, blob[:GCM_NONCE_BYTES], blob[GCM_NONCE_BYTES:], aad
            )
        except CryptoIntegrityError:
            raise CryptoIntegrityError(message) from None

    def _kek_key(self, version: int, material: bytes | None) -> bytes:
        cached = self._keks.get(version)
        if cached is not None:
            return cached
        if not material:
            raise CryptoIntegrityError(f"KEK v{version} has been destroyed")
        kek = self._open(self._master_key, _kek_aad(version), material, _WRONG_MASTER_KEY)
        self._keks[version] = kek  # dict assignment is atomic; a race only repeats work
        return kek

    def _checkpoint(self) -> None:
        """Fold the WAL back and truncate it, so deleted key bytes do not linger there."""
        if not self._is_sqlite:
            return
        try:
            with self.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        except DBAPIError:  # best effort: busy readers only delay it to the next checkpoint
            pass

    # -- set-up -------------------------------------------------------------------------------

    def initialise(self) -> bool:
        """Create the tables, the index secret and KEK v1 (primary); True if it created them."""
        metadata.create_all(self.engine)
        created = False
        try:
            with self._write() as conn:
                row = conn.execute(select(_meta)).first()
                if row is None:
                    now = utcnow()
                    index_secret = self.provider.random_bytes(INDEX_SECRET_BYTES)
                    conn.execute(
                        insert(_meta).values(
                            id=1,
                            schema_version=SCHEMA_VERSION,
                            created_at=now,
                            index_secret=self._seal(
                                self._master_key, _INDEX_SECRET_AAD, index_secret
                            ),
                        )
                    )
                    kek = self.provider.random_bytes(SM4_KEY_BYTES)
                    conn.execute(
                        insert(_kek).values(
                            version=1,
                            status="primary",
                            created_at=now,
                            material=self._seal(self._master_key, _kek_aad(1), kek),
                        )
                    )
                    created = True
        except IntegrityError:
            created = False  # another process initialised it at the same moment
        self._index_secret = None
        self._ensure_ready()
        if created:
            self._restrict_file()
        return created

    def _restrict_file(self) -> None:
        url = make_url(str(self.engine.url))
        if self._is_sqlite and url.database and url.database != ":memory:" and os.name == "posix":
            try:
                os.chmod(url.database, 0o600)
            except OSError:  # pragma: no cover - not ours to fix here
                pass

    def _ensure_ready(self) -> bytes:
        """Check once that the store exists and that the master key opens it."""
        secret = self._index_secret
        if secret is not None:
            return secret
        try:
            with self._read() as conn:
                row = conn.execute(select(_meta)).first()
        except DBAPIError:
            if not inspect(self.engine).has_table("meta"):
                raise KeyStoreError(_NOT_INITIALISED) from None
            raise
        if row is None:
            raise KeyStoreError(_NOT_INITIALISED)
        if row.schema_version != SCHEMA_VERSION:
            raise KeyStoreError(
                f"key store schema version {row.schema_version} is not supported "
                f"(this release uses {SCHEMA_VERSION})"
            )
        secret = self._open(
            self._master_key, _INDEX_SECRET_AAD, row.index_secret, _WRONG_MASTER_KEY
        )
        self._index_secret = secret
        return secret

    # -- KEK lifecycle ------------------------------------------------------------------------

    def _primary_in(self, conn: Connection) -> tuple[int, bytes]:
        row = conn.execute(
            select(_kek.c.version, _kek.c.material).where(_kek.c.status == "primary")
        ).first()
        if row is None:
            raise KeyStoreError(_NOT_INITIALISED)
        return row.version, row.material

    def _kek_row(self, conn: Connection, version: int) -> Any:
        row = conn.execute(select(_kek).where(_kek.c.version == version)).first()
        if row is None:
            raise KeyStoreError(f"there is no KEK v{version}")
        return row

    def primary_version(self) -> int:
        """The version of the KEK that wraps new data keys."""
        self._ensure_ready()
        with self._read() as conn:
            return self._primary_in(conn)[0]

    def add_kek(self) -> int:
        """Create a new KEK (status ``active``, not yet primary); return its version."""
        self._ensure_ready()
        with self._write() as conn:
            version = (conn.execute(select(func.max(_kek.c.version))).scalar() or 0) + 1
            kek = self.provider.random_bytes(SM4_KEY_BYTES)
            conn.execute(
                insert(_kek).values(
                    version=version,
                    status="active",
                    created_at=utcnow(),
                    material=self._seal(self._master_key, _kek_aad(version), kek),
                )
            )
        return version

    def make_primary(self, version: int) -> None:
        """Make KEK ``version`` the one new data keys are wrapped under (old primary: active)."""
        self._ensure_ready()
        with self._write() as conn:
            row = self._kek_row(conn, version)
            if row.status == "primary":
                return
            if row.status == "destroyed":
                raise KeyStoreError(f"KEK v{version} is destroyed")
            self._kek_key(version, row.material)  # refuse a KEK the master key cannot open
            conn.execute(update(_kek).where(_kek.c.status == "primary").values(status="active"))
            conn.execute(update(_kek).where(_kek.c.version == version).values(status="primary"))

    def set_decrypt_only(self, version: int) -> None:
        """Retire KEK ``version``: it still unwraps old data keys but never wraps new ones."""
        self._ensure_ready()
        with self._write() as conn:
            row = self._kek_row(conn, version)
            if row.status == "primary":
                raise KeyStoreError(f"KEK v{version} is primary; make another KEK primary first")
            if row.status == "destroyed":
                raise KeyStoreError(f"KEK v{version} is destroyed")
            conn.execute(
                update(_kek).where(_kek.c.version == version).values(status="decrypt_only")
            )

    def destroy_kek(self, version: int) -> None:
        """Destroy a decrypt-only KEK no data key references (its material is overwritten)."""
        self._ensure_ready()
        with self._write() as conn:
            row = self._kek_row(conn, version)
            if row.status == "destroyed":
                return
            if row.status == "primary":
                raise KeyStoreError(f"KEK v{version} is primary and cannot be destroyed")
            if row.status != "decrypt_only":
                raise KeyStoreError(f"KEK v{version} must be marked decrypt-only first")
            in_use = conn.execute(
                select(func.count()).select_from(_dk).where(_dk.c.kek_version == version)
            ).scalar_one()
            if in_use:
                raise KeyStoreError(
                    f"KEK v{version} still wraps {in_use} data keys; run the rewrap first"
                )
            conn.execute(
                update(_kek)
                .where(_kek.c.version == version)
                .values(status="destroyed", material=b"", destroyed_at=utcnow())
            )
        self._keks.pop(version, None)
        self._checkpoint()

    # -- data keys ----------------------------------------------------------------------------

    def _cache_get(self, subject_id: str) -> tuple[str, bytes] | None:
        entry = self._cache.get(subject_id)
        if entry is None:
            return None
        if entry[2] < time.monotonic():
            self._cache_drop(subject_id)
            return None
        self._cache.move_to_end(subject_id)
        return entry[0], entry[1]

    def _cache_put(self, subject_id: str, key_id: str, dek: bytes) -> None:
        if self._cache_size == 0:
            return
        self._cache[subject_id] = (key_id, dek, time.monotonic() + self._cache_ttl_s)
        self._cache.move_to_end(subject_id)
        self._by_key_id[key_id] = subject_id
        while len(self._cache) > self._cache_size:
            old_subject, (old_key_id, _, _) = self._cache.popitem(last=False)
            self._by_key_id.pop(old_key_id, None)

    def _cache_drop(self, subject_id: str) -> None:
        entry = self._cache.pop(subject_id, None)
        if entry is not None:
            self._by_key_id.pop(entry[0], None)

    def _unwrap(self, row: Any) -> bytes:
        kek = self._kek_key(row.kek_version, row.material)
        return self._open(
            kek, _dek_aad(row.subject_id, row.key_id), row.wrapped, "a data key failed to unwrap"
        )

    def _dek_query(self) -> Any:
        return select(
            _dk.c.subject_id, _dk.c.key_id, _dk.c.kek_version, _dk.c.wrapped, _kek.c.material
        ).join(_kek, _kek.c.version == _dk.c.kek_version)

    def _create(self, subject_id: str) -> tuple[str, bytes]:
        with self._write() as conn:
            if conn.execute(
                select(_shredded.c.subject_id).where(_shredded.c.subject_id == subject_id)
            ).first():
                raise SubjectShredded()
            # Another thread or process may have created it since our read.
            row = conn.execute(self._dek_query().where(_dk.c.subject_id == subject_id)).first()
            if row is not None:
                return row.key_id, self._unwrap(row)
            version, material = self._primary_in(conn)
            kek = self._kek_key(version, material)
            dek = self.provider.random_bytes(SM4_KEY_BYTES)
            key_id = self.provider.random_bytes(KEY_ID_BYTES).hex()
            conn.execute(
                insert(_dk).values(
                    subject_id=subject_id,
                    key_id=key_id,
                    kek_version=version,
                    created_at=utcnow(),
                    wrapped=self._seal(kek, _dek_aad(subject_id, key_id), dek),
                )
            )
        return key_id, dek

    def data_key(self, subject_id: str, *, create: bool = True) -> tuple[str, bytes]:
        """The subject's (key_id hex, DEK), created under the primary KEK when missing."""
        _check_subject_id(subject_id)
        self._ensure_ready()
        with self._lock:
            hit = self._cache_get(subject_id)
            if hit is not None:
                return hit
            generation = self._generation
        with self._read() as conn:
            row = conn.execute(self._dek_query().where(_dk.c.subject_id == subject_id)).first()
        if row is not None:
            key_id, dek = row.key_id, self._unwrap(row)
        elif create:
            key_id, dek = self._create(subject_id)
        else:
            raise SubjectShredded()
        with self._lock:
            # A shred that committed while we read bumps the generation: never cache then.
            if self._generation == generation:
                self._cache_put(subject_id, key_id, dek)
        return key_id, dek

    def dek_by_key_id(self, key_id: str) -> tuple[str, bytes]:
        """The (subject_id, DEK) whose key_id this is; ``SubjectShredded`` if there is none."""
        if not isinstance(key_id, str) or not _KEY_ID.match(key_id):
            raise CryptoIntegrityError("malformed key id")
        self._ensure_ready()
        with self._lock:
            subject_id = self._by_key_id.get(key_id)
            if subject_id is not None:
                hit = self._cache_get(subject_id)
                if hit is not None and hit[0] == key_id:
                    return subject_id, hit[1]
            generation = self._generation
        with self._read() as conn:
            row = conn.execute(self._dek_query().where(_dk.c.key_id == key_id)).first()
        if row is None:
            raise SubjectShredded()
        dek = self._unwrap(row)
        with self._lock:
            if self._generation == generation:
                self._cache_put(row.subject_id, key_id, dek)
        return row.subject_id, dek

    def rewrap_all(self, *, batch_size: int = 500, only_version: int | None = None) -> int:
        """Rewrap every data key not on the primary KEK, one transaction per batch; the count."""
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self._ensure_ready()
        total = 0
        move = (
            update(_dk)
            .where(
                _dk.c.subject_id == bindparam("b_subject"), _dk.c.kek_version == bindparam("b_old")
            )
            .values(kek_version=bindparam("b_new"), wrapped=bindparam("b_wrapped"))
        )
        while True:
            with self._write() as conn:
                # Read the primary inside the batch's transaction: a concurrent make_primary
                # either finished before (we use the new one) or waits for us.
                version, material = self._primary_in(conn)
                query = self._dek_query().where(_dk.c.kek_version != version)
                if only_version is not None:
                    query = query.where(_dk.c.kek_version == only_version)
                rows = conn.execute(query.order_by(_dk.c.subject_id).limit(batch_size)).all()
                if not rows:
                    break
                kek = self._kek_key(version, material)
                params = [
                    {
                        "b_subject": row.subject_id,
                        "b_old": row.kek_version,
                        "b_new": version,
                        "b_wrapped": self._seal(
                            kek, _dek_aad(row.subject_id, row.key_id), self._unwrap(row)
                        ),
                    }
                    for row in rows
                ]
                conn.execute(move, params)
            total += len(rows)
            # The DEKs themselves did not change, so cached copies stay correct; they are
            # dropped anyway so that the next use proves the new wrapping opens.
            with self._lock:
                for row in rows:
                    self._cache_drop(row.subject_id)
        return total

    def versions_in_use(self) -> dict[int, int]:
        """How many data keys each KEK version wraps (versions wrapping none are absent)."""
        self._ensure_ready()
        with self._read() as conn:
            rows = conn.execute(
                select(_dk.c.kek_version, func.count()).group_by(_dk.c.kek_version)
            ).all()
        return {int(version): int(count) for version, count in rows}

    def shred(self, subject_id: str) -> bool:
        """Crypto-shred a subject: delete its data key, write a tombstone; False if it had none."""
        _check_subject_id(subject_id)
        self._ensure_ready()
        with self._write() as conn:
            deleted = conn.execute(delete(_dk).where(_dk.c.subject_id == subject_id)).rowcount
            exists = conn.execute(
                select(_shredded.c.subject_id).where(_shredded.c.subject_id == subject_id)
            ).first()
            if exists is None:
                # A tombstone even when no key existed: an erased subject never gets a new key.
                conn.execute(insert(_shredded).values(subject_id=subject_id, shredded_at=utcnow()))
        with self._lock:
            self._generation += 1
            self._cache_drop(subject_id)
        self._checkpoint()
        return bool(deleted)

    def is_shredded(self, subject_id: str) -> bool:
        """Whether the subject carries a shredding tombstone."""
        _check_subject_id(subject_id)
        self._ensure_ready()
        with self._read() as conn:
            return (
                conn.execute(
                    select(_shredded.c.subject_id).where(_shredded.c.subject_id == subject_id)
                ).first()
                is not None
            )

    # -- blind index and reporting ------------------------------------------------------------

    def index_key(self, field: str) -> bytes:
        """The blind-index key of ``field``: HMAC-SM3(index secret, b"bidx:" + field)."""
        if not isinstance(field, str) or not field:
            raise ValueError("field must be a non-empty string")
        key = self._index_keys.get(field)
        if key is None:
            secret = self._ensure_ready()
            key = self.provider.hmac_sm3(secret, b"bidx:" + field.encode("utf-8"))
            self._index_keys[field] = key
        return key

    def status(self) -> dict[str, Any]:
        """KEK versions with their status and data-key counts, plus totals."""
        self._ensure_ready()
        counts = self.versions_in_use()
        with self._read() as conn:
            keks = conn.execute(
                select(
                    _kek.c.version, _kek.c.status, _kek.c.created_at, _kek.c.destroyed_at
                ).order_by(_kek.c.version)
            ).all()
            shredded = conn.execute(select(func.count()).select_from(_shredded)).scalar_one()
        primary = next((k.version for k in keks if k.status == "primary"), None)
        return {
            "schema_version": SCHEMA_VERSION,
            "provider": self.provider.name,
            "primary": primary,
            "keks": [
                {
                    "version": k.version,
                    "status": k.status,
                    "data_keys": counts.get(k.version, 0),
                    "created_at": k.created_at.isoformat(),
                    "destroyed_at": k.destroyed_at.isoformat() if k.destroyed_at else None,
                }
                for k in keks
            ],
            "data_keys": sum(counts.values()),
            "shredded": int(shredded),
        }
