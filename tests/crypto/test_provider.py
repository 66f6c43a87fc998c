"""D3: algorithm conformance of every registered CryptoProvider (SM3, SM4, SM4-GCM, HMAC-SM3,
SM2), with known-answer tests from the standards and independent reference computations."""

from __future__ import annotations

import os

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from gmssl import func as gm_func
from gmssl import sm3 as gm_sm3

from fanguai.crypto import provider as provider_module
from fanguai.crypto.provider import (
    CryptoIntegrityError,
    CryptoProvider,
    SoftwareCryptoProvider,
    get_provider,
    providers,
    register_provider,
)

# -- reference material ------------------------------------------------------------------------

# GB/T 32905-2016 appendix A.
SM3_ABC = "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
SM3_ABCD_X16 = "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"

# GB/T 32907-2016 appendix A: key = plaintext; one encryption, and 1,000,000 chained ones.
SM4_KEY = bytes.fromhex("0123456789abcdeffedcba9876543210")
SM4_ONCE = "681edf34d206965e86b3e94f536e4246"
SM4_MILLION = "595298c7c6fd271f0402f804c33d3f66"

# RFC 8998 appendix A.1 (SM4-GCM).
GCM_KEY = bytes.fromhex("0123456789ABCDEFFEDCBA9876543210")
GCM_IV = bytes.fromhex("00001234567800000000ABCD")
GCM_AAD = bytes.fromhex("FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2")
GCM_PLAINTEXT = bytes.fromhex(
    "AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBBCCCCCCCCCCCCCCCCDDDDDDDDDDDDDDDD"
    "EEEEEEEEEEEEEEEEFFFFFFFFFFFFFFFFEEEEEEEEEEEEEEEEAAAAAAAAAAAAAAAA"
)
GCM_CIPHERTEXT = bytes.fromhex(
    "17F399F08C67D5EE19D0DC9969C4BB7D5FD46FD3756489069157B282BB200735"
    "D82710CA5C22F0CCFA7CBF93D496AC15A56834CBCF98C397B4024A2691233B8D"
)
GCM_TAG = bytes.fromhex("83DE3541E4C2B58177E065A9BF7B62EC")

# GB/T 32918.5-2017 (GM/T 0003.5) appendix A: signature example on the recommended curve,
# user ID "1234567812345678", message "message digest".
SM2_PRIVATE = "3945208f7b2144b13f36e38ac6d39f95889393692860b51a42fb81ef4df7c5b8"
SM2_PUBLIC = (
    "04"
    "09f9df311e5421a150dd7d161e4bc5c672179fad1833fc076bb08ff356f35020"
    "ccea490ce26775a52dc6ea718cc1aa600aed05fbf35e084a6632f6072da9ad13"
)
SM2_MESSAGE = b"message digest"
SM2_K = int("59276e27d506861a16680f3ad9c02dccef3cc1fa3cdbe4ce6d54b80deac1bc21", 16)
SM2_SIGNATURE = (
    "f5a03b0648d2c4630eeac513e1bb81a15944da3827d5b74143ac7eaceee720b3"
    "b1b6aa29df212fd8763182bc0d421ca1bb9038fd1f7f42d4840b69c485bbc1aa"
)

# Curve parameters of GB/T 32918.5, for the independent verifier below.
P = int("FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF", 16)
A = int("FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC", 16)
B = int("28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93", 16)
N = int("FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123", 16)
GX = int("32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7", 16)
GY = int("BC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0", 16)


def reference_sm3(data: bytes) -> bytes:
    """SM3 from gmssl's pure-Python implementation (independent of OpenSSL)."""
    return bytes.fromhex(gm_sm3.sm3_hash(gm_func.bytes_to_list(data)))


def reference_hmac_sm3(key: bytes, data: bytes) -> bytes:
    """HMAC per RFC 2104, written out by hand on top of the reference SM3 (block 64 bytes)."""
    if len(key) > 64:
        key = reference_sm3(key)
    key = key.ljust(64, b"\x00")
    inner = reference_sm3(bytes(b ^ 0x36 for b in key) + data)
    return reference_sm3(bytes(b ^ 0x5C for b in key) + inner)


