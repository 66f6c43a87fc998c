"""Test A4 (OTP properties): RFC 6238 vectors, step, seed size, single use, window, enrolment."""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
import time_machine
from hypothesis import given, settings
from hypothesis import strategies as st

from fanguai.security import totp
from fanguai.security.totp import (
    code_at,
    hash_recovery_code,
    new_secret,
    provisioning_uri,
    qr_svg,
    recovery_codes,
    time_step,
    verify,
)

RFC_SECRET = base64.b32encode(b"12345678901234567890").decode().rstrip("=")
RFC_VECTORS = [  # RFC 6238 appendix B, SHA1
    (59, "94287082"),
    (1111111109, "07081804"),
    (1111111111, "14050471"),
    (1234567890, "89005924"),
    (2000000000, "69279037"),
    (20000000000, "65353130"),
]
NOW = datetime(2026, 3, 1, 8, 0, 15, tzinfo=UTC)  # 15 s into a step


@pytest.mark.parametrize(("unix", "expected"), RFC_VECTORS)
def test_rfc6238_vectors(unix: int, expected: str) -> None:
    assert code_at(RFC_SECRET, unix, digits=8) == expected
    assert code_at(RFC_SECRET, datetime.fromtimestamp(unix, UTC), digits=8) == expected
    # Six digits come from the same truncated value, so they are the last six of eight.
    assert code_at(RFC_SECRET, unix) == expected[-6:]


def test_code_at_accepts_any_timezone_and_rejects_naive_times() -> None:
    beijing = timezone(timedelta(hours=8))
    assert code_at(RFC_SECRET, NOW) == code_at(RFC_SECRET, NOW.astimezone(beijing))
    with pytest.raises(ValueError, match="aware"):
        code_at(RFC_SECRET, datetime(2026, 3, 1, 8, 0))  # noqa: DTZ001 - naive on purpose
    with pytest.raises(ValueError):
        code_at(RFC_SECRET, -1)
    with pytest.raises(ValueError):
        code_at(RFC_SECRET, 59, digits=4)


def test_step_is_30_seconds() -> None:
    assert totp.STEP_SECONDS == 30 <= 60  # RFC 6238 default, within GM/T 0021's 60 s
    assert totp.DIGITS == 6
    start = 1_800_000_000 - 1_800_000_000 % 30
    assert {code_at(RFC_SECRET, start + s) for s in range(30)} == {code_at(RFC_SECRET, start)}
    assert code_at(RFC_SECRET, start + 30) != code_at(RFC_SECRET, start)
    assert time_step(start + 29) == time_step(start) == start // 30
    assert time_step(start + 30) == start // 30 + 1


def test_new_secret_has_160_random_bits() -> None:
    secrets_seen = {new_secret() for _ in range(200)}
    assert len(secrets_seen) == 200
    for secret in secrets_seen:
        assert re.fullmatch(r"[A-Z2-7]{32}", secret)  # base32, no padding
        key = base64.b32decode(secret)
        assert len(key) * 8 == 160 >= 128


def test_short_secrets_are_refused() -> None:
    short = base64.b32encode(b"0123456789abcde").decode()  # 120 bits
    with pytest.raises(ValueError, match="128 bits"):
        code_at(short, NOW)
    with pytest.raises(ValueError, match="base32"):
        code_at("not base32!", NOW)


def test_secret_is_read_leniently() -> None:
    secret = new_secret()
    spaced = " ".join(secret[i : i + 4] for i in range(0, 32, 4)).lower()
    assert code_at(spaced, NOW) == code_at(secret, NOW)


def test_current_code_verifies_and_returns_its_step() -> None:
    secret = new_secret()
    step = verify(secret, code_at(secret, NOW), now=NOW, last_used_step=None)
    assert step == time_step(NOW)


def test_replay_in_the_same_window_is_rejected() -> None:
    secret = new_secret()
    code = code_at(secret, NOW)
    used = verify(secret, code, now=NOW, last_used_step=None)
    assert used is not None
    assert verify(secret, code, now=NOW, last_used_step=used) is None
    assert verify(secret, code, now=NOW + timedelta(seconds=10), last_used_step=used) is None
    assert verify(secret, code, now=NOW + timedelta(seconds=30), last_used_step=used) is None


def test_older_code_after_a_newer_one_is_rejected() -> None:
    secret = new_secret()
    newer = verify(
        secret, code_at(secret, NOW + timedelta(seconds=30)), now=NOW, last_used_step=None
    )
    assert newer == time_step(NOW) + 1
    assert verify(secret, code_at(secret, NOW), now=NOW, last_used_step=newer) is None
    # The next step's code is fine once its time comes round.
    later = NOW + timedelta(seconds=60)
    assert verify(secret, code_at(secret, later), now=later, last_used_step=newer) == newer + 1


def test_window_of_one_step() -> None:
    secret = new_secret()
    current = time_step(NOW)
    for offset in (-1, 0, 1):
        code = code_at(secret, NOW + timedelta(seconds=30 * offset))
        assert verify(secret, code, now=NOW, last_used_step=None) == current + offset
    for offset in (-2, 2, -3, 3):
        code = code_at(secret, NOW + timedelta(seconds=30 * offset))
        if code in {code_at(secret, NOW + timedelta(seconds=30 * o)) for o in (-1, 0, 1)}:
            continue  # a one-in-a-million collision with an accepted code
        assert verify(secret, code, now=NOW, last_used_step=None) is None
    previous = code_at(secret, NOW - timedelta(seconds=30))
    if previous != code_at(secret, NOW):
        assert verify(secret, previous, now=NOW, last_used_step=None, window=0) is None
    with pytest.raises(ValueError):
        verify(secret, previous, now=NOW, last_used_step=None, window=-1)


