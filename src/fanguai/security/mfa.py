"""The second factor: TOTP enrolment, verification, recovery codes, reset by the security admin."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from fanguai.core.actions import action
from fanguai.core.actor import Actor
from fanguai.crypto.fields import FieldCrypto
from fanguai.db import utcnow
from fanguai.errors import Conflict, Forbidden, InvalidInput, NotAuthenticated, NotFound
from fanguai.org.models import User
from fanguai.security import totp
from fanguai.security.models import UserSession
from fanguai.security.scope import covers
from fanguai.security.service import LOCKOUT, MAX_FAILED_LOGINS, token_hash

WRONG_CODE = "验证码错误或已使用"
WRONG_ENROLMENT_CODE = "开通码错误：请核对安全管理员或系统管理员交给您的开通码"
NO_ENROLMENT_CODE = "尚未为您签发双因素开通码，请联系安全管理员"


def _pepper(crypto: FieldCrypto) -> bytes:
    # Recovery codes carry ~39 bits: a keyed hash, so a stolen database alone cannot test them.
    return crypto.keystore.index_key("mfa.recovery_code")


def _subject(user: User) -> str:
    return f"user:{user.public_id}"


def _seal(crypto: FieldCrypto, user: User, secret: str) -> str:
    return crypto.encrypt(
        secret,
        subject_id=_subject(user),
        table="staff_user",
        column="totp_secret",
        row_id=user.public_id,
    )


def _open(crypto: FieldCrypto, user: User) -> str:
    assert user.totp_secret is not None
    return crypto.decrypt(
        user.totp_secret,
        subject_id=_subject(user),
        table="staff_user",
        column="totp_secret",
        row_id=user.public_id,
    )


@dataclass(frozen=True)
class Enrolment:
    """What the enrolment page shows: the seed (once), its URI and QR code."""

    secret: str
    uri: str
    qr_svg: str


def begin_enrolment(session: Session, *, crypto: FieldCrypto, actor: Actor) -> Enrolment:
    """Give the user a new TOTP seed to scan (not active until confirmed with a code)."""
    with action(
        session, actor, "auth.mfa_enrol_begin", object_type="user", object_id=actor.user_public_id
    ):
        user = session.get(User, actor.user_id)
        if user is None:
            raise NotFound("user not found")
        if user.mfa_enrolled_at is not None:
            raise Conflict("second factor already set up; ask the security admin to reset it")
        secret = totp.new_secret()
        user.totp_secret = _seal(crypto, user, secret)
        user.totp_last_step = None
    uri = totp.provisioning_uri(secret, account=actor.name)
    return Enrolment(secret=secret, uri=uri, qr_svg=totp.qr_svg(uri))


def pending_enrolment(session: Session, *, crypto: FieldCrypto, actor: Actor) -> Enrolment | None:
    """The seed being enrolled, to show the page again (None if enrolment has not begun)."""
    user = session.get(User, actor.user_id)
    if user is None or user.totp_secret is None or user.mfa_enrolled_at is not None:
        return None
    secret = _open(crypto, user)
    uri = totp.provisioning_uri(secret, account=actor.name)
    return Enrolment(secret=secret, uri=uri, qr_svg=totp.qr_svg(uri))


def _check_code(user: User, crypto: FieldCrypto, code: str, now: datetime) -> int | None:
    if user.totp_secret is None:
        return None
    return totp.verify(_open(crypto, user), code, now=now, last_used_step=user.totp_last_step)


def _count_failure(session: Session, actor: Actor, user_id: int, now: datetime) -> None:
    with action(
        session, actor, "auth.mfa_failure", object_type="user", object_id=actor.user_public_id
    ) as act:
        user = session.get(User, user_id)
        assert user is not None
        user.failed_logins += 1
        if user.failed_logins >= MAX_FAILED_LOGINS:
            user.locked_until = now + LOCKOUT
            user.failed_logins = 0
            user.auth_epoch += 1  # the half-logged-in session dies with the lock
            act.detail["locked"] = True


def _admin_target(session: Session, actor: Actor, user_public_id: str) -> User:
    # An admin acts only inside their jurisdiction; beyond it the user "does not exist".
    user = session.execute(
        select(User).where(User.public_id == user_public_id).with_for_update(of=User)
    ).scalar_one_or_none()
    if user is None or (actor.kind == "user" and not covers(actor, user.unit.division_code)):
        raise NotFound("user not found")
    return user


def _enrolment_hash(crypto: FieldCrypto, code: str) -> str:
    return totp.hash_recovery_code(code, pepper=crypto.keystore.index_key("mfa.enrolment_code"))


def enrolment_code_setter(crypto: FieldCrypto) -> tuple[Callable[[User], None], list[str]]:
    """A hook for ``create_user`` that sets a new account's enrolment code in its transaction;
    the code lands in the returned list (to show once)."""
    issued: list[str] = []

    def set_code(user: User) -> None:
        code = totp.recovery_codes(1)[0]
        user.enrolment_code_hash = _enrolment_hash(crypto, code)
        issued.append(code)

    return set_code, issued


def issue_enrolment_code(
    session: Session, *, crypto: FieldCrypto, actor: Actor, user_public_id: str
) -> str:
    """A one-time code the admin hands to the user (out of band) to set up the second factor."""
    with action(
        session,
        actor,
        "auth.mfa_enrolment_code",
        object_type="user",
        object_id=user_public_id,
        priority="high",
    ):
        if actor.kind == "user" and not (actor.can("mfa.reset") or actor.can("users.manage")):
            raise Forbidden("permission 'mfa.reset' required")
        user = _admin_target(session, actor, user_public_id)
        if user.mfa_enrolled_at is not None:
            raise Conflict("second factor already set up; reset it first")
        code = totp.recovery_codes(1)[0]
        user.enrolment_code_hash = _enrolment_hash(crypto, code)
    return code


def confirm_enrolment(
    session: Session,
    *,
    crypto: FieldCrypto,
    actor: Actor,
    token: str,
    code: str,
    enrolment_code: str = "",
    now: datetime | None = None,
) -> list[str]:
    """Activate the seed with a first code and the admin's enrolment code; returns the
    recovery codes (shown once)."""
    now = now or utcnow()
    user = session.get(User, actor.user_id)
    if user is None or user.totp_secret is None or user.mfa_enrolled_at is not None:
        raise Conflict("no second-factor enrolment in progress")
    if user.enrolment_code_hash is None:
        raise Conflict(NO_ENROLMENT_CODE)
    enrolment_ok = hmac.compare_digest(
        _enrolment_hash(crypto, enrolment_code), user.enrolment_code_hash
    )
    step = _check_code(user, crypto, code, now) if enrolment_ok else None
    session.rollback()
    if not enrolment_ok:
        _count_failure(session, actor, actor.user_id or 0, now)
        raise InvalidInput(WRONG_ENROLMENT_CODE, field="enrolment_code")
    if step is None:
        _count_failure(session, actor, actor.user_id or 0, now)
        raise InvalidInput(WRONG_CODE, field="code")
    codes = totp.recovery_codes()
    with action(
        session, actor, "auth.mfa_enrol", object_type="user", object_id=actor.user_public_id
    ):
        user = session.get(User, actor.user_id, with_for_update={"of": User})
        assert user is not None
        if user.mfa_enrolled_at is not None or user.enrolment_code_hash is None:
            raise Conflict("no second-factor enrolment in progress")  # a parallel request won
        user.mfa_enrolled_at = now
        user.totp_last_step = step
        user.recovery_codes = [totp.hash_recovery_code(c, pepper=_pepper(crypto)) for c in codes]
        user.enrolment_code_hash = None
        user.failed_logins = 0
        _mark_session(session, token, now)
    return codes


def _mark_session(session: Session, token: str, now: datetime) -> None:
    row = session.get(UserSession, token_hash(token))
    if row is None or row.revoked:
        raise NotAuthenticated("session expired or unknown")
    row.mfa_passed = True
    row.mfa_at = now


def verify_second_factor(
    session: Session,
    *,
    crypto: FieldCrypto,
    actor: Actor,
    token: str,
    code: str,
    now: datetime | None = None,
) -> None:
    """Complete the login with a TOTP code or a recovery code (each usable once)."""
    now = now or utcnow()
    user = session.get(User, actor.user_id)
    if user is None or user.mfa_enrolled_at is None:
        raise Conflict("second factor not set up yet")
    step = _check_code(user, crypto, code, now)
    recovery_hash = totp.hash_recovery_code(code, pepper=_pepper(crypto)) if step is None else None
    recovery_ok = recovery_hash is not None and recovery_hash in (user.recovery_codes or [])
    session.rollback()
    if step is None and not recovery_ok:
        _count_failure(session, actor, user.id, now)
        raise InvalidInput(WRONG_CODE, field="code")
    with action(
        session,
        actor,
        "auth.mfa",
        object_type="user",
        object_id=actor.user_public_id,
        detail={"method": "totp" if step is not None else "recovery_code"},
    ):
        # Re-read under a row lock: two requests with the same code must not both pass.
        user = session.get(User, actor.user_id, with_for_update={"of": User})
        assert user is not None
        if step is not None:
            if user.totp_last_step is not None and step <= user.totp_last_step:
                raise InvalidInput(WRONG_CODE, field="code")
            user.totp_last_step = step
        else:
            if recovery_hash not in (user.recovery_codes or []):
                raise InvalidInput(WRONG_CODE, field="code")
            user.recovery_codes = [h for h in user.recovery_codes if h != recovery_hash]
        user.failed_logins = 0
        _mark_session(session, token, now)


def reset(
    session: Session, *, actor: Actor, user_public_id: str, crypto: FieldCrypto | None = None
) -> str | None:
    """Security admin: clear a user's second factor; their sessions end. Returns the one-time
    enrolment code to hand over out of band (a password alone cannot enrol a new device)."""
    with action(
        session,
        actor,
        "auth.mfa_reset",
        object_type="user",
        object_id=user_public_id,
        priority="high",
    ):
        actor.require("mfa.reset")
        user = _admin_target(session, actor, user_public_id)
        if user.id == actor.user_id:
            raise Forbidden("an admin cannot reset their own second factor")
        user.totp_secret = None
        user.totp_last_step = None
        user.mfa_enrolled_at = None
        user.recovery_codes = []
        user.auth_epoch += 1
    if crypto is None:
        return None
    return issue_enrolment_code(session, crypto=crypto, actor=actor, user_public_id=user_public_id)


def current_code_for_demo(session: Session, *, crypto: FieldCrypto, user_id: int) -> str | None:
    """Demo mode only: the code the persona's authenticator would show that the server will still
    accept, shown on the page (never outside demo). When this window's code was already used (a
    second login within 30 seconds), that is the next window's code, which the server accepts
    as clock drift; after that, None until the window passes."""
    user = session.get(User, user_id)
    if user is None or user.totp_secret is None:
        return None
    now = totp.time_step(utcnow())
    last = user.totp_last_step
    step = now if last is None or last < now else last + 1
    if step > now + 1:
        return None
    return totp.code_at(_open(crypto, user), step * totp.STEP_SECONDS)
