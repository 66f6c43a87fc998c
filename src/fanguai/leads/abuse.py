"""Abuse control of the public channel without a CAPTCHA (SECURITY.md H1-H3, G4).

- Rate limits (H1): counters per keyed hash of the address (and of its /24 network), under a key
  that rotates every day, in a table that names no lead. Only the count survives; a hash from
  one day cannot be linked to the next.
- Proof of work (H2): the server signs a challenge (random, difficulty, issue and expiry time);
  the browser finds a nonce whose SHA-256(challenge ":" nonce) starts with that many zero bits.
  A used challenge is remembered until it expires, so a replay is refused.
- Bot signals (H3): a filled honeypot field, or a form sent sooner than MIN_FILL_SECONDS after
  its challenge was issued, quarantines the lead (kept, reviewable, not in the inbox).
- Idempotency keys (G4): hashed, with a hash of the request they came with.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import ipaddress
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from fanguai.core.actions import bookkeeping
from fanguai.errors import DomainError, InvalidInput
from fanguai.leads import catalogue
from fanguai.leads.models import RateBucket, SpentChallenge

# Lookups of a lead's status: more generous than submissions, still far from brute force.
STATUS_LIMITS = (30, 300, 5000)


class RateLimited(DomainError):
    """Too many requests from one address or network: try again after ``retry_after`` seconds."""

    status_code = 429
    code = "rate_limited"

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many requests; try again in {retry_after} seconds")
        self.retry_after = retry_after


class IdempotencyKeyMissing(DomainError):
    """A submission through the API without an ``Idempotency-Key`` header (400)."""

    code = "idempotency_key_required"

    def __init__(self) -> None:
        super().__init__("the Idempotency-Key header is required", field="Idempotency-Key")


# --- rate limits -------------------------------------------------------------------------


def _day_key(secret: bytes, now: datetime) -> bytes:
    """Today's key: yesterday's hashes cannot be recomputed from today's."""
    return hmac.new(secret, f"leads-rate|{now:%Y-%m-%d}".encode(), hashlib.sha256).digest()


def network_of(address: str) -> str:
    """The /24 (IPv4) or /48 (IPv6) network of an address; a non-IP name is its own network."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


def _windows(now: datetime) -> list[tuple[str, str, datetime]]:
    minute = now.replace(second=0, microsecond=0)
    hour = now.replace(minute=0, second=0, microsecond=0)
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return [
        ("minute", f"{minute:%Y%m%d%H%M}", minute + timedelta(minutes=1)),
        ("day", f"{day:%Y%m%d}", day + timedelta(days=1)),
        ("hour", f"{hour:%Y%m%d%H}", hour + timedelta(hours=1)),
    ]


def _increment(session: Session, key: str, window_end: datetime) -> int:
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = (
        insert(RateBucket)
        .values(key=key, window_end=window_end, count=1)
        .on_conflict_do_update(
            index_elements=[RateBucket.key], set_={"count": RateBucket.count + 1}
        )
        .returning(RateBucket.count)
    )
    return int(session.execute(stmt).scalar_one())


def check_rate(
    session: Session,
    *,
    secret: bytes,
    address: str | None,
    now: datetime,
    purpose: str = "submit",
) -> None:
    """Count this request and raise ``RateLimited`` when a limit is passed (H1).

    Limits: per address per minute and per day, per /24 network per hour (see
    ``catalogue.rate_limits``). Every attempt counts, refused ones too."""
    limits = catalogue.rate_limits()
    if limits is None or not address:
        return
    if purpose == "status":
        limits = STATUS_LIMITS
    now = now.astimezone(UTC)
    day_key = _day_key(secret, now)
    subjects = {"minute": address, "day": address, "hour": network_of(address)}
    allowed = dict(zip(("minute", "day", "hour"), limits, strict=True))
    retry_after = 0
    with bookkeeping(session):
        for kind, window, window_end in _windows(now):
            label = f"{purpose}|{kind}|{subjects[kind]}|{window}"
            key = hmac.new(day_key, label.encode(), hashlib.sha256).hexdigest()
            if _increment(session, key, window_end) > allowed[kind]:
                retry_after = max(retry_after, int((window_end - now).total_seconds()) + 1)
    if retry_after:
        raise RateLimited(retry_after)


# --- proof of work -------------------------------------------------------------------------


@dataclass(frozen=True)
class Challenge:
    """A verified challenge: its text, difficulty, issue and expiry time, and its digest."""

    token: str
    bits: int
    issued_at: datetime
    expires_at: datetime

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.token.encode()).hexdigest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _sign(secret: bytes, body: str) -> str:
    return hmac.new(secret, f"leads-pow|{body}".encode(), hashlib.sha256).hexdigest()[:32]


def issue_challenge(secret: bytes, *, now: datetime, bits: int | None = None) -> Challenge:
    """A fresh signed challenge (nothing is stored until it is used)."""
    bits = catalogue.pow_bits() if bits is None else bits
    issued = int(now.timestamp())
    expires = issued + catalogue.CHALLENGE_HOURS * 3600
    payload = {"r": secrets.token_hex(12), "b": bits, "i": issued, "e": expires}
    body = _b64(json.dumps(payload, separators=(",", ":")).encode())
    token = f"{body}.{_sign(secret, body)}"
    return Challenge(
        token, bits, datetime.fromtimestamp(issued, UTC), datetime.fromtimestamp(expires, UTC)
    )


def parse_challenge(secret: bytes, token: str | None, *, now: datetime) -> Challenge:
    """The challenge if it is ours, intact and unexpired; else ``InvalidInput`` on ``challenge``."""
    if not token or len(token) > 400 or token.count(".") != 1:
        raise InvalidInput("proof-of-work challenge missing or malformed", field="challenge")
    body, signature = token.split(".")
    if not hmac.compare_digest(signature, _sign(secret, body)):
        raise InvalidInput("proof-of-work challenge not issued here", field="challenge")
    try:
        payload: dict[str, Any] = json.loads(
            base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        )
        bits, issued, expires = int(payload["b"]), int(payload["i"]), int(payload["e"])
    except (binascii.Error, ValueError, KeyError, TypeError):
        raise InvalidInput("proof-of-work challenge malformed", field="challenge") from None
    challenge = Challenge(
        token, bits, datetime.fromtimestamp(issued, UTC), datetime.fromtimestamp(expires, UTC)
    )
    if now >= challenge.expires_at:
        raise InvalidInput("proof-of-work challenge expired; ask for a new one", field="challenge")
    return challenge


def leading_zero_bits(digest: bytes) -> int:
    """How many zero bits ``digest`` starts with."""
    count = 0
    for byte in digest:
        if byte == 0:
            count += 8
            continue
        return count + 8 - byte.bit_length()
    return count


def solves(challenge: Challenge, nonce: str | None) -> bool:
    """Whether SHA-256(challenge ":" nonce) starts with the challenge's number of zero bits."""
    if not nonce or len(nonce) > 32 or not nonce.isascii() or not nonce.isalnum():
        return False
    digest = hashlib.sha256(f"{challenge.token}:{nonce}".encode()).digest()
    return leading_zero_bits(digest) >= challenge.bits


