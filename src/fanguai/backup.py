"""Encrypted logical backups of the main database, and their restore (SECURITY.md D9).

A backup is a canonical dump of every table of ``fanguai.models.Base.metadata``, read in one
snapshot, that works the same on SQLite and PostgreSQL (and restores across them)::

    file      = b"FGBK1" ‖ u32 big-endian header length ‖ header ‖ SM4-GCM(payload) ‖ tag
    header    = canonical JSON {format, backup_id, key_id, nonce, created_at, cipher,
                compression}: no secrets
    AAD       = everything before the ciphertext (magic, length, header)
    payload   = gzip(mtime=0) of JSON lines: the manifest, then per table a section line
                {"table", "rows"} followed by one canonical line per row

A canonical row line has its columns sorted, bytes in base64, times in ISO 8601 UTC, JSON
values with sorted keys; rows are ordered by primary key (compared in Python, so that SQLite and
PostgreSQL, whose string collations differ, dump the same bytes). The SM3 digest of a table is the
digest of its row lines; the manifest holds them with the row counts and the schema revision.

The data key is a fresh per-backup key from the key store (subject ``backup:<backup_id>``). The
key store is *not* in the backup: a stolen backup alone is unreadable, and shredding the subject
``backup:<id>`` destroys that backup for good. Field-encrypted columns (``fg1:`` tokens) stay
encrypted inside the backup under their subjects' keys, so a subject erased after the backup
was taken stays unreadable when the backup is restored (D5).
"""

from __future__ import annotations