def _add(p1: tuple[int, int] | None, p2: tuple[int, int] | None) -> tuple[int, int] | None:
    if p1 is None:
        return p2
    if p2 is None:
        return p1
    (x1, y1), (x2, y2) = p1, p2
    if x1 == x2 and (y1 + y2) % P == 0:
        return None
    if p1 == p2:
        lam = (3 * x1 * x1 + A) * pow(2 * y1, -1, P) % P
    else:
        lam = (y2 - y1) * pow(x2 - x1, -1, P) % P
    x3 = (lam * lam - x1 - x2) % P
    return x3, (lam * (x1 - x3) - y1) % P


def _mul(k: int, point: tuple[int, int]) -> tuple[int, int] | None:
    result: tuple[int, int] | None = None
    addend: tuple[int, int] | None = point
    while k:
        if k & 1:
            result = _add(result, addend)
        addend = _add(addend, addend)
        k >>= 1
    return result


def reference_sm2_verify(public_hex: str, data: bytes, signature_hex: str) -> bool:
    """SM2 verification (GB/T 32918.2 §7) in plain affine arithmetic, independent of gmssl."""
    x, y = int(public_hex[2:66], 16), int(public_hex[66:], 16)
    r, s = int(signature_hex[:64], 16), int(signature_hex[64:], 16)
    if not (1 <= r < N and 1 <= s < N):
        return False
    user_id = b"1234567812345678"
    z = hashes.Hash(hashes.SM3())
    z.update(len(user_id * 8).to_bytes(2, "big") + user_id)
    for value in (A, B, GX, GY, x, y):
        z.update(value.to_bytes(32, "big"))
    digest = hashes.Hash(hashes.SM3())
    digest.update(z.finalize() + data)
    e = int.from_bytes(digest.finalize(), "big")
    t = (r + s) % N
    if t == 0:
        return False
    point = _add(_mul(s, (GX, GY)), _mul(t, (x, y)))
    return point is not None and (e + point[0]) % N == r


@pytest.fixture(params=providers())
def provider(request: pytest.FixtureRequest) -> CryptoProvider:
    return get_provider(request.param)


def _flip_hex(text: str, index: int) -> str:
    return text[:index] + format(int(text[index], 16) ^ 1, "x") + text[index + 1 :]


# -- SM3 -----------------------------------------------------------------------------------------


def test_sm3_of_abc_matches_the_gbt_32905_example(provider: CryptoProvider) -> None:
    assert provider.sm3(b"abc").hex() == SM3_ABC


def test_sm3_of_abcd_sixteen_times_matches_the_gbt_32905_example(provider: CryptoProvider) -> None:
    assert provider.sm3(b"abcd" * 16).hex() == SM3_ABCD_X16


def test_sm3_agrees_with_an_independent_implementation_on_many_lengths(
    provider: CryptoProvider,
) -> None:
    for length in (0, 1, 55, 56, 63, 64, 65, 119, 128, 1000):
        data = os.urandom(length)
        assert provider.sm3(data) == reference_sm3(data), length


# -- SM4 and SM4-GCM -----------------------------------------------------------------------------


def test_the_sm4_block_cipher_matches_the_gbt_32907_examples() -> None:
    # The software provider's SM4 is the ``cryptography`` (OpenSSL) one; the raw block cipher is
    # not part of the provider interface, so it is checked here directly, and every provider's
    # SM4 is checked through the RFC 8998 SM4-GCM vector below.
    encryptor = Cipher(algorithms.SM4(SM4_KEY), modes.ECB()).encryptor()  # noqa: S305
    block = encryptor.update(SM4_KEY)
    assert block.hex() == SM4_ONCE
    for _ in range(999_999):
        block = encryptor.update(block)
    assert block.hex() == SM4_MILLION


def test_sm4_gcm_matches_the_rfc_8998_vector(provider: CryptoProvider) -> None:
    sealed = provider.sm4_gcm_encrypt(GCM_KEY, GCM_IV, GCM_PLAINTEXT, GCM_AAD)
    assert sealed == GCM_CIPHERTEXT + GCM_TAG
    assert provider.sm4_gcm_decrypt(GCM_KEY, GCM_IV, sealed, GCM_AAD) == GCM_PLAINTEXT


def test_sm4_gcm_round_trips_every_length_including_empty(provider: CryptoProvider) -> None:
    key, nonce = os.urandom(16), os.urandom(12)
    for length in (0, 1, 15, 16, 17, 1000):
        plaintext = os.urandom(length)
        sealed = provider.sm4_gcm_encrypt(key, nonce, plaintext, b"aad")
        assert len(sealed) == length + 16
        assert provider.sm4_gcm_decrypt(key, nonce, sealed, b"aad") == plaintext


