"""The person table: identity fields encrypted per subject, a blind index for ID numbers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fanguai.db import Base, PublicIdMixin, UTCDateTime, utcnow
from fanguai.org.models import Unit

KINDS = ("missing_child", "parent", "relative", "unidentified_child", "victim", "other")


def _enc(purpose: str, retention: str) -> dict[str, str]:
    return {
        "classification": "sensitive",
        "encryption": "field",
        "purpose": purpose,
        "retention": retention,
    }


class Person(PublicIdMixin, Base):
    """A person the platform holds (人员信息). Encrypted columns hold ``fg1:`` tokens."""

    __tablename__ = "person"

    # The key-store subject: erasing it (crypto-shredding) makes every field unreadable.
    subject_id: Mapped[str] = mapped_column(String(64), unique=True)
    owner_unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    sex: Mapped[str] = mapped_column(String(8), default="unknown")  # male | female | unknown
    # Estimated age range when the birth date is unknown (a found child): unknown is a value.
    age_min: Mapped[int | None] = mapped_column(Integer)
    age_max: Mapped[int | None] = mapped_column(Integer)
    county_code: Mapped[str | None] = mapped_column(String(6))
    name: Mapped[str | None] = mapped_column(Text, info=_enc("identify the person", "case"))
    former_names: Mapped[str | None] = mapped_column(Text, info=_enc("identify the person", "case"))
    id_card: Mapped[str | None] = mapped_column(Text, info=_enc("identify the person", "case"))
    id_card_index: Mapped[str | None] = mapped_column(
        String(64),
        index=True,
        info={
            "classification": "sensitive",
            "encryption": "blind_index",
            "purpose": "find a person by ID number",
            "retention": "case",
        },
    )
    birth_date: Mapped[str | None] = mapped_column(Text, info=_enc("age, minor status", "case"))
    phone: Mapped[str | None] = mapped_column(Text, info=_enc("contact the family", "case"))
    address: Mapped[str | None] = mapped_column(Text, info=_enc("contact, place of origin", "case"))
    notes: Mapped[str | None] = mapped_column(Text, info=_enc("case narrative", "case"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    owner_unit: Mapped[Unit] = relationship(lazy="joined")


class AccessGrant(PublicIdMixin, Base):
    """Time-limited access to a minor's record (B9), or break-the-glass access (B7)."""

    __tablename__ = "access_grant"

    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"), index=True)
    approver_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    kind: Mapped[str] = mapped_column(String(16))  # approval | break_glass
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12))  # pending | approved | rejected | expired
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    review_note: Mapped[str | None] = mapped_column(Text)
