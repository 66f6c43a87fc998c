"""TOTP second factor (RFC 6238: HMAC-SHA1, 6 digits, 30-second step) and recovery codes.

The 30-second step suits authenticator apps and stays within GM/T 0021's 60 seconds. Secrets
are 160 random bits from :mod:`secrets` (RFC 4226 recommends 160, SECURITY.md test A4 asks for
at least 128), exchanged as unpadded base32. Codes are single use: :func:`verify` returns the
matched time step, the caller stores it, and any code whose step is not after the stored one
is refused, which rejects a replay in the same window and an older code after a newer one.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import io
import math
import re
import secrets
import unicodedata
from datetime import datetime
from urllib.parse import quote, urlencode

import segno

__all__ = [
    "DIGITS",
    "STEP_SECONDS",
    "code_at",
    "hash_recovery_code",
    "new_secret",
    "provisioning_uri",
    "qr_svg",
    "recovery_codes",
    "time_step",
    "verify",
]

STEP_SECONDS = 30
DIGITS = 6
SECRET_BYTES = 20  # 160 bits
_MIN_SECRET_BYTES = 16  # 128 bits: refuse weaker secrets even when they come from elsewhere
_MAX_WINDOW = 10
_CODE = re.compile(r"[0-9]{6}", re.ASCII)

# Recovery codes avoid 0/O, 1/I/L and U so they survive being read aloud or copied by hand.
_RECOVERY_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
_RECOVERY_GROUPS = 2
_RECOVERY_GROUP_LEN = 4


def new_secret() -> str:
    """A fresh 160-bit TOTP secret, base32 without padding (32 characters)."""
    return base64.b32encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii").rstrip("=")


def _secret_bytes(secret: str) -> bytes:
    # Accept what people copy from apps: lower case, spaces, missing padding.
    cleaned = "".join(secret.split()).upper().rstrip("=")
    try:
        key = base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))
    except (binascii.Error, ValueError):
        raise ValueError("TOTP secret is not valid base32") from None
    if len(key) < _MIN_SECRET_BYTES:
        raise ValueError("TOTP secret is shorter than 128 bits")
    return key


def _unix_seconds(when: datetime | int) -> int:
    if isinstance(when, datetime):
        if when.tzinfo is None or when.utcoffset() is None:
            # A naive time would be read as local time and shift the step by hours.
            raise ValueError("TOTP needs an aware datetime")
        seconds = math.floor(when.timestamp())
    elif isinstance(when, int) and not isinstance(when, bool):
        seconds = when
    else:
        raise TypeError("when must be an aware datetime or Unix seconds")
    if seconds < 0:
        raise ValueError("TOTP time must not be before 1970")
    return seconds


def time_step(when: datetime | int) -> int:
    """The RFC 6238 time step (counter) that contains ``when``."""
    return _unix_seconds(when) // STEP_SECONDS


def _hotp(key: bytes, counter: int, digits: int) -> str:
    mac = hmac.new(key, counter.to_bytes(8, "big"), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    binary = int.from_bytes(mac[offset : offset + 4], "big") & 0x7FFFFFFF
    return str(binary % 10**digits).zfill(digits)


def code_at(secret: str, when: datetime | int, *, digits: int = DIGITS) -> str:
    """The TOTP code of base32 ``secret`` at ``when`` (aware datetime or Unix seconds)."""
    if digits not in (6, 7, 8):
        raise ValueError("digits must be 6, 7 or 8")
    return _hotp(_secret_bytes(secret), time_step(when), digits)


def verify(
    secret: str, code: str, *, now: datetime | int, last_used_step: int | None, window: int = 1
) -> int | None:
    """The time step matched by ``code`` within ±``window`` steps of ``now``, or None.

    Steps at or before ``last_used_step`` never match; store the returned step as the new one.
    """
    if not 0 <= window <= _MAX_WINDOW:
        raise ValueError(f"window must be between 0 and {_MAX_WINDOW}")
    if not isinstance(code, str):
        return None
    cleaned = "".join(code.split())  # apps show "123 456"
    if not _CODE.fullmatch(cleaned):
        return None
    key = _secret_bytes(secret)
    current = time_step(now)
    given = cleaned.encode("ascii")
    matched: int | None = None
    # Every candidate is computed and compared, so the time taken does not tell which matched.
    for step in range(max(current - window, 0), current + window + 1):
        expected = _hotp(key, step, DIGITS).encode("ascii")
        fresh = last_used_step is None or step > last_used_step
        if hmac.compare_digest(expected, given) and fresh:
            matched = step
    return matched


def provisioning_uri(secret: str, *, account: str, issuer: str = "fanguai 反拐") -> str:
    """The ``otpauth://totp/`` URI (Google Key URI format) that enrols ``secret`` in an app."""
    for name, value in (("account", account), ("issuer", issuer)):
        # The colon separates issuer and account in the label; apps cannot unescape it reliably.
        if not value or ":" in value:
            raise ValueError(f"{name} must be non-empty and contain no colon")
    canonical = base64.b32encode(_secret_bytes(secret)).decode("ascii").rstrip("=")
    label = f"{quote(issuer, safe='')}:{quote(account, safe='@')}"
    query = urlencode(
        {
            "secret": canonical,
            "issuer": issuer,
            "algorithm": "SHA1",
            "digits": DIGITS,
            "period": STEP_SECONDS,
        },
        quote_via=quote,  # %20 rather than "+", which some apps show literally
    )
    return f"otpauth://totp/{label}?{query}"


def qr_svg(uri: str, *, scale: int = 4) -> str:
    """A standalone SVG QR code of ``uri``, made locally, for inline use or a data: URI."""
    qr = segno.make(uri, error="m", micro=False)
    buffer = io.BytesIO()
    qr.save(
        buffer,
        kind="svg",
        xmldecl=False,
        svgns=True,  # needed when the SVG is used as an image (data: URI)
        nl=False,
        scale=scale,
        border=4,
        dark="#000",
        light="#fff",  # an explicit background keeps the code scannable on dark pages
        svgclass=None,
        lineclass=None,
    )
    return buffer.getvalue().decode("utf-8")


def recovery_codes(n: int = 10) -> list[str]:
    """``n`` distinct random single-use recovery codes such as ``7KQX-M4PD`` (about 39 bits)."""
    if not 1 <= n <= 100:
        raise ValueError("n must be between 1 and 100")
    codes: list[str] = []
    while len(codes) < n:
        groups = (
            "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_GROUP_LEN))
            for _ in range(_RECOVERY_GROUPS)
        )
        code = "-".join(groups)
        if code not in codes:
            codes.append(code)
    return codes


def _normalise_recovery_code(code: str) -> str:
    folded = unicodedata.normalize("NFKC", code).upper()
    return "".join(ch for ch in folded if ch.isalnum())


def hash_recovery_code(code: str, *, pepper: bytes | None = None) -> str:
    """Hex digest of a recovery code, ignoring case, spaces and hyphens, for storage.

    Without ``pepper`` this is SHA-256: enough against casual reading of the table, but a code
    has only about 39 bits, so whoever steals the table can search them offline. Pass a server
    key held outside the database as ``pepper`` (HMAC-SHA256) to prevent that; a code is then
    checked by hashing the entered code the same way and comparing with ``hmac.compare_digest``.
    """
    data = _normalise_recovery_code(code).encode("utf-8")
    if pepper is None:
        return hashlib.sha256(data).hexdigest()
    return hmac.new(pepper, data, hashlib.sha256).hexdigest()