def solve(token: str, bits: int) -> str:
    """Find a nonce for a challenge (what the browser does; used by tests and benchmarks)."""
    nonce = 0
    while True:
        digest = hashlib.sha256(f"{token}:{nonce}".encode()).digest()
        if leading_zero_bits(digest) >= bits:
            return str(nonce)
        nonce += 1


def spend_challenge(session: Session, challenge: Challenge) -> None:
    """Remember the challenge as used (inside the submission's action); a replay is refused."""
    if session.get(SpentChallenge, challenge.digest) is not None:
        raise InvalidInput("proof-of-work challenge already used", field="challenge")
    session.add(SpentChallenge(digest=challenge.digest, expires_at=challenge.expires_at))


def bot_signal(*, honeypot: str | None, challenge: Challenge, now: datetime) -> str | None:
    """Why a submission looks automated (``honeypot`` or ``too_fast``), or None (H3)."""
    if honeypot and honeypot.strip():
        return "honeypot"
    if (now - challenge.issued_at).total_seconds() < catalogue.MIN_FILL_SECONDS:
        return "too_fast"
    return None


# --- idempotency keys ------------------------------------------------------------------------


def check_idempotency_key(key: str | None) -> str:
    """The key as given, or a refusal: missing (400) or malformed (422)."""
    if key is None or key == "":
        raise IdempotencyKeyMissing()
    if not 8 <= len(key) <= 128 or not key.isascii() or not key.isprintable():
        raise InvalidInput(
            "Idempotency-Key must be 8 to 128 printable ASCII characters", field="Idempotency-Key"
        )
    return key


def key_hash(key: str) -> str:
    """What is stored of an idempotency key."""
    return hashlib.sha256(key.encode()).hexdigest()


def request_hash(content: dict[str, Any]) -> str:
    """A digest of a submission's content (order of keys does not matter)."""
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


# --- housekeeping ---------------------------------------------------------------------------


def purge_expired(session: Session, *, now: datetime) -> dict[str, int]:
    """Delete spent challenges and rate buckets past their time (inside the caller's action)."""
    spent = session.execute(delete(SpentChallenge).where(SpentChallenge.expires_at <= now))
    buckets = session.execute(delete(RateBucket).where(RateBucket.window_end <= now))
    return {"challenges": spent.rowcount or 0, "rate_buckets": buckets.rowcount or 0}