def test_window_works_with_an_injected_clock() -> None:
    secret = new_secret()
    with time_machine.travel(NOW, tick=False):
        code = code_at(secret, datetime.now(UTC))
    with time_machine.travel(NOW + timedelta(seconds=30), tick=False):
        assert verify(secret, code, now=datetime.now(UTC), last_used_step=None) is not None
    with time_machine.travel(NOW + timedelta(seconds=75), tick=False):
        assert verify(secret, code, now=datetime.now(UTC), last_used_step=None) is None


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "12345",
        "1234567",
        "12345a",
        "abcdef",
        "12-345",
        "+12345",
        "-12345",
        "１２３４５６",
        "١٢٣٤٥٦",
        "123456\n7",
        "0x1234",
        "1e5000",
        "123 45",
        None,
        123456,
        b"123456",
    ],
)
def test_malformed_codes_are_rejected(bad: object) -> None:
    secret = new_secret()
    assert verify(secret, bad, now=NOW, last_used_step=None) is None  # type: ignore[arg-type]


def test_spaces_in_a_code_are_ignored() -> None:
    secret = new_secret()
    code = code_at(secret, NOW)
    spaced = f" {code[:3]} {code[3:]}\t"
    assert verify(secret, spaced, now=NOW, last_used_step=None) == time_step(NOW)


def test_a_wrong_code_is_rejected() -> None:
    secret = new_secret()
    accepted = {code_at(secret, NOW + timedelta(seconds=30 * o)) for o in (-1, 0, 1)}
    wrong = next(f"{n:06d}" for n in range(1_000_000) if f"{n:06d}" not in accepted)
    assert verify(secret, wrong, now=NOW, last_used_step=None) is None


@settings(max_examples=200, deadline=None)
@given(
    key=st.binary(min_size=16, max_size=64),
    unix=st.integers(min_value=60, max_value=2**34),
)
def test_any_current_code_verifies_once(key: bytes, unix: int) -> None:
    secret = base64.b32encode(key).decode().rstrip("=")
    code = code_at(secret, unix)
    assert re.fullmatch(r"[0-9]{6}", code)
    step = verify(secret, code, now=unix, last_used_step=None)
    assert step is not None and abs(step - unix // 30) <= 1
    assert verify(secret, code, now=unix, last_used_step=step) is None


def test_provisioning_uri() -> None:
    secret = new_secret()
    uri = provisioning_uri(secret, account="zhang.wei@js 公安")
    parts = urlsplit(uri)
    assert parts.scheme == "otpauth"
    assert parts.netloc == "totp"
    assert uri.isascii() and " " not in uri
    issuer, account = unquote(parts.path.lstrip("/")).split(":")
    assert issuer == "fanguai 反拐"
    assert account == "zhang.wei@js 公安"
    query = {k: v[0] for k, v in parse_qs(parts.query, strict_parsing=True).items()}
    assert query == {
        "secret": secret,
        "issuer": "fanguai 反拐",
        "algorithm": "SHA1",
        "digits": "6",
        "period": "30",
    }
    assert "+" not in parts.query  # spaces as %20


def test_provisioning_uri_validation() -> None:
    secret = new_secret()
    custom = provisioning_uri(secret.lower(), account="li", issuer="ACME&Co")
    query = parse_qs(urlsplit(custom).query)
    assert query["issuer"] == ["ACME&Co"]
    assert query["secret"] == [secret]  # canonical upper case
    for bad in ({"account": "a:b"}, {"account": ""}, {"account": "x", "issuer": "a:b"}):
        with pytest.raises(ValueError):
            provisioning_uri(secret, **bad)
    with pytest.raises(ValueError):
        provisioning_uri(base64.b32encode(b"short").decode(), account="li")


def test_qr_svg_is_self_contained() -> None:
    uri = provisioning_uri(new_secret(), account="zhang.wei")
    svg = qr_svg(uri)
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
    assert 'xmlns="http://www.w3.org/2000/svg"' in svg
    assert "<path" in svg
    urls = set(re.findall(r"https?://[^\s\"'<>)]+", svg, flags=re.IGNORECASE))
    assert urls <= {"http://www.w3.org/2000/svg"}
    assert "xlink" not in svg and "<image" not in svg and "<script" not in svg
    assert uri not in svg  # the secret is drawn, not written out
    base64.b64encode(svg.encode("utf-8"))  # usable as a data: URI


def test_recovery_codes() -> None:
    codes = recovery_codes()
    assert len(codes) == 10 == len(set(codes))
    for code in codes:
        assert re.fullmatch(r"{0}{{4}}-{0}{{4}}".format("[23456789ABCDEFGHJKMNPQRSTVWXYZ]"), code)
    assert len(recovery_codes(3)) == 3
    assert set(recovery_codes()) != set(codes)
    with pytest.raises(ValueError):
        recovery_codes(0)


def test_hash_recovery_code() -> None:
    digest = hash_recovery_code("7KQX-M4PD")
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    assert hash_recovery_code(" 7kqx m4pd ") == digest
    assert hash_recovery_code("７ＫＱＸ－Ｍ４ＰＤ") == digest
    assert hash_recovery_code("7KQXM4PD") == digest
    assert hash_recovery_code("7KQX-M4PE") != digest
    peppered = hash_recovery_code("7KQX-M4PD", pepper=b"server-key")
    assert peppered != digest
    assert hash_recovery_code("7kqx-m4pd", pepper=b"server-key") == peppered
    assert hash_recovery_code("7KQX-M4PD", pepper=b"other-key") != peppered
