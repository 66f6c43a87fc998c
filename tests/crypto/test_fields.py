"""Field encryption: round trips, D2 (AEAD integrity and AAD binding), D6 (blind index) and
masking."""

from __future__ import annotations

import base64
import os
import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from fanguai.crypto.fields import FieldCrypto, mask, normalise_for_index
from fanguai.crypto.keystore import KeyStore, SubjectShredded
from fanguai.crypto.provider import CryptoIntegrityError, SoftwareCryptoProvider

PROVIDER = SoftwareCryptoProvider()
ROW = {"table": "person", "column": "id_card", "row_id": "42"}


def _store(path: Path) -> KeyStore:
    store = KeyStore(f"sqlite:///{path}", master_key=os.urandom(16), provider=PROVIDER)
    store.initialise()
    return store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[KeyStore]:
    s = _store(tmp_path / "ks.sqlite3")
    yield s
    s.close()


@pytest.fixture
def fields(store: KeyStore) -> FieldCrypto:
    return FieldCrypto(store, PROVIDER)


def _raw(token: str) -> bytearray:
    body = token[4:]
    return bytearray(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


def _token(raw: bytes) -> str:
    return "fg1:" + base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()


def _seed() -> int:
    return int(os.environ.get("CRYPTO_TEST_SEED") or random.SystemRandom().randrange(2**32))


# -- round trips ---------------------------------------------------------------------------------


def test_values_round_trip_including_empty_and_chinese_text(fields: FieldCrypto) -> None:
    for value in ("", "320502199001011234", "张三", "SENTINEL-DNA-D8S1179-13-14", "x" * 10_000):
        token = fields.encrypt(value, subject_id="s1", **ROW)
        assert token.startswith("fg1:")
        assert fields.decrypt(token, subject_id="s1", **ROW) == value


def test_a_token_does_not_contain_the_plaintext_and_encrypting_twice_differs(
    fields: FieldCrypto,
) -> None:
    first = fields.encrypt("320502199001011234", subject_id="s1", **ROW)
    second = fields.encrypt("320502199001011234", subject_id="s1", **ROW)
    assert first != second
    assert b"320502199001011234" not in _raw(first) and "3205021990" not in first


def test_the_token_header_carries_version_one_and_the_subjects_key_id(
    fields: FieldCrypto, store: KeyStore
) -> None:
    token = fields.encrypt("v", subject_id="s1", **ROW)
    key_id, nonce = fields.nonce_of(token)
    raw = _raw(token)
    assert raw[0] == 1 and raw[1:17].hex() == key_id == store.data_key("s1")[0]
    assert raw[17:29] == nonce and len(nonce) == 12
    assert len(raw) == 1 + 16 + 12 + len(b"v") + 16


def test_names_containing_the_unit_separator_are_refused(fields: FieldCrypto) -> None:
    with pytest.raises(ValueError):
        fields.encrypt("v", subject_id="s1", table="person\x1fx", column="c", row_id="1")
    with pytest.raises(ValueError):
        fields.encrypt("v", subject_id="s1", table="person", column="", row_id="1")


# -- D2: integrity -------------------------------------------------------------------------------


def test_d2_one_flipped_bit_anywhere_in_a_thousand_tokens_is_always_detected(
    fields: FieldCrypto,
) -> None:
    seed = _seed()
    rng = random.Random(seed)
    regions = ("header", "nonce", "ciphertext", "tag")
    detected = dict.fromkeys(regions, 0)
    for i in range(1000):
        subject, row_id = f"subject-{i % 50}", str(i)
        value = "".join(rng.choice("0123456789X张李王") for _ in range(rng.randint(1, 40)))
        token = fields.encrypt(
            value, subject_id=subject, table="person", column="id_card", row_id=row_id
        )
        raw = _raw(token)
        region = regions[i % 4]
        start, end = {
            "header": (0, 17),
            "nonce": (17, 29),
            "ciphertext": (29, len(raw) - 16),
            "tag": (len(raw) - 16, len(raw)),
        }[region]
        position = rng.randrange(start, end)
        bit = rng.randrange(8)
        raw[position] ^= 1 << bit
        try:
            result = fields.decrypt(
                _token(raw), subject_id=subject, table="person", column="id_card", row_id=row_id
            )
        except CryptoIntegrityError:
            detected[region] += 1
            continue
        pytest.fail(
            f"seed={seed}: flipped bit {bit} of byte {position} ({region}) in token {i} "
            f"and decrypt returned {result!r}"
        )
    assert detected == {"header": 250, "nonce": 250, "ciphertext": 250, "tag": 250}, seed


def test_d2_a_token_moved_to_another_row_column_table_or_subject_does_not_decrypt(
    fields: FieldCrypto,
) -> None:
    fields.encrypt("other subject's value", subject_id="s2", **ROW)  # s2 has a key too
    token = fields.encrypt("320502199001011234", subject_id="s1", **ROW)
    moves = [
        {"subject_id": "s1", "table": "person", "column": "id_card", "row_id": "43"},
        {"subject_id": "s1", "table": "person", "column": "phone", "row_id": "42"},
        {"subject_id": "s1", "table": "guardian", "column": "id_card", "row_id": "42"},
        {"subject_id": "s2", "table": "person", "column": "id_card", "row_id": "42"},
        # Shifting the separator must not produce the same AAD.
        {"subject_id": "s1", "table": "person", "column": "id_card4", "row_id": "2"},
    ]
    for where in moves:
        with pytest.raises(CryptoIntegrityError):
            fields.decrypt(token, **where)
    assert fields.decrypt(token, subject_id="s1", **ROW) == "320502199001011234"


def test_d2_a_token_re_headed_with_another_subjects_key_id_does_not_decrypt(
    fields: FieldCrypto, store: KeyStore
) -> None:
    token = fields.encrypt("secret", subject_id="s1", **ROW)
    other_key_id, _ = store.data_key("s2")
    raw = _raw(token)
    raw[1:17] = bytes.fromhex(other_key_id)
    with pytest.raises(CryptoIntegrityError):
        fields.decrypt(_token(raw), subject_id="s2", **ROW)


def test_d2_truncated_malformed_and_foreign_tokens_raise_integrity_errors(
    fields: FieldCrypto,
) -> None:
    token = fields.encrypt("320502199001011234", subject_id="s1", **ROW)
    raw = _raw(token)
    bad: list[object] = [token[:n] for n in range(len(token))]
    bad += [_token(raw[:n]) for n in range(len(raw))]
    bad += [
        token + "A",
        token + "AAAA",
        _token(raw + b"\x00"),
        "FG1:" + token[4:],
        "fg2:" + token[4:],
        "fg1" + token[4:],
        " " + token,
        token + "\n",
        token[:10] + "=" + token[11:],
        token + "=",
        token.replace("-", "+").replace("_", "/"),
        "fg1:" + "!" * 60,
        "fg1:" + "A" * 61,
        "",
        "fg1:",
        None,
        42,
        b"fg1:abc",
    ]
    version_two = bytearray(raw)
    version_two[0] = 2
    bad.append(_token(version_two))
    for candidate in bad:
        if candidate == token:
            continue
        with pytest.raises(CryptoIntegrityError):
            fields.decrypt(candidate, subject_id="s1", **ROW)  # type: ignore[arg-type]


def test_d2_a_non_canonical_base64_spelling_of_a_valid_token_is_refused(
    fields: FieldCrypto,
) -> None:
    token = fields.encrypt("ab", subject_id="s1", **ROW)
    raw = _raw(token)
    assert len(raw) % 3 != 0  # the last character carries unused bits
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    last = alphabet.index(token[-1])
    twin = token[:-1] + alphabet[last ^ 1]
    assert _raw(twin) == raw  # the same bytes …
    with pytest.raises(CryptoIntegrityError):  # … but not the one spelling we write
        fields.decrypt(twin, subject_id="s1", **ROW)


def test_decrypting_for_a_subject_without_a_key_says_so(fields: FieldCrypto) -> None:
    token = fields.encrypt("v", subject_id="s1", **ROW)
    with pytest.raises(SubjectShredded):
        fields.decrypt(token, subject_id="never-seen", **ROW)


# -- D6: blind index -----------------------------------------------------------------------------


def _id_card(rng: random.Random) -> str:
    """A GB 11643-1999 style number: region, birth date, sequence, ISO 7064 MOD 11-2 check."""
    body = (
        f"{rng.choice(['3201', '3202', '3205', '3206', '3213', '1101', '4403'])}"
        f"{rng.randrange(100):02d}"
        f"{rng.randrange(1940, 2025)}{rng.randrange(1, 13):02d}{rng.randrange(1, 29):02d}"
        f"{rng.randrange(1000):03d}"
    )
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    check = "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]
    return body + check


def test_d6_equal_values_find_each_other_whatever_the_spacing_case_or_width(
    fields: FieldCrypto,
) -> None:
    reference = fields.blind_index("person.id_card", "32050219900101123X")
    variants = (
        "32050219900101123x",
        "  32050219900101123X\t",
        "３２０５０２１９９００１０１１２３Ｘ",  # full-width
        "\u300032050219900101123x\n",
    )
    for variant in variants:
        assert fields.blind_index("person.id_card", variant) == reference, variant
    assert fields.blind_index("person.name", "zhang  san") == fields.blind_index(
        "person.name", "ZHANG SAN "
    )
    assert fields.blind_index("person.id_card", "320502199001011231") != reference


def test_d6_the_normal_form_is_nfkc_collapsed_stripped_upper_case() -> None:
    assert normalise_for_index("  ａｂｃ\u3000 d\t") == "ABC D"
    assert normalise_for_index("32050219900101123x") == "32050219900101123X"


def test_d6_an_index_built_under_another_key_store_finds_nothing(
    fields: FieldCrypto, tmp_path: Path
) -> None:
    rng = random.Random(7)
    values = [_id_card(rng) for _ in range(500)]
    index = {fields.blind_index("person.id_card", v): v for v in values}
    assert all(index[fields.blind_index("person.id_card", v)] == v for v in values)
    other_store = _store(tmp_path / "other.sqlite3")
    try:
        other = FieldCrypto(other_store, PROVIDER)
        hits = [v for v in values if other.blind_index("person.id_card", v) in index]
    finally:
        other_store.close()
    assert hits == []


def test_d6_no_collisions_across_fields_over_100000_id_card_numbers(fields: FieldCrypto) -> None:
    seed = _seed()
    rng = random.Random(seed)
    values = {_id_card(rng) for _ in range(100_000)}
    while len(values) < 100_000:
        values.add(_id_card(rng))
    person = {fields.blind_index("person.id_card", v) for v in values}
    guardian = {fields.blind_index("guardian.id_card", v) for v in values}
    print(f"D6: {len(values)} distinct values, seed {seed}")
    assert len(person) == len(values), f"seed={seed}: collision inside a field"
    assert len(guardian) == len(values), f"seed={seed}: collision inside a field"
    assert not person & guardian, f"seed={seed}: cross-field collision"


def test_d6_the_index_holds_no_plaintext(fields: FieldCrypto) -> None:
    rng = random.Random(11)
    for _ in range(1000):
        value = _id_card(rng)
        digest = fields.blind_index("person.id_card", value)
        assert len(digest) == 64 and int(digest, 16) >= 0
        assert value not in digest.upper() and value[:6] not in digest
    assert fields.blind_index("person.name", "x" * 500) != "x" * 500
    assert len(fields.blind_index("person.name", "x" * 500)) == 64


def test_d6_index_keys_are_distinct_per_field(store: KeyStore) -> None:
    keys = {store.index_key(f) for f in ("person.id_card", "guardian.id_card", "person.phone")}
    assert len(keys) == 3 and all(len(k) == 32 for k in keys)


# -- masking -------------------------------------------------------------------------------------


def test_mask_keeps_the_first_three_and_last_four_characters_by_default() -> None:
    assert mask("320502199001011234") == "320***********1234"
    assert mask("320502199001011234", keep_start=4) == "3205**********1234"
    assert mask("13812345678") == "138****5678"


def test_mask_hides_short_values_entirely() -> None:
    assert mask("") == ""
    assert mask("1234567") == "*******"
    assert mask("12345678") == "123*5678"
