"""The one interface through which the platform uses cryptography (SECURITY.md decision 3).

``SoftwareCryptoProvider`` implements it with the ``cryptography`` package (SM3, HMAC-SM3,
SM4-GCM; OpenSSL underneath) and ``gmssl`` (SM2, pure Python). A certified hardware provider
(a cipher machine or HSM) can be registered under another name with ``register_provider`` and
chosen in production; everything above this module only sees ``CryptoProvider``.

Randomness comes from ``os.urandom`` only (and ``secrets`` for the SM2 scalars, which reads the
same source). ``gmssl`` draws its own randomness from the ``random`` module, which is not a
cryptographic generator, so this module never lets gmssl pick a private key or a signing nonce.
"""

from __future__ import annotations

import os
import re
import secrets
import threading
from collections.abc import Callable
from typing import Protocol, runtime_checkable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from gmssl import sm2 as gm_sm2

from fanguai.errors import DomainError

SM4_KEY_BYTES = 16
GCM_NONCE_BYTES = 12
GCM_TAG_BYTES = 16
SM3_DIGEST_BYTES = 32

# The default distinguishing identifier of GB/T 32918.2 / GM/T 0009 ("1234567812345678"),
# which gmssl hashes into the Z value of every SM2 signature.
SM2_DEFAULT_USER_ID = b"1234567812345678"

# Recommended SM2 curve (GB/T 32918.5), the one gmssl's default table holds.
_CURVE = gm_sm2.default_ecc_table
_P = int(_CURVE["p"], 16)
_A = int(_CURVE["a"], 16)
_B = int(_CURVE["b"], 16)
_N = int(_CURVE["n"], 16)
_G = _CURVE["g"]
_HEX = re.compile(r"\A[0-9a-fA-F]*\Z")


class CryptoIntegrityError(DomainError):
    """Authentication or decryption failed: the data was altered, moved or is not ours.

    Raised instead of ever returning unauthenticated bytes. The message is deliberately
    generic so that it tells an attacker nothing about which check failed.
    """

    status_code = 400
    code = "integrity"

    def __init__(
        self, message: str = "integrity check failed", *, field: str | None = None
    ) -> None:
        super().__init__(message, field=field)


@runtime_checkable
class CryptoProvider(Protocol):
    """The cryptographic operations the platform needs, all with Chinese commercial algorithms.

    Byte strings in, byte strings out; SM2 keys and signatures as hex text (private key: 64 hex
    digits; public key: uncompressed point ``04‖x‖y``, 130 hex digits; signature ``r‖s``,
    128 hex digits). Implementations must raise ``CryptoIntegrityError`` for a failed
    decryption, ``ValueError`` for malformed arguments, and must be safe to call from many
    threads at once.
    """

    name: str

    def random_bytes(self, n: int) -> bytes:
        """``n`` bytes from the operating system's cryptographic generator."""
        ...

    def sm3(self, data: bytes) -> bytes:
        """SM3 digest (32 bytes) of ``data``."""
        ...

    def hmac_sm3(self, key: bytes, data: bytes) -> bytes:
        """HMAC-SM3 (32 bytes) of ``data`` under ``key``."""
        ...

    def sm4_gcm_encrypt(self, key: bytes, nonce: bytes, plaintext: bytes, aad: bytes) -> bytes:
        """SM4-GCM: ciphertext followed by the 16-byte tag."""
        ...

    def sm4_gcm_decrypt(self, key: bytes, nonce: bytes, data: bytes, aad: bytes) -> bytes:
        """Reverse of ``sm4_gcm_encrypt``; ``CryptoIntegrityError`` if anything was altered."""
        ...

    def sm2_generate_keypair(self) -> tuple[str, str]:
        """A fresh SM2 key pair as (private hex, public hex)."""
        ...

    def sm2_sign(self, private_hex: str, data: bytes) -> str:
        """SM2 signature (hex ``r‖s``) of SM3(Z‖data) with the default user ID."""
        ...

    def sm2_verify(self, public_hex: str, data: bytes, signature_hex: str) -> bool:
        """Whether ``signature_hex`` is a valid SM2 signature of ``data`` under the key."""
        ...


