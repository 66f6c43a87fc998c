"""Password hashing with Argon2id."""

from __future__ import annotations

import os

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from fanguai.security.password_policy import normalise

# RFC 9106's second recommended option (64 MiB, 3 passes), 4 lanes. The test suite sets
# FANGUAI_ARGON2_PROFILE=fast: still Argon2id, with parameters cheap enough for thousands of logins.
_PROFILES = {
    "standard": {"time_cost": 3, "memory_cost": 64 * 1024, "parallelism": 4},
    "fast": {"time_cost": 1, "memory_cost": 8 * 1024, "parallelism": 1},
}
_HASHER = PasswordHasher(**_PROFILES[os.environ.get("FANGUAI_ARGON2_PROFILE", "standard")])
# Verified against on unknown user names so that timing does not reveal which names exist.
_DUMMY_HASH = _HASHER.hash("fanguai-dummy-password-for-timing")


def hash_password(password: str) -> str:
    """An Argon2id hash string of the NFKC form of ``password`` (whole: nothing is cut)."""
    return _HASHER.hash(normalise(password))


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches; a missing hash still costs one verification."""
    try:
        ok = _HASHER.verify(stored_hash or _DUMMY_HASH, normalise(password))
        return ok and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """Whether the stored hash uses weaker parameters than the current ones."""
    return _HASHER.check_needs_rehash(stored_hash)