def test_sm4_gcm_rejects_any_altered_input(provider: CryptoProvider) -> None:
    sealed = provider.sm4_gcm_encrypt(GCM_KEY, GCM_IV, GCM_PLAINTEXT, GCM_AAD)
    for index in (0, 31, len(sealed) - 16, len(sealed) - 1):
        altered = bytearray(sealed)
        altered[index] ^= 0x01
        with pytest.raises(CryptoIntegrityError):
            provider.sm4_gcm_decrypt(GCM_KEY, GCM_IV, bytes(altered), GCM_AAD)
    attempts = [
        (os.urandom(16), GCM_IV, sealed, GCM_AAD),
        (GCM_KEY, os.urandom(12), sealed, GCM_AAD),
        (GCM_KEY, GCM_IV, sealed, GCM_AAD + b"x"),
        (GCM_KEY, GCM_IV, sealed[:-1], GCM_AAD),
        (GCM_KEY, GCM_IV, sealed[:15], GCM_AAD),
        (GCM_KEY, GCM_IV, b"", GCM_AAD),
    ]
    for key, nonce, data, aad in attempts:
        with pytest.raises(CryptoIntegrityError):
            provider.sm4_gcm_decrypt(key, nonce, data, aad)


def test_sm4_gcm_refuses_wrong_key_and_nonce_sizes(provider: CryptoProvider) -> None:
    for key, nonce in (
        (b"k" * 15, b"n" * 12),
        (b"k" * 32, b"n" * 12),
        (b"k" * 16, b"n" * 8),
        (b"k" * 16, b"n" * 16),
    ):
        with pytest.raises(ValueError):
            provider.sm4_gcm_encrypt(key, nonce, b"data", b"")
        with pytest.raises(ValueError):
            provider.sm4_gcm_decrypt(key, nonce, b"d" * 32, b"")


# -- HMAC-SM3 ------------------------------------------------------------------------------------


def test_hmac_sm3_agrees_with_rfc_2104_written_out_over_an_independent_sm3(
    provider: CryptoProvider,
) -> None:
    for key_length in (0, 1, 16, 32, 63, 64, 65, 200):
        for data_length in (0, 3, 64, 500):
            key, data = os.urandom(key_length), os.urandom(data_length)
            assert provider.hmac_sm3(key, data) == reference_hmac_sm3(key, data), (
                key_length,
                data_length,
            )


def test_hmac_sm3_depends_on_the_key(provider: CryptoProvider) -> None:
    assert provider.hmac_sm3(b"k1", b"data") != provider.hmac_sm3(b"k2", b"data")
    assert len(provider.hmac_sm3(b"k1", b"data")) == 32


# -- SM2 -----------------------------------------------------------------------------------------


def test_the_published_sm2_signature_verifies_and_altered_ones_do_not(
    provider: CryptoProvider,
) -> None:
    assert provider.sm2_verify(SM2_PUBLIC, SM2_MESSAGE, SM2_SIGNATURE)
    assert provider.sm2_verify(SM2_PUBLIC[2:], SM2_MESSAGE, SM2_SIGNATURE)  # bare x‖y
    assert not provider.sm2_verify(SM2_PUBLIC, b"message digesT", SM2_SIGNATURE)
    assert not provider.sm2_verify(SM2_PUBLIC, SM2_MESSAGE, _flip_hex(SM2_SIGNATURE, 10))
    assert not provider.sm2_verify(SM2_PUBLIC, SM2_MESSAGE, _flip_hex(SM2_SIGNATURE, 100))


def test_the_software_provider_reproduces_the_published_sm2_key_and_signature() -> None:
    software = SoftwareCryptoProvider()
    assert software.sm2_public_key(SM2_PRIVATE) == SM2_PUBLIC
    assert software._sm2_sign_with_k(SM2_PRIVATE, SM2_MESSAGE, SM2_K) == SM2_SIGNATURE