def _check_bytes(name: str, value: object, length: int | None = None) -> bytes:
    if not isinstance(value, bytes | bytearray | memoryview):
        raise TypeError(f"{name} must be bytes, not {type(value).__name__}")
    value = bytes(value)
    if length is not None and len(value) != length:
        raise ValueError(f"{name} must be {length} bytes, got {len(value)}")
    return value


def _parse_private_key(private_hex: str) -> int:
    if not isinstance(private_hex, str) or len(private_hex) != 64 or not _HEX.match(private_hex):
        raise ValueError("SM2 private key must be 64 hex digits")
    d = int(private_hex, 16)
    # GB/T 32918.1: d in [1, n-2] (d = n-1 has no inverse of 1+d).
    if not 1 <= d <= _N - 2:
        raise ValueError("SM2 private key out of range")
    return d


def _parse_public_key(public_hex: str) -> str:
    """Validate an SM2 public key and return it as 128 hex digits ``x‖y`` (what gmssl needs)."""
    if not isinstance(public_hex, str) or not _HEX.match(public_hex):
        raise ValueError("SM2 public key must be hex")
    if len(public_hex) == 130 and public_hex[:2] == "04":
        public_hex = public_hex[2:]
    if len(public_hex) != 128:
        raise ValueError("SM2 public key must be 04‖x‖y (130 hex digits) or x‖y (128)")
    x, y = int(public_hex[:64], 16), int(public_hex[64:], 16)
    # On the curve (cofactor 1, so every affine point on it lies in the prime-order group).
    if x >= _P or y >= _P or (y * y - (x * x * x + _A * x + _B)) % _P != 0:
        raise ValueError("SM2 public key is not a point on the curve")
    return public_hex.lower()


