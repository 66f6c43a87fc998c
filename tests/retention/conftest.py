"""Retention tests shred into a key store of their own.

The anonymisers never decrypt, and shredding a demo subject in the run-wide key store would be
undone by no rollback: later suites that decrypt those demo records would fail."""

from __future__ import annotations

import pytest


@pytest.fixture
def crypto(tmp_path):  # type: ignore[no-untyped-def]
    """A throw-away key store: shredding a subject it never held still leaves a tombstone."""
    from fanguai.crypto.fields import FieldCrypto
    from fanguai.crypto.keystore import KeyStore
    from fanguai.crypto.provider import get_provider

    provider = get_provider()
    keystore = KeyStore(
        f"sqlite:///{tmp_path / 'keys.sqlite3'}",
        master_key=provider.random_bytes(16),
        provider=provider,
    )
    keystore.initialise()
    yield FieldCrypto(keystore, provider)
    keystore.close()