def test_sm2_sign_and_verify_round_trip_with_negatives(provider: CryptoProvider) -> None:
    private, public = provider.sm2_generate_keypair()
    _, other_public = provider.sm2_generate_keypair()
    assert len(private) == 64 and len(public) == 130 and public.startswith("04")
    data = b"audit head 2026-05-01 seq 1000"
    signature = provider.sm2_sign(private, data)
    assert len(signature) == 128
    assert provider.sm2_verify(public, data, signature)
    assert not provider.sm2_verify(public, data + b"!", signature), "changed message"
    assert not provider.sm2_verify(public, data, _flip_hex(signature, 5)), "changed r"
    assert not provider.sm2_verify(public, data, _flip_hex(signature, 70)), "changed s"
    assert not provider.sm2_verify(other_public, data, signature), "other key"
    # Signatures are randomised, and each one verifies.
    second = provider.sm2_sign(private, data)
    assert second != signature and provider.sm2_verify(public, data, second)


def test_sm2_signatures_verify_with_an_independent_implementation(provider: CryptoProvider) -> None:
    private, public = provider.sm2_generate_keypair()
    for data in (b"", b"x", os.urandom(300)):
        signature = provider.sm2_sign(private, data)
        assert reference_sm2_verify(public, data, signature)
        assert not reference_sm2_verify(public, data + b"x", signature)


def test_sm2_keys_whose_x_coordinate_starts_with_04_work(provider: CryptoProvider) -> None:
    # gmssl strips a "04" prefix with str.lstrip, which would eat these coordinates.
    private = f"{11:064x}"
    public = SoftwareCryptoProvider().sm2_public_key(private)
    assert public.startswith("0404")  # x = 04b3…
    signature = provider.sm2_sign(private, b"data")
    assert provider.sm2_verify(public, b"data", signature)
    assert reference_sm2_verify(public, b"data", signature)


def test_sm2_verify_rejects_malformed_keys_and_signatures(provider: CryptoProvider) -> None:
    n_hex = f"{N:064x}"
    bad_signatures = [
        "",
        "zz" * 64,
        SM2_SIGNATURE[:-2],
        SM2_SIGNATURE + "00",
        "0" * 64 + SM2_SIGNATURE[64:],
        SM2_SIGNATURE[:64] + n_hex,
    ]
    for signature in bad_signatures:
        assert not provider.sm2_verify(SM2_PUBLIC, SM2_MESSAGE, signature), signature
    off_curve = SM2_PUBLIC[:-1] + ("0" if SM2_PUBLIC[-1] != "0" else "1")
    for public in ("", "04", off_curve, "05" + SM2_PUBLIC[2:], "04" + "0" * 128):
        assert not provider.sm2_verify(public, SM2_MESSAGE, SM2_SIGNATURE), public


def test_sm2_refuses_private_keys_out_of_range(provider: CryptoProvider) -> None:
    for private in ("", "0" * 64, f"{N - 1:064x}", "g" * 64, "1" * 63):
        with pytest.raises(ValueError):
            provider.sm2_sign(private, b"data")


def test_sm2_never_uses_gmssls_non_cryptographic_random(monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden(_: int) -> str:
        raise AssertionError("gmssl's random.choice-based generator was used")

    monkeypatch.setattr(gm_func, "random_hex", forbidden)
    software = SoftwareCryptoProvider()
    private, public = software.sm2_generate_keypair()
    assert software.sm2_verify(public, b"x", software.sm2_sign(private, b"x"))


# -- randomness and registry ---------------------------------------------------------------------


def test_random_bytes_have_the_requested_length_and_differ(provider: CryptoProvider) -> None:
    assert provider.random_bytes(0) == b""
    draws = {provider.random_bytes(16) for _ in range(1000)}
    assert len(draws) == 1000 and all(len(d) == 16 for d in draws)
    with pytest.raises(ValueError):
        provider.random_bytes(-1)


def test_every_registered_provider_implements_the_protocol() -> None:
    assert "software" in providers()
    for name in providers():
        instance = get_provider(name)
        assert isinstance(instance, CryptoProvider)
        assert instance.name == name


def test_an_unknown_provider_name_lists_the_known_ones() -> None:
    with pytest.raises(ValueError, match="software"):
        get_provider("hsm-that-does-not-exist")


def test_a_hardware_provider_can_be_registered(monkeypatch: pytest.MonkeyPatch) -> None:
    class FakeHsm(SoftwareCryptoProvider):
        name = "fake-hsm"

    monkeypatch.setattr(provider_module, "_factories", dict(provider_module._factories))
    register_provider("fake-hsm", FakeHsm)
    assert "fake-hsm" in providers()
    assert isinstance(get_provider("fake-hsm"), FakeHsm)
