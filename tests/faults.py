"""Faults the meta-test (M1) injects, one at a time, to prove the suite notices them.

``FANGUAI_INJECT_FAULT=<name>`` makes tests/conftest.py apply one of these before the run.
"""

from __future__ import annotations

from collections.abc import Callable
from unittest import mock


def _unit_filter_off() -> list[mock._patch]:  # type: ignore[name-defined]
    # Every jurisdiction becomes the whole province: nothing is out of scope any more.
    return [mock.patch("fanguai.security.scope.jurisdiction_prefix", lambda code, level: "32")]


def _field_filter_off() -> list[mock._patch]:  # type: ignore[name-defined]
    return [
        mock.patch("fanguai.people.service.mask_name", lambda name: name),
        mock.patch("fanguai.people.service.mask", lambda value, *a, **k: value),
    ]


def _audit_skipped() -> list[mock._patch]:  # type: ignore[name-defined]
    class _Nothing:
        seq = 0

    return [mock.patch("fanguai.audit.service.append", lambda *a, **k: _Nothing())]


def _verifier_skips_chain() -> list[mock._patch]:  # type: ignore[name-defined]
    from fanguai.audit.service import VerifyResult

    return [mock.patch("fanguai.audit.service.verify", lambda session: VerifyResult(0, None, None))]


def _fixed_nonce() -> list[mock._patch]:  # type: ignore[name-defined]
    from fanguai.crypto.provider import SoftwareCryptoProvider

    real = SoftwareCryptoProvider.random_bytes

    def random_bytes(self, n: int) -> bytes:  # type: ignore[no-untyped-def]
        return bytes(n) if n == 12 else real(self, n)

    return [mock.patch.object(SoftwareCryptoProvider, "random_bytes", random_bytes)]


def _lockout_off() -> list[mock._patch]:  # type: ignore[name-defined]
    return [mock.patch("fanguai.security.service.MAX_FAILED_LOGINS", 10**9)]


def _idempotency_off() -> list[mock._patch]:  # type: ignore[name-defined]
    # Every idempotency key looks new: a retried lead is stored again instead of answered once.
    return [mock.patch("fanguai.leads.intake.replay", lambda *a, **k: None)]


def _version_check_off() -> list[mock._patch]:  # type: ignore[name-defined]
    # A change made against an old version of a lead goes through (lost updates).
    return [mock.patch("fanguai.leads.service.check_version", lambda lead, version: None)]


# fault → (how to inject it, the tests that must then fail)
FAULTS: dict[str, tuple[Callable[[], list], str]] = {
    "unit_filter_off": (_unit_filter_off, "tests/access/test_matrix.py"),
    "field_filter_off": (_field_filter_off, "tests/people/test_people.py"),
    "audit_skipped": (_audit_skipped, "tests/audit/test_coverage.py"),
    "verifier_skips_chain": (_verifier_skips_chain, "tests/audit/test_chain.py"),
    "fixed_nonce": (_fixed_nonce, "tests/crypto/test_nonces.py"),
    "lockout_off": (_lockout_off, "tests/web/test_sessions.py"),
    "idempotency_off": (_idempotency_off, "tests/leads/test_concurrency.py"),
    "version_check_off": (_version_check_off, "tests/leads/test_concurrency.py"),
}


def inject(name: str) -> list:
    """Start the patches of fault ``name``; returns them so they can be stopped."""
    patches = FAULTS[name][0]()
    for p in patches:
        p.start()
    return patches
