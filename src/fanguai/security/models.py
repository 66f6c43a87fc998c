"""Server-side sessions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from fanguai.db import Base, UTCDateTime


class UserSession(Base):
    """A login session. The cookie holds a random token; only its hash is stored."""

    __tablename__ = "user_session"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("staff_user.id", ondelete="CASCADE"), index=True
    )
    auth_epoch: Mapped[int] = mapped_column(Integer)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    mfa_passed: Mapped[bool] = mapped_column(Boolean, default=False)
    mfa_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AuthThrottle(Base):
    """Failed logins per client address in the current window (throttling across accounts)."""

    __tablename__ = "auth_throttle"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)  # keyed hash of the address
    window_start: Mapped[datetime] = mapped_column(UTCDateTime())
    failures: Mapped[int] = mapped_column(Integer, default=0)
