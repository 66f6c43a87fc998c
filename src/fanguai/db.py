"""Database engine, sessions and the declarative base.

SQLite (demo, county) runs in WAL mode with foreign keys, a busy timeout, ``synchronous=FULL``
and ``secure_delete``; PostgreSQL (province) runs through psycopg 3.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import MetaData, String, create_engine, event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.types import DateTime, TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always returned timezone-aware (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; fanguai stores aware UTC times only")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base of every table."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def new_public_id() -> str:
    """An opaque, unguessable identifier for URLs (UUIDv4)."""
    return str(uuid.uuid4())


class PublicIdMixin:
    """Integer primary key inside the database, opaque UUID outside it."""

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(
        String(36), unique=True, index=True, default=new_public_id
    )


def utcnow() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


def _sqlite_pragmas(busy_timeout_ms: int):
    def on_connect(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        # The driver must not open transactions on its own: SQLAlchemy issues BEGIN itself.
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()

    return on_connect


def make_engine(url: str, *, sqlite_busy_timeout_ms: int = 10_000, echo: bool = False) -> Engine:
    """Create an engine with the settings fanguai needs on each backend."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            echo=echo,
            connect_args={"check_same_thread": False, "timeout": sqlite_busy_timeout_ms / 1000},
        )
        event.listen(engine, "connect", _sqlite_pragmas(sqlite_busy_timeout_ms))

        # pysqlite's own transaction handling is off (below); emit BEGIN ourselves. A session
        # that will write asks for ``sqlite_immediate`` so that it takes the write lock at
        # BEGIN, where the busy timeout applies, instead of failing on a lock upgrade later.
        def _begin(conn):  # type: ignore[no-untyped-def]
            immediate = conn.get_execution_options().get("sqlite_immediate", False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        event.listen(engine, "begin", _begin)

        @event.listens_for(engine, "connect")
        def _no_autobegin(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            dbapi_connection.isolation_level = None

        return engine
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return create_engine(parsed, echo=echo, pool_pre_ping=True)


class Database:
    """An engine and its session factory."""

    def __init__(self, engine: Engine, *, bind: Engine | Connection | None = None) -> None:
        self.engine = engine
        if isinstance(bind, Connection):
            # Tests: every session joins the connection's outer transaction through savepoints,
            # so commits inside actions are rolled back with the test.
            self.sessionmaker = sessionmaker(
                bind=bind, expire_on_commit=False, join_transaction_mode="create_savepoint"
            )
        else:
            self.sessionmaker = sessionmaker(bind=bind or engine, expire_on_commit=False)

    @classmethod
    def bound_to(cls, connection: Connection) -> Database:
        """A database whose sessions run inside ``connection``'s transaction (for tests)."""
        return cls(connection.engine, bind=connection)

    @classmethod
    def from_url(cls, url: str, *, sqlite_busy_timeout_ms: int = 10_000) -> Database:
        return cls(make_engine(url, sqlite_busy_timeout_ms=sqlite_busy_timeout_ms))

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that is closed (and rolled back if uncommitted) on exit."""
        session = self.sessionmaker()
        try:
            yield session
        finally:
            session.close()

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"
