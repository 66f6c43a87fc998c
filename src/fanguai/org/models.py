"""Divisions (reference copy), units, roles and staff users."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fanguai.db import Base, PublicIdMixin, UTCDateTime, utcnow

LEVELS = ("province", "city", "county")


class Division(Base):
    """A GB/T 2260 administrative division of Jiangsu (copied from the geo reference data)."""

    __tablename__ = "division"

    code: Mapped[str] = mapped_column(String(6), primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    full_name: Mapped[str] = mapped_column(String(60))
    level: Mapped[str] = mapped_column(String(10))
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("division.code"), index=True)
    lat: Mapped[float] = mapped_column(Float)
    lng: Mapped[float] = mapped_column(Float)

    __table_args__ = (CheckConstraint("level IN ('province','city','county')", name="level"),)


class Unit(PublicIdMixin, Base):
    """A unit (单位): a member unit, the joint-conference office, or a city/county counterpart."""

    __tablename__ = "unit"

    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(80), index=True)
    department: Mapped[str] = mapped_column(String(30), index=True)
    level: Mapped[str] = mapped_column(String(10))
    division_code: Mapped[str] = mapped_column(ForeignKey("division.code"), index=True)
    # The provincial member unit this one is the counterpart of (None for provincial units).
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), index=True)
    plan_name: Mapped[str | None] = mapped_column(String(40))  # name in the plan (provincial)
    is_member: Mapped[bool] = mapped_column(Boolean, default=False)
    is_office: Mapped[bool] = mapped_column(Boolean, default=False)
    ordinal: Mapped[int] = mapped_column(Integer, default=0)

    division: Mapped[Division] = relationship(lazy="joined")
    parent: Mapped[Unit | None] = relationship(remote_side="Unit.id")

    __table_args__ = (CheckConstraint("level IN ('province','city','county')", name="level"),)


user_role = Table(
    "user_role",
    Base.metadata,
    Column("user_id", ForeignKey("staff_user.id", ondelete="CASCADE"), primary_key=True),
    Column("role_code", ForeignKey("role.code"), primary_key=True),
)


class Role(Base):
    """A role (角色) staff can hold; permissions are defined in fanguai.security.roles."""

    __tablename__ = "role"

    code: Mapped[str] = mapped_column(String(30), primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)


class User(PublicIdMixin, Base):
    """A staff user (工作人员). Belongs to exactly one unit."""

    __tablename__ = "staff_user"

    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Bumped on role change or disabling: sessions carrying an older epoch are dead.
    auth_epoch: Mapped[int] = mapped_column(Integer, default=0)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    disabled_reason: Mapped[str | None] = mapped_column(String(200))
    # TOTP second factor: the seed is field-encrypted (fanguai.crypto), never stored in clear.
    totp_secret: Mapped[str | None] = mapped_column(
        Text, info={"classification": "secret", "encryption": "field"}
    )
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    mfa_enrolled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    recovery_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Keyed hash of the one-time code an admin hands over (out of band) to set up the second
    # factor: a password alone never suffices to enrol an authenticator.
    enrolment_code_hash: Mapped[str | None] = mapped_column(String(64))

    unit: Mapped[Unit] = relationship(lazy="joined")
    roles: Mapped[list[Role]] = relationship(secondary=user_role, lazy="selectin")

    @property
    def role_codes(self) -> frozenset[str]:
        return frozenset(r.code for r in self.roles)
