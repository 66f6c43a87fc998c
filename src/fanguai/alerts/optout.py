"""Opt-out (退订): a volunteer's one-click link, and the app's push service withdrawing a token.

The link carries a token signed with a key derived from the platform secret: the subscriber's
public id (random, nothing personal), an expiry, and an HMAC-SHA256 tag over both. Nothing of
the person is in the URL, and a token cannot be made or altered without the secret.

The app's push service withdraws a push token by a request signed like the alerts the platform
sends it (``X-Fanguai-Timestamp``, ``X-Fanguai-Signature: sha256=HMAC(secret, ts + "." + body)``)
with its endpoint's secret, and names its endpoint in ``X-Fanguai-Endpoint``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from datetime import datetime, timedelta

from fanguai.alerts.transports import sign
from fanguai.errors import InvalidInput, NotAuthenticated

TOKEN_DAYS = 180
# How far a signed request's timestamp may be from the server's clock.
REQUEST_SKEW_SECONDS = 300
ENDPOINT_HEADER = "X-Fanguai-Endpoint"
_TOKEN = re.compile(r"^([0-9a-f-]{36})\.([0-9a-f]{1,12})\.([A-Za-z0-9_-]{20,40})$")


class TokenRefused(InvalidInput):
    """An opt-out token that is malformed, forged or expired (``expired`` tells which)."""

    def __init__(self, message: str, *, expired: bool = False) -> None:
        super().__init__(message, field="token")
        self.expired = expired


def _key(secret: str) -> bytes:
    # A key of its own for this purpose: the platform secret signs other things too.
    return hmac.new(secret.encode("utf-8"), b"fanguai.alerts.optout/1", hashlib.sha256).digest()


def _tag(secret: str, payload: str) -> str:
    mac = hmac.new(_key(secret), payload.encode("ascii"), hashlib.sha256).digest()[:24]
    return base64.urlsafe_b64encode(mac).decode("ascii").rstrip("=")


def make_token(secret: str, subscriber_public_id: str, now: datetime) -> str:
    """The opt-out token of a subscriber, valid for ``TOKEN_DAYS`` from ``now``."""
    expires = int((now + timedelta(days=TOKEN_DAYS)).timestamp())
    payload = f"{subscriber_public_id}.{expires:x}"
    return f"{payload}.{_tag(secret, payload)}"


def read_token(secret: str, token: str, now: datetime) -> str:
    """The subscriber's public id in a genuine, unexpired token; else ``TokenRefused``."""
    match = _TOKEN.match(token or "")
    if match is None:
        raise TokenRefused("the opt-out link is not valid")
    public_id, expires, tag = match.groups()
    if not hmac.compare_digest(tag, _tag(secret, f"{public_id}.{expires}")):
        raise TokenRefused("the opt-out link is not valid")
    if int(expires, 16) < now.timestamp():
        raise TokenRefused("the opt-out link has expired", expired=True)
    return public_id


def optout_path(secret: str, subscriber_public_id: str, now: datetime) -> str:
    """The path of the public opt-out page for a subscriber."""
    return f"/public/optout/{make_token(secret, subscriber_public_id, now)}"


def check_signed_request(
    secret: str | None, timestamp: str | None, signature: str | None, body: bytes, now: datetime
) -> None:
    """Refuse a request whose signature or timestamp is wrong (one answer for every cause)."""
    refused = NotAuthenticated("signature missing, wrong or out of date")
    # ASCII digits only, and a sane length: ``str.isdigit`` alone accepts "²", which ``int``
    # then refuses with a ValueError (a 500 instead of the one answer).
    if (
        not secret
        or not timestamp
        or not signature
        or len(timestamp) > 12
        or not (timestamp.isascii() and timestamp.isdigit())
    ):
        raise refused
    if abs(int(timestamp) - now.timestamp()) > REQUEST_SKEW_SECONDS:
        raise refused
    expected = sign(secret, timestamp, body)
    if not hmac.compare_digest(signature.encode("utf-8"), expected.encode("ascii")):
        raise refused