import base64
import gzip
import json
import logging
import os
import struct
import time
import uuid
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.script.revision import RevisionError
from alembic.util.exc import CommandError
from sqlalchemy import (
    JSON,
    Column,
    Date,
    DateTime,
    Float,
    Integer,
    LargeBinary,
    Numeric,
    Table,
    func,
    insert,
    inspect,
    literal,
    select,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeDecorator, TypeEngine

from fanguai import migrate
from fanguai.audit import service as audit
from fanguai.core.actions import record
from fanguai.core.actor import Actor
from fanguai.core.context import client_var, mark_audited, request_id_var, source_var
from fanguai.crypto.keystore import KeyStore, KeyStoreError, SubjectShredded
from fanguai.crypto.provider import GCM_NONCE_BYTES, CryptoIntegrityError, CryptoProvider
from fanguai.db import utcnow
from fanguai.errors import DomainError
from fanguai.models import Base

log = logging.getLogger(__name__)

MAGIC = b"FGBK1"
FORMAT_VERSION = 1
SUBJECT_PREFIX = "backup:"
_LENGTH = struct.Struct(">I")
_MAX_HEADER_BYTES = 4096
_INSERT_BATCH = 1000
_HEADER_KEYS = frozenset(
    {"format", "backup_id", "key_id", "nonce", "created_at", "cipher", "compression"}
)


class BackupError(DomainError):
    """A backup cannot be written, read or restored (the message says why)."""

    status_code = 400
    code = "backup"


@dataclass(frozen=True)
class BackupInfo:
    """What ``create_backup`` wrote."""

    backup_id: str
    path: Path
    created_at: datetime
    revision: str
    counts: dict[str, int]
    digests: dict[str, str]
    digest: str
    size_bytes: int

    @property
    def total_rows(self) -> int:
        """Rows over all tables."""
        return sum(self.counts.values())


@dataclass(frozen=True)
class RestoreInfo:
    """What ``restore_backup`` restored, and how long it took (reported, never gated)."""

    backup_id: str
    created_at: datetime
    revision: str
    counts: dict[str, int]
    digests: dict[str, str]
    digest: str
    duration_s: float

    @property
    def total_rows(self) -> int:
        """Rows over all tables."""
        return sum(self.counts.values())


# -- canonical dump ----------------------------------------------------------------------------


def _base_type(type_: TypeEngine[Any]) -> TypeEngine[Any]:
    # UTCDateTime and friends: decide on what is stored, not on the decorator.
    while isinstance(type_, TypeDecorator):
        type_ = type_.impl_instance
    return type_


def _encode(value: Any) -> Any:
    """A column value as JSON (the inverse is ``_decode``, driven by the column type)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime):
        if value.tzinfo is None:  # fanguai stores UTC only; a naive value is UTC
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict | list | tuple):  # JSON columns
        return value
    raise TypeError(f"cannot serialise a {type(value).__name__} column value")


def _decode(column: Column[Any], value: Any) -> Any:
    if value is None:
        return None
    type_ = _base_type(column.type)
    if isinstance(type_, JSON):
        return value
    if isinstance(type_, DateTime):
        return datetime.fromisoformat(value)
    if isinstance(type_, Date):
        return date.fromisoformat(value)
    if isinstance(type_, LargeBinary):
        return base64.b64decode(value, validate=True)
    if isinstance(type_, Numeric) and not isinstance(type_, Float):
        return Decimal(value)
    return value


def _line(obj: Any) -> bytes:
    return (
        json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        + "\n"
    ).encode("utf-8")


def _sort_key(values: Sequence[Any]) -> tuple[tuple[int, Any], ...]:
    # None first; strings compare by code point, the same on every backend.
    return tuple((0, 0) if v is None else (1, v) for v in values)


def _order_columns(table: Table) -> list[Column[Any]]:
    pk = list(table.primary_key.columns)
    return pk or list(table.columns)


def _dump_table(conn: Connection, table: Table, columns: Sequence[str]) -> list[bytes]:
    """The canonical lines of one table, ordered by primary key."""
    cols = [table.c[name] for name in columns]
    order = [c.name for c in _order_columns(table) if c.name in columns] or list(columns)
    rows = conn.execute(select(*cols).order_by(*(table.c[name] for name in order))).mappings()
    records = [{name: _encode(row[name]) for name in columns} for row in rows]
    # The ORDER BY keeps the database's work sequential; the sort makes the order canonical.
    records.sort(key=lambda r: _sort_key([r[name] for name in order]))
    return [_line(r) for r in records]


def _sm3(provider: CryptoProvider | None, data: bytes) -> str:
    if provider is not None:
        return provider.sm3(data).hex()
    return audit.sm3_hex(data)


def _overall_digest(provider: CryptoProvider | None, digests: Mapping[str, str]) -> str:
    return _sm3(provider, "".join(f"{name}:{d}\n" for name, d in digests.items()).encode())


def _tables(columns: Mapping[str, Sequence[str]] | None) -> list[tuple[Table, list[str]]]:
    chosen = []
    for table in Base.metadata.sorted_tables:
        if columns is None:
            chosen.append((table, sorted(c.name for c in table.columns)))
        elif table.name in columns:
            chosen.append((table, list(columns[table.name])))
    return chosen


def _digests_on(
    conn: Connection,
    provider: CryptoProvider | None,
    columns: Mapping[str, Sequence[str]] | None = None,
) -> tuple[dict[str, int], dict[str, str]]:
    counts: dict[str, int] = {}
    digests: dict[str, str] = {}
    for table, cols in _tables(columns):
        lines = _dump_table(conn, table, cols)
        counts[table.name] = len(lines)
        digests[table.name] = _sm3(provider, b"".join(lines))
    return counts, digests


def table_digests(
    engine: Engine | Connection, *, columns: Mapping[str, Sequence[str]] | None = None
) -> dict[str, str]:
    """SM3 (hex) of each table's canonical dump, read in one transaction."""
    if isinstance(engine, Connection):
        return _digests_on(engine, None, columns)[1]
    with _snapshot(engine) as conn:
        return _digests_on(conn, None, columns)[1]


@contextmanager
def _snapshot(engine: Engine) -> Iterator[Connection]:
    """One read transaction: a REPEATABLE READ snapshot on PostgreSQL, one BEGIN on SQLite."""
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin() as transaction:
            yield conn
            transaction.rollback()  # read only: nothing to keep


# -- file format --------------------------------------------------------------------------------


def _aad(header_bytes: bytes) -> bytes:
    return MAGIC + _LENGTH.pack(len(header_bytes)) + header_bytes


def _read_header(blob: bytes) -> tuple[dict[str, Any], bytes, bytes]:
    """(header, AAD, ciphertext‖tag) of a backup file, or ``BackupError``."""
    if not blob.startswith(MAGIC):
        raise BackupError("not a fanguai backup file (bad magic)")
    offset = len(MAGIC)
    if len(blob) < offset + _LENGTH.size:
        raise BackupError("the backup file is truncated")
    (length,) = _LENGTH.unpack_from(blob, offset)
    offset += _LENGTH.size
    if length > _MAX_HEADER_BYTES or len(blob) < offset + length:
        raise BackupError("the backup file is damaged (bad header length)")
    header_bytes = blob[offset : offset + length]
    try:
        header = json.loads(header_bytes.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise BackupError("the backup file is damaged (unreadable header)") from None
    if not isinstance(header, dict) or set(header) != _HEADER_KEYS:
        raise BackupError("the backup file is damaged (unexpected header)")
    if header["format"] != FORMAT_VERSION:
        raise BackupError(f"unsupported backup format {header['format']!r}")
    return header, _aad(header_bytes), blob[offset + length :]


def _subject(backup_id: str) -> str:
    return SUBJECT_PREFIX + backup_id


def _write_atomically(path: Path, data: bytes, tag: str) -> None:
    """Write ``data`` to ``path`` with mode 0600: temporary file, fsync, rename, fsync dir."""
    tmp = path.with_name(f".{path.name}.{tag}.tmp")
    # O_EXCL with 0600: the file is never readable by others, not even for a moment.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        try:
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if hasattr(os, "O_DIRECTORY"):
        # The rename itself must survive a crash too.
        dir_fd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


# -- backup -------------------------------------------------------------------------------------


def create_backup(
    engine: Engine,
    keystore: KeyStore,
    provider: CryptoProvider,
    out_path: Path | str,
    *,
    actor: Actor,
) -> BackupInfo:
    """Write an encrypted, canonical backup of the whole database to ``out_path``."""
    out_path = Path(out_path)
    if out_path.exists():
        raise BackupError(f"{out_path} already exists; choose a new file name")
    if not out_path.parent.is_dir():
        raise BackupError(f"folder {out_path.parent} does not exist")
    revision = migrate.current_revision(engine)
    head = migrate.head_revision()
    if revision is None:
        raise BackupError("the database has no schema yet; nothing to back up")
    if revision != head:
        raise BackupError(
            f"the database is at schema revision {revision}, this fanguai expects {head}; "
            "run `fanguai db upgrade` first"
        )
    backup_id = str(uuid.uuid4())
    created_at = utcnow()
    columns = {t.name: cols for t, cols in _tables(None)}
    sections: list[bytes] = []
    counts: dict[str, int] = {}
    digests: dict[str, str] = {}
    with _snapshot(engine) as conn:
        # The revision read in the snapshot is the one the data belongs to.
        if MigrationContext.configure(conn).get_current_revision() != revision:
            raise BackupError("the schema changed while the backup started; run it again")
        for table, cols in _tables(None):
            lines = _dump_table(conn, table, cols)
            counts[table.name] = len(lines)
            digests[table.name] = _sm3(provider, b"".join(lines))
            sections.append(_line({"table": table.name, "rows": len(lines)}))
            sections.extend(lines)
    digest = _overall_digest(provider, digests)
    manifest = {
        "format": FORMAT_VERSION,
        "backup_id": backup_id,
        "revision": revision,
        "created_at": created_at.isoformat(timespec="microseconds"),
        "tables": list(columns),
        "columns": columns,
        "counts": counts,
        "digests": digests,
        "digest": digest,
    }
    payload = gzip.compress(_line(manifest) + b"".join(sections), compresslevel=6, mtime=0)
    del sections

    try:
        key_id, dek = keystore.data_key(_subject(backup_id))
    except (KeyStoreError, CryptoIntegrityError) as exc:
        raise BackupError(f"the key store cannot give a key for the backup: {exc}") from None
    nonce = provider.random_bytes(GCM_NONCE_BYTES)
    header = {
        "format": FORMAT_VERSION,
        "backup_id": backup_id,
        "key_id": key_id,
        "nonce": nonce.hex(),
        "created_at": manifest["created_at"],
        "cipher": "SM4-GCM",
        "compression": "gzip",
    }
    header_bytes = _line(header)
    aad = _aad(header_bytes)
    sealed = provider.sm4_gcm_encrypt(dek, nonce, payload, aad)
    del payload
    data = aad + sealed
    try:
        _write_atomically(out_path, data, backup_id)
    except OSError as exc:
        raise BackupError(f"cannot write {out_path}: {exc.strerror or exc}") from None

    with Session(engine, expire_on_commit=False) as session:
        record(
            session,
            actor,
            "backup.create",
            outcome="success",
            object_type="backup",
            object_id=backup_id,
            detail={
                "counts": [f"{name}={n}" for name, n in counts.items()],
                "rows": sum(counts.values()),
                "digest": digest,
                "revision": revision,
            },
        )
    log.info("backup %s written: %d rows, %d bytes", backup_id, sum(counts.values()), len(data))
    return BackupInfo(
        backup_id=backup_id,
        path=out_path,
        created_at=created_at,
        revision=revision,
        counts=counts,
        digests=digests,
        digest=digest,
        size_bytes=len(data),
    )


# -- restore ------------------------------------------------------------------------------------


@dataclass
class _Dump:
    manifest: dict[str, Any]
    rows: dict[str, list[dict[str, Any]]]


def _open_backup(blob: bytes, keystore: KeyStore, provider: CryptoProvider) -> _Dump:
    """Decrypt, decompress and check a backup in memory (nothing is written)."""
    header, aad, sealed = _read_header(blob)
    backup_id = header["backup_id"]
    try:
        key_id, dek = keystore.data_key(_subject(str(backup_id)), create=False)
    except SubjectShredded:
        raise BackupError(
            f"this key store holds no key for backup {backup_id}: restore with the key store "
            "the backup was made with (or its key was destroyed)"
        ) from None
    except CryptoIntegrityError:
        raise BackupError(
            "the key store cannot be opened with this master key; restore with the key store "
            "and master key the backup was made with"
        ) from None
    except (KeyStoreError, ValueError) as exc:
        raise BackupError(f"the key store cannot give the backup's key: {exc}") from None
    if key_id != header["key_id"]:
        raise BackupError("the backup file is damaged or altered (key id does not match)")
    try:
        nonce = bytes.fromhex(header["nonce"])
        payload = provider.sm4_gcm_decrypt(dek, nonce, sealed, aad)
    except (CryptoIntegrityError, ValueError, TypeError):
        raise BackupError("the backup file is damaged or altered (authentication failed)") from None
    try:
        text = gzip.decompress(payload)
    except (OSError, EOFError, zlib.error):
        raise BackupError("the backup payload is damaged (not gzip)") from None
    return _parse_payload(text, header, provider)


def _parse_payload(text: bytes, header: dict[str, Any], provider: CryptoProvider) -> _Dump:
    lines = text.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    try:
        manifest = json.loads(lines[0])
        if manifest.get("format") != FORMAT_VERSION or manifest["backup_id"] != header["backup_id"]:
            raise BackupError("the backup manifest does not match its header")
        position = 1
        rows: dict[str, list[dict[str, Any]]] = {}
        for name in manifest["tables"]:
            section = json.loads(lines[position])
            count = manifest["counts"][name]
            if section != {"table": name, "rows": count}:
                raise BackupError(f"the backup is damaged (section of table {name})")
            body = lines[position + 1 : position + 1 + count]
            if len(body) != count:
                raise BackupError(f"the backup is damaged (table {name} is short)")
            digest = _sm3(provider, b"".join(line + b"\n" for line in body))
            if digest != manifest["digests"][name]:
                raise BackupError(f"the backup is damaged (digest of table {name})")
            rows[name] = [json.loads(line) for line in body]
            position += 1 + count
        if position != len(lines):
            raise BackupError("the backup is damaged (data after the last table)")
    except (KeyError, IndexError, TypeError, ValueError):
        raise BackupError("the backup payload is damaged (bad manifest or rows)") from None
    return _Dump(manifest=manifest, rows=rows)


def _check_target_empty(engine: Engine) -> str | None:
    """Refuse a target holding anything; return its schema revision (None when bare)."""
    names = {n for n in inspect(engine).get_table_names() if not n.startswith("sqlite_")}
    ours = {t.name for t in Base.metadata.sorted_tables}
    strangers = sorted(names - ours - {"alembic_version"})
    if strangers or (names and "alembic_version" not in names):
        raise BackupError(
            f"the target database is not empty (table {(strangers or sorted(names))[0]}); "
            "restore into a new, empty database"
        )
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            if table.name not in names:
                continue
            if conn.execute(select(literal(1)).select_from(table).limit(1)).first() is not None:
                raise BackupError(
                    f"the target database is not empty (table {table.name} has rows); "
                    "restore into a new, empty database"
                )
    return migrate.current_revision(engine) if "alembic_version" in names else None


def _check_revision(target_revision: str | None, revision: str) -> None:
    script = ScriptDirectory.from_config(migrate.alembic_config())
    try:
        ancestors = {sc.revision for sc in script.iterate_revisions(revision, "base")}
    except (CommandError, RevisionError):
        raise BackupError(
            f"the backup is at schema revision {revision}, which this fanguai does not know; "
            "restore it with the fanguai version that made it (or a newer one)"
        ) from None
    if target_revision is not None and target_revision not in ancestors:
        raise BackupError(
            f"the target database is at schema revision {target_revision}, beyond the "
            f"backup's {revision}; restore into a new, empty database"
        )


def _check_columns(manifest: Mapping[str, Any]) -> None:
    tables = {t.name: t for t in Base.metadata.sorted_tables}
    for name, cols in manifest["columns"].items():
        table = tables.get(name)
        if table is None or any(c not in table.c for c in cols):
            raise BackupError(f"the backup's table {name} does not fit this fanguai's schema")


def _parents_first(table: Table, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows ordered so that a row's parent in the same table comes before it."""
    links = [
        (fk.parent.name, fk.column.name) for fk in table.foreign_keys if fk.column.table is table
    ]
    if not links:
        return rows
    present = {ref: {r.get(ref) for r in rows} for _, ref in links}
    placed: dict[str, set[Any]] = {ref: set() for _, ref in links}
    ordered: list[dict[str, Any]] = []
    pending = rows
    while pending:
        waiting = []
        for row in pending:
            ready = all(
                row.get(col) is None
                or row[col] in placed[ref]
                or row[col] not in present[ref]  # dangling: the database will say so
                for col, ref in links
            )
            if ready:
                ordered.append(row)
                for _, ref in links:
                    placed[ref].add(row.get(ref))
            else:
                waiting.append(row)
        if len(waiting) == len(pending):  # a cycle: insert as is, constraints decide
            ordered.extend(waiting)
            break
        pending = waiting
    return ordered


def _batches(rows: list[dict[str, Any]], size: int) -> Iterable[list[dict[str, Any]]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _reset_sequences(conn: Connection, tables: Iterable[Table]) -> None:
    """Move PostgreSQL serial sequences past the restored ids (explicit ids do not)."""
    for table in tables:
        for column in table.primary_key.columns:
            if not isinstance(_base_type(column.type), Integer):
                continue
            sequence = func.pg_get_serial_sequence(table.name, column.name)
            # setval(seq, max + 1, false): the next value is max + 1 (1 for an empty table).
            next_value = func.coalesce(select(func.max(column)).scalar_subquery(), 0) + 1
            conn.execute(select(func.setval(sequence, next_value, False)))


def restore_backup(
    engine: Engine,
    keystore: KeyStore,
    provider: CryptoProvider,
    in_path: Path | str,
    *,
    actor: Actor,
) -> RestoreInfo:
    """Restore a backup into an empty database and check every table's digest.

    Restore is not an ``action``: it does not change the platform's state step by step, it
    recreates a state that was audited when it happened (the restored audit chain says so).
    The rows go in through Core inserts in one transaction, then one ``backup.restore`` event
    is appended to the restored chain in that same transaction, so the restore is all or
    nothing, audit record included.
    """
    started = time.perf_counter()
    in_path = Path(in_path)
    try:
        blob = in_path.read_bytes()
    except OSError as exc:
        raise BackupError(f"cannot read {in_path}: {exc.strerror or exc}") from None
    target_revision = _check_target_empty(engine)
    dump = _open_backup(blob, keystore, provider)
    del blob
    manifest = dump.manifest
    revision = manifest["revision"]
    _check_revision(target_revision, revision)
    _check_columns(manifest)

    migrate.upgrade(engine, revision)
    tables = {t.name: t for t in Base.metadata.sorted_tables}
    columns: dict[str, list[str]] = manifest["columns"]
    with Session(engine, expire_on_commit=False) as session:
        conn = session.connection(execution_options={"sqlite_immediate": True})
        try:
            for name in manifest["tables"]:
                table = tables[name]
                decoded = [
                    {col: _decode(table.c[col], row[col]) for col in columns[name]}
                    for row in dump.rows[name]
                ]
                for batch in _batches(_parents_first(table, decoded), _INSERT_BATCH):
                    conn.execute(insert(table), batch)
                dump.rows[name] = []  # free memory as we go
            if conn.dialect.name == "postgresql":
                _reset_sequences(conn, (tables[name] for name in manifest["tables"]))
            counts, digests = _digests_on(conn, provider, columns)
            if counts != manifest["counts"] or digests != manifest["digests"]:
                bad = sorted(n for n in digests if digests[n] != manifest["digests"].get(n))
                raise BackupError(
                    "restored data differs from the backup (tables: "
                    + ", ".join(bad or sorted(counts))
                    + "); the restore was rolled back"
                )
            digest = _overall_digest(provider, digests)
            duration = time.perf_counter() - started
            event = audit.append(
                session,
                actor=actor,
                action="backup.restore",
                outcome="success",
                source=source_var.get(),
                object_type="backup",
                object_id=manifest["backup_id"],
                request_id=request_id_var.get(),
                detail={
                    "rows": sum(counts.values()),
                    "digest": digest,
                    "revision": revision,
                    "backup_created_at": manifest["created_at"],
                    "duration_ms": round(duration * 1000),
                },
                client=client_var.get(),
            )
            session.commit()
        except BaseException:
            session.rollback()
            raise
    mark_audited(event.seq)
    duration = time.perf_counter() - started
    log.info(
        "backup %s restored: %d rows in %.3f s",
        manifest["backup_id"],
        sum(counts.values()),
        duration,
    )
    return RestoreInfo(
        backup_id=manifest["backup_id"],
        created_at=datetime.fromisoformat(manifest["created_at"]),
        revision=revision,
        counts=counts,
        digests=digests,
        digest=digest,
        duration_s=duration,
    )