class SoftwareCryptoProvider:
    """``CryptoProvider`` in software: ``cryptography`` for SM3/SM4/HMAC-SM3, gmssl for SM2."""

    name = "software"

    # -- randomness and hashing --------------------------------------------------------------

    def random_bytes(self, n: int) -> bytes:
        """``n`` bytes from ``os.urandom``."""
        if not isinstance(n, int) or isinstance(n, bool) or n < 0:
            raise ValueError("n must be a non-negative integer")
        return os.urandom(n)

    def sm3(self, data: bytes) -> bytes:
        """SM3 digest (GB/T 32905) of ``data``."""
        digest = hashes.Hash(hashes.SM3())
        digest.update(_check_bytes("data", data))
        return digest.finalize()

    def hmac_sm3(self, key: bytes, data: bytes) -> bytes:
        """HMAC (RFC 2104) with SM3 of ``data`` under ``key``."""
        mac = hmac.HMAC(_check_bytes("key", key), hashes.SM3())
        mac.update(_check_bytes("data", data))
        return mac.finalize()

    # -- SM4-GCM ------------------------------------------------------------------------------

    def sm4_gcm_encrypt(self, key: bytes, nonce: bytes, plaintext: bytes, aad: bytes) -> bytes:
        """SM4-GCM encryption (GB/T 32907 + GCM, as in RFC 8998): ciphertext‖16-byte tag."""
        encryptor = Cipher(
            algorithms.SM4(_check_bytes("key", key, SM4_KEY_BYTES)),
            modes.GCM(_check_bytes("nonce", nonce, GCM_NONCE_BYTES)),
        ).encryptor()
        encryptor.authenticate_additional_data(_check_bytes("aad", aad))
        ciphertext = encryptor.update(_check_bytes("plaintext", plaintext)) + encryptor.finalize()
        return ciphertext + encryptor.tag

    def sm4_gcm_decrypt(self, key: bytes, nonce: bytes, data: bytes, aad: bytes) -> bytes:
        """SM4-GCM decryption; ``CryptoIntegrityError`` unless the tag verifies."""
        key = _check_bytes("key", key, SM4_KEY_BYTES)
        nonce = _check_bytes("nonce", nonce, GCM_NONCE_BYTES)
        data = _check_bytes("data", data)
        aad = _check_bytes("aad", aad)
        if len(data) < GCM_TAG_BYTES:
            raise CryptoIntegrityError()
        ciphertext, tag = data[:-GCM_TAG_BYTES], data[-GCM_TAG_BYTES:]
        decryptor = Cipher(
            algorithms.SM4(key), modes.GCM(nonce, tag, min_tag_length=GCM_TAG_BYTES)
        ).decryptor()
        decryptor.authenticate_additional_data(aad)
        # ``update`` yields bytes before the tag is checked; they are only returned once
        # ``finalize`` has verified it.
        plaintext = decryptor.update(ciphertext)
        try:
            plaintext += decryptor.finalize()
        except InvalidTag:
            raise CryptoIntegrityError() from None
        return plaintext

    # -- SM2 ----------------------------------------------------------------------------------

    def _sm2(self, private_hex: str, public_xy: str) -> gm_sm2.CryptSM2:
        signer = gm_sm2.CryptSM2(private_key=private_hex, public_key="")
        # Set the key after construction: gmssl's constructor "strips" a 04 prefix with
        # ``str.lstrip("04")``, which also eats leading 0 and 4 digits of the x coordinate.
        signer.public_key = public_xy
        return signer

    def sm2_public_key(self, private_hex: str) -> str:
        """The public key (``04‖x‖y`` hex) of an SM2 private key (software provider only)."""
        d = _parse_private_key(private_hex)
        point = self._sm2(private_hex, "")._kg(d, _G)
        if point is None:  # pragma: no cover - impossible for d in [1, n-2]
            raise ValueError("SM2 private key out of range")
        return "04" + point

    def sm2_generate_keypair(self) -> tuple[str, str]:
        """A fresh SM2 key pair; the private scalar comes from ``secrets`` (never gmssl)."""
        d = secrets.randbelow(_N - 2) + 1  # uniform in [1, n-2]
        private_hex = f"{d:064x}"
        return private_hex, self.sm2_public_key(private_hex)

    def _sm2_sign_with_k(self, private_hex: str, data: bytes, k: int) -> str | None:
        """One signing attempt with the nonce ``k`` (exposed for the known-answer test)."""
        public_xy = self.sm2_public_key(private_hex)[2:]
        signature = self._sm2(private_hex.lower(), public_xy).sign_with_sm3(
            _check_bytes("data", data), f"{k:064x}"
        )
        return signature

    def sm2_sign(self, private_hex: str, data: bytes) -> str:
        """SM2 signature with SM3 and the default user ID; the nonce comes from ``secrets``."""
        _parse_private_key(private_hex)
        while True:
            k = secrets.randbelow(_N - 1) + 1  # uniform in [1, n-1]
            signature = self._sm2_sign_with_k(private_hex, data, k)
            if signature is not None:  # gmssl returns None for r = 0, r + k = n or s = 0
                return signature

    def sm2_verify(self, public_hex: str, data: bytes, signature_hex: str) -> bool:
        """Verify an SM2 signature; malformed keys or signatures simply do not verify."""
        data = _check_bytes("data", data)
        try:
            public_xy = _parse_public_key(public_hex)
        except ValueError:
            return False
        if (
            not isinstance(signature_hex, str)
            or len(signature_hex) != 128
            or not _HEX.match(signature_hex)
        ):
            return False
        r, s = int(signature_hex[:64], 16), int(signature_hex[64:], 16)
        if not (1 <= r < _N and 1 <= s < _N):  # GB/T 32918.2 §7.1 B1, B2
            return False
        try:
            return bool(self._sm2("", public_xy).verify_with_sm3(signature_hex.lower(), data))
        except (TypeError, ValueError):  # degenerate points inside gmssl
            return False


# -- registry --------------------------------------------------------------------------------

_registry_lock = threading.Lock()
_factories: dict[str, Callable[[], CryptoProvider]] = {"software": SoftwareCryptoProvider}


def register_provider(name: str, factory: Callable[[], CryptoProvider]) -> None:
    """Make a provider (e.g. a certified hardware one) available under ``name``."""
    if not name or not isinstance(name, str):
        raise ValueError("provider name must be a non-empty string")
    with _registry_lock:
        _factories[name] = factory


def providers() -> list[str]:
    """Names of every registered provider (the D3 known-answer tests run against each)."""
    with _registry_lock:
        return sorted(_factories)


def get_provider(name: str = "software") -> CryptoProvider:
    """A new instance of the provider registered under ``name``."""
    with _registry_lock:
        factory = _factories.get(name)
        known = ", ".join(sorted(_factories))
    if factory is None:
        raise ValueError(f"unknown crypto provider {name!r}; known: {known}")
    return factory()
