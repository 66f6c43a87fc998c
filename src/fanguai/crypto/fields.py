"""Field-level encryption (SM4-GCM under the subject's DEK) and blind indexes (HMAC-SM3).

Token format (text, safe in any column or JSON)::

    "fg1:" + base64url_nopad( header ‖ nonce ‖ ciphertext ‖ tag )
    header = version (1 byte, 0x01) ‖ key_id (16 bytes)
    nonce  = 12 bytes from the provider's random_bytes
    tag    = 16 bytes

AAD = utf8(table ␟ column ␟ row_id ␟ subject_id ␟) ‖ header, where ␟ is U+001F (unit
separator, refused inside the four names). The AAD therefore binds a ciphertext to its table,
column, row and subject, and authenticates the whole header (version and key_id).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import re
import unicodedata

from fanguai.crypto.keystore import KEY_ID_BYTES, KeyStore, SubjectShredded
from fanguai.crypto.provider import (
    GCM_NONCE_BYTES,
    GCM_TAG_BYTES,
    CryptoIntegrityError,
    CryptoProvider,
)

TOKEN_PREFIX = "fg1:"  # noqa: S105 - a format marker, not a secret
TOKEN_VERSION = 1
HEADER_BYTES = 1 + KEY_ID_BYTES
MIN_TOKEN_BYTES = HEADER_BYTES + GCM_NONCE_BYTES + GCM_TAG_BYTES
_SEP = "\x1f"
_B64URL = re.compile(r"\A[A-Za-z0-9_-]*\Z")
_SPACES = re.compile(r"\s+")

__all__ = ["FieldCrypto", "SubjectShredded", "mask", "normalise_for_index"]


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    if not _B64URL.match(text) or len(text) % 4 == 1:
        raise CryptoIntegrityError()
    try:
        raw = base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        raise CryptoIntegrityError() from None
    # Only the canonical spelling is accepted, so one ciphertext has exactly one token.
    if _b64encode(raw) != text:
        raise CryptoIntegrityError()
    return raw


def _parse(token: str) -> tuple[bytes, str, bytes, bytes]:
    """Split a token into (header, key_id hex, nonce, ciphertext‖tag) or raise."""
    if not isinstance(token, str) or not token.startswith(TOKEN_PREFIX):
        raise CryptoIntegrityError()
    raw = _b64decode(token[len(TOKEN_PREFIX) :])
    if len(raw) < MIN_TOKEN_BYTES or raw[0] != TOKEN_VERSION:
        raise CryptoIntegrityError()
    header = raw[:HEADER_BYTES]
    nonce = raw[HEADER_BYTES : HEADER_BYTES + GCM_NONCE_BYTES]
    return header, header[1:].hex(), nonce, raw[HEADER_BYTES + GCM_NONCE_BYTES :]


def _context(table: str, column: str, row_id: str, subject_id: str) -> bytes:
    parts = (table, column, row_id, subject_id)
    for name, part in zip(("table", "column", "row_id", "subject_id"), parts, strict=True):
        if not isinstance(part, str) or not part:
            raise ValueError(f"{name} must be a non-empty string")
        if _SEP in part:
            raise ValueError(f"{name} must not contain U+001F")
    return "".join(part + _SEP for part in parts).encode("utf-8")


def normalise_for_index(value: str) -> str:
    """The blind-index normal form: NFKC, whitespace runs → one space, stripped, upper-case."""
    if not isinstance(value, str):
        raise TypeError("value must be a string")
    text = unicodedata.normalize("NFKC", value)
    return _SPACES.sub(" ", text).strip().upper()


def mask(value: str, keep_start: int = 3, keep_end: int = 4) -> str:
    """Mask the middle of ``value`` with ``*``, keeping ``keep_start`` and ``keep_end`` characters.

    ``mask("320502199001011234")`` → ``"320***********1234"``; ``keep_start=4`` gives
    ``"3205**********1234"``. A value no longer than ``keep_start + keep_end`` is masked
    entirely (its length is the only thing shown).
    """
    if keep_start < 0 or keep_end < 0:
        raise ValueError("keep_start and keep_end must not be negative")
    if len(value) <= keep_start + keep_end:
        return "*" * len(value)
    return (
        value[:keep_start]
        + "*" * (len(value) - keep_start - keep_end)
        + (value[len(value) - keep_end :])
    )


class FieldCrypto:
    """Encrypts and decrypts single field values, and computes blind indexes.

    Each value is encrypted with SM4-GCM under the data key of the subject it belongs to
    (``KeyStore.data_key``), with a fresh 96-bit random nonce, and bound through the AAD to
    its table, column, row and subject: a token copied anywhere else does not decrypt.
    Shredding the subject (``KeyStore.shred``) makes all of its tokens undecryptable.

    Example::

        provider = SoftwareCryptoProvider()
        store = KeyStore("sqlite:///var/keys/keystore.sqlite3",
                         master_key=master_key, provider=provider)
        store.initialise()
        fields = FieldCrypto(store, provider)
        token = fields.encrypt("320502199001011234", subject_id="person-7f3a",
                               table="person", column="id_card", row_id="42")
        fields.decrypt(token, subject_id="person-7f3a",
                       table="person", column="id_card", row_id="42")  # the ID number
        fields.blind_index("person.id_card", " 320502199001011234 ")  # 64 hex digits
        store.shred("person-7f3a")  # from now on decrypt raises SubjectShredded

    Errors: ``CryptoIntegrityError`` for any altered, truncated, malformed or misplaced
    token; ``SubjectShredded`` (a ``NotFound``) when the subject has no data key.
    """

    def __init__(self, keystore: KeyStore, provider: CryptoProvider) -> None:
        self.keystore = keystore
        self.provider = provider

    def encrypt(self, value: str, *, subject_id: str, table: str, column: str, row_id: str) -> str:
        """Encrypt ``value`` for that table, column, row and subject; return an ``fg1:`` token."""
        if not isinstance(value, str):
            raise TypeError("value must be a string")
        context = _context(table, column, row_id, subject_id)
        key_id, dek = self.keystore.data_key(subject_id)
        header = bytes([TOKEN_VERSION]) + bytes.fromhex(key_id)
        nonce = self.provider.random_bytes(GCM_NONCE_BYTES)
        sealed = self.provider.sm4_gcm_encrypt(dek, nonce, value.encode("utf-8"), context + header)
        return TOKEN_PREFIX + _b64encode(header + nonce + sealed)

    def decrypt(self, token: str, *, subject_id: str, table: str, column: str, row_id: str) -> str:
        """Decrypt a token made by ``encrypt`` for exactly that table, column, row and subject."""
        context = _context(table, column, row_id, subject_id)
        header, key_id, nonce, sealed = _parse(token)
        current_key_id, dek = self.keystore.data_key(subject_id, create=False)
        # A subject's key_id never changes (rewrapping keeps it), so any other key_id means
        # a token from another subject or an altered header.
        if not hmac.compare_digest(key_id, current_key_id):
            raise CryptoIntegrityError()
        plaintext = self.provider.sm4_gcm_decrypt(dek, nonce, sealed, context + header)
        try:
            return plaintext.decode("utf-8")
        except UnicodeDecodeError:  # authenticated yet not UTF-8: not one of our tokens
            raise CryptoIntegrityError() from None

    def blind_index(self, field: str, value: str) -> str:
        """HMAC-SM3 (hex) of the normalised value under the field's own index key."""
        normalised = normalise_for_index(value)
        return self.provider.hmac_sm3(
            self.keystore.index_key(field), normalised.encode("utf-8")
        ).hex()

    @staticmethod
    def nonce_of(token: str) -> tuple[str, bytes]:
        """The (key_id hex, nonce) a token was made with (for the nonce-uniqueness check)."""
        _, key_id, nonce, _ = _parse(token)
        return key_id, nonce
