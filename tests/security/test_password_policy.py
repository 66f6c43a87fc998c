"""Test A1: the password policy against an oracle written here from the rules, both profiles."""

from __future__ import annotations

import itertools
import random
import string
import unicodedata
from collections.abc import Sequence
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from fanguai.errors import InvalidInput
from fanguai.security.password_policy import (
    PROFILES,
    PasswordProfile,
    Violation,
    WeakPassword,
    blocklist_size,
    check_password,
    normalise,
    validate_password,
)

PROFILE_NAMES = ["cn-mlps3", "nist"]
DATA_FILE = Path(__file__).resolve().parents[2] / "src/fanguai/security/data/pinyin_words.txt"

# ---------------------------------------------------------------------------------------------
# The oracle: the rules of SECURITY.md decision 1 and the module docstring, written independently.
# ---------------------------------------------------------------------------------------------

ORACLE_LIMITS = {"cn-mlps3": (12, 128, 3), "nist": (15, 128, 0)}


def _nfkc_fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def _read_chinese_entries() -> list[str]:
    lines = DATA_FILE.read_text(encoding="utf-8").split("\n")
    return [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]


CHINESE_ENTRIES = _read_chinese_entries()
ORACLE_BLOCKLIST = sorted(
    {_nfkc_fold(w) for w in FREQUENCY_LISTS["passwords"]} | {_nfkc_fold(w) for w in CHINESE_ENTRIES}
)
ORACLE_BLOCKSET = frozenset(ORACLE_BLOCKLIST)

SEQUENCE_SOURCES = [
    "abcdefghijklmnopqrstuvwxyz",
    "0123456789",
    "qwertyuiop",
    "asdfghjkl",
    "zxcvbnm",
    "qwertyuiopasdfghjklzxcvbnm",
    "!@#$%^&*()",
]
# Successor of each character in each source, forwards and backwards, wrapping round.
SUCCESSORS = [
    {src[i]: src[(i + 1) % len(src)] for i in range(len(src))}
    for s in SEQUENCE_SOURCES
    for src in (s, s[::-1])
]


def oracle_trivial(text: str) -> bool:
    if len(text) < 4:
        return False
    if text == text[0] * len(text):
        return True
    pairs = list(itertools.pairwise(text))
    return any(all(nxt.get(a) == b for a, b in pairs) for nxt in SUCCESSORS)


def oracle_core(folded: str) -> str:
    letters = [i for i, ch in enumerate(folded) if ch.isalpha()]
    return folded[letters[0] : letters[-1] + 1] if letters else ""


def oracle_context_terms(context: Sequence[str | None]) -> list[str]:
    terms = ["fanguai", "反拐"]
    for value in context:
        if not value:
            continue
        v = _nfkc_fold(value).strip()
        runs = ["".join(g) for is_run, g in itertools.groupby(v, key=str.isalnum) if is_run]
        for term in [v, "".join(runs), *runs]:
            minimum = 3 if all(ord(ch) < 128 for ch in term) else 2
            if len(term) >= minimum:
                terms.append(term)
    return terms


def oracle(password: str, profile: str, context: Sequence[str | None]) -> list[str]:
    min_len, max_len, min_classes = ORACLE_LIMITS[profile]
    p = unicodedata.normalize("NFKC", password)
    if len(p) == 0:
        return ["empty"]
    f = p.casefold()
    codes = []
    if len(p) < min_len:
        codes.append("too_short")
    if len(p) > max_len:
        codes.append("too_long")
    classes = [
        any(ch in string.ascii_uppercase for ch in p),
        any(ch in string.ascii_lowercase for ch in p),
        any(ch in string.digits for ch in p),
        any(ch not in string.ascii_letters + string.digits for ch in p),
    ]
    if sum(classes) < min_classes:
        codes.append("classes")
    if f in ORACLE_BLOCKSET:
        codes.append("blocklisted")
    core = oracle_core(f)
    if oracle_trivial(f) or oracle_trivial(core) or (core != f and core in ORACLE_BLOCKSET):
        codes.append("pattern")
    if any(term in f for term in oracle_context_terms(context)):
        codes.append("context")
    return codes


def codes_of(
    password: str, profile: str = "cn-mlps3", context: Sequence[str | None] = ()
) -> list[str]:
    return [v.code for v in check_password(password, profile=profile, context=context)]


# ---------------------------------------------------------------------------------------------
# Strategies
# ---------------------------------------------------------------------------------------------

ODD_CHARS = (
    "ＡＢＣＸｙｚ０１９＃！　"  # full width letters, digits, symbols and space
    "ﬁﬃ²³①Ⅻ㍿ｱ"  # compatibility characters that NFKC expands or maps
    "e\u0301\u0308ßİ"  # combining marks, case-folding oddities
    "我爱你张伟王芳反拐江苏公安"  # Chinese
)
CHARS = string.ascii_letters + string.digits + string.punctuation + " " + ODD_CHARS
STRONG_CHARS = string.ascii_letters + string.digits + "!#%&*+-=?@^_~"
AFFIX_CHARS = string.digits + "!@#$%^&*.-_ "
NAMES = [
    "zhang.wei",
    "Zhang Wei",
    "张伟",
    "王芳",
    "Li",
    "wu",
    "li.ming@js.gov.cn",
    "江苏省公安厅",
    "Nanjing PSB",
    "wangfang",
    "Ｗａｎｇ",
    "xy",
    None,
    "",
]

affixes = st.one_of(
    st.text(alphabet=AFFIX_CHARS, max_size=8),
    st.sampled_from(["", "1990", "2024", "19900101", "123", "520", "1314", "5201314", "!"]),
)


@st.composite
def cased(draw: st.DrawFn, word_strategy: st.SearchStrategy[str]) -> str:
    word = draw(word_strategy)
    style = draw(st.sampled_from(["lower", "upper", "title", "random", "fullwidth"]))
    if style == "upper":
        return word.upper()
    if style == "title":
        return word.title()
    if style == "fullwidth":
        return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in word)
    if style == "random":
        flips = draw(st.lists(st.booleans(), min_size=len(word), max_size=len(word)))
        return "".join(c.upper() if f else c for c, f in zip(word, flips, strict=True))
    return word


@st.composite
def sequences(draw: st.DrawFn) -> str:
    src = draw(st.sampled_from(SEQUENCE_SOURCES))
    src = src[::-1] if draw(st.booleans()) else src
    start = draw(st.integers(0, len(src) - 1))
    length = draw(st.integers(1, 40))
    return "".join(src[(start + i) % len(src)] for i in range(length))


words = st.one_of(
    st.sampled_from(ORACLE_BLOCKLIST),
    st.sampled_from(CHINESE_ENTRIES),
    sequences(),
    st.builds(lambda c, n: c * n, st.sampled_from("aZ1!我"), st.integers(1, 30)),
)


@st.composite
def with_affixes(draw: st.DrawFn) -> str:
    return draw(affixes) + draw(cased(words)) + draw(affixes)


@st.composite
def with_context_word(draw: st.DrawFn) -> str:
    word = draw(st.sampled_from([n for n in NAMES if n] + ["fanguai", "反拐"]))
    inner = draw(cased(st.just(word)))
    around = st.text(STRONG_CHARS, max_size=10)
    return draw(around) + inner + draw(around)


@st.composite
def near_limits(draw: st.DrawFn) -> str:
    length = draw(st.sampled_from([11, 12, 13, 14, 15, 16, 63, 64, 65, 127, 128, 129, 130]))
    return draw(st.text(STRONG_CHARS, min_size=length, max_size=length))


passwords = st.one_of(
    st.text(alphabet=CHARS, max_size=140),
    st.text(alphabet=STRONG_CHARS, min_size=8, max_size=24),
    st.text(alphabet="aA1!", min_size=10, max_size=20),
    with_affixes(),
    with_context_word(),
    near_limits(),
)
contexts = st.lists(st.one_of(st.sampled_from(NAMES), st.text(CHARS, max_size=6)), max_size=3)


# ---------------------------------------------------------------------------------------------
# Oracle agreement
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("profile", PROFILE_NAMES)
@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(password=passwords, context=contexts)
def test_decisions_equal_the_oracle(profile: str, password: str, context: list[str | None]) -> None:
    assert codes_of(password, profile, context) == oracle(password, profile, context)


@pytest.mark.parametrize("profile", PROFILE_NAMES)
def test_oracle_sees_both_outcomes_on_fixed_samples(profile: str) -> None:
    """Guards the oracle test against a strategy that only ever produces rejections."""
    rng = random.Random(6238)
    samples = [
        "".join(rng.choice(STRONG_CHARS) for _ in range(rng.randint(8, 24))) for _ in range(300)
    ]
    outcomes = {not oracle(s, profile, []) for s in samples}
    assert outcomes == {True, False}
    for s in samples:
        assert codes_of(s, profile) == oracle(s, profile, [])


# ---------------------------------------------------------------------------------------------
# Profiles and fixed edge cases
# ---------------------------------------------------------------------------------------------


def test_profiles() -> None:
    assert set(PROFILES) == {"cn-mlps3", "nist"}
    cn, nist = PROFILES["cn-mlps3"], PROFILES["nist"]
    assert cn == PasswordProfile("cn-mlps3", 12, 128, 3, 90)
    assert nist == PasswordProfile("nist", 15, 128, 0, None)
    with pytest.raises(AttributeError):
        cn.min_length = 8  # type: ignore[misc]


def test_default_profile_is_cn_mlps3() -> None:
    assert codes_of("Qx7#mVz2!kL") == ["too_short"]
    assert [v.code for v in check_password("Qx7#mVz2!kL")] == ["too_short"]


def test_unknown_profile_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown password profile"):
        check_password("Qx7#mVz2!kLp", profile="weak")


@pytest.mark.parametrize(
    ("profile", "base"), [("cn-mlps3", "Qx7#mVz2!kLp"), ("nist", "qx7#mvz2!klpwer")]
)
def test_length_boundaries(profile: str, base: str) -> None:
    minimum = PROFILES[profile].min_length
    assert len(base) == minimum
    assert codes_of(base[:-1], profile) == ["too_short"]
    assert codes_of(base, profile) == []


def test_nist_14_and_15_characters() -> None:
    assert codes_of("vortex lamp 7 b", "nist") == []
    assert codes_of("vortex lamp 7b", "nist") == ["too_short"]
    assert codes_of("vortex lamp 7b", "cn-mlps3") == []  # lower, digit and space (a symbol)
    assert codes_of("vortexlampzb7q") == ["classes"]


def test_exactly_three_classes() -> None:
    assert codes_of("Qxmvzkpltrw7") == []  # upper, lower, digit
    assert codes_of("qxmvzkpltrw7!") == []  # lower, digit, symbol
    assert codes_of("QXMVZKPLTRW7!") == []  # upper, digit, symbol
    assert codes_of("Qxmvzkpltrw!") == []  # upper, lower, symbol
    assert codes_of("qxmvzkpltrw7") == ["classes"]  # two classes
    assert codes_of("qxmvzkpltrw7", "nist") == ["too_short"]  # no composition rule
    assert codes_of("qxmvzkpltrwzbns", "nist") == []
    assert codes_of("密码是江苏qxmvzkp7") == []  # Chinese characters count as symbols


def test_unicode_is_normalised_with_nfkc() -> None:
    fullwidth = "Ｑｘ７＃ｍＶｚ２！ｋＬｐ"
    assert normalise(fullwidth) == "Qx7#mVz2!kLp"
    # Without NFKC every character would be a "symbol" and the password would fail on classes.
    assert codes_of(fullwidth) == []
    assert codes_of("ＰＡＳＳＷＯＲＤ") == codes_of("PASSWORD")
    assert "blocklisted" in codes_of("ｐａｓｓｗｏｒｄ", "nist")
    assert "pattern" in codes_of("Ｗｏａｉｎｉ１３１４！", "nist")
    # "ﬁ" becomes "fi": the normalised password has 12 characters, not 11.
    assert len("Qx7#mVz2!ﬁp") == 11
    assert codes_of("Qx7#mVz2!ﬁp") == []
    # Combining sequences compose: e + U+0301 is one character once normalised.
    assert len(normalise("Qx7#mVz2!kLe\u0301")) == 12


def test_empty_and_blank() -> None:
    for profile in PROFILE_NAMES:
        assert codes_of("", profile) == ["empty"]
    assert codes_of(" " * 12) == ["classes", "pattern"]


def _strong(length: int, seed: int) -> str:
    rng = random.Random(seed)
    return "".join(rng.choice(STRONG_CHARS) for _ in range(length))


@pytest.mark.parametrize("profile", PROFILE_NAMES)
def test_64_and_128_character_passwords_are_accepted(profile: str) -> None:
    for length in (64, 128):
        password = _strong(length, seed=length)
        assert oracle(password, profile, []) == []
        assert codes_of(password, profile) == []
        assert normalise(password) == password  # nothing cut off
    assert codes_of(_strong(129, seed=129), profile) == ["too_long"]
    assert codes_of("a" * 5000, profile) == ["too_long"]  # rejected before normalising


@pytest.mark.parametrize("profile", PROFILE_NAMES)
def test_64_characters_last_character_changed(profile: str) -> None:
    """Both passwords are judged on their own, on all 64 characters."""
    head = _strong(58, seed=64)
    first, second = head + "fanguX", head + "fangui"
    assert len(first) == len(second) == 64
    assert codes_of(first, profile) == []
    assert codes_of(second, profile) == []
    context_hit = head[:57] + "fanguai"  # the context word ends on the 64th character
    assert len(context_hit) == 64
    assert codes_of(context_hit, profile) == ["context"]
    assert codes_of(context_hit[:-1] + "j", profile) == []
    assert normalise(first) != normalise(second)
    assert len(normalise(second)) == 64


def test_64_characters_last_character_changed_does_not_verify() -> None:
    """The hasher receives the whole normalised password, so the changed one must fail."""
    from fanguai.security.passwords import hash_password, verify_password

    first = _strong(64, seed=6400)
    second = first[:-1] + ("A" if first[-1] != "A" else "B")
    stored = hash_password(normalise(first))
    assert verify_password(stored, normalise(first))
    assert not verify_password(stored, normalise(second))


# ---------------------------------------------------------------------------------------------
# Blocklist
# ---------------------------------------------------------------------------------------------


def test_blocklist_size() -> None:
    assert blocklist_size() >= 10_000
    assert blocklist_size() == len(ORACLE_BLOCKLIST)
    assert len(CHINESE_ENTRIES) >= 200


@pytest.mark.parametrize("profile", PROFILE_NAMES)
def test_every_blocklist_entry_is_rejected(profile: str) -> None:
    missed = [w for w in ORACLE_BLOCKLIST if "blocklisted" not in codes_of(w, profile)]
    assert missed == []
    # Case does not matter.
    missed = [w for w in ORACLE_BLOCKLIST if "blocklisted" not in codes_of(w.upper(), profile)]
    assert missed == []


@pytest.mark.parametrize(
    "password",
    [
        "123456",
        "password",
        "qwerty",
        "1qaz2wsx",
        "5201314",
        "1314520",
        "147258369",
        "qwe123",
        "a123456",
        "woaini1314",
        "iloveyou520",
        "woaini",
        "zhangwei",
        "wangfang",
        "lixiaolong",
        "nihao",
        "aini",
        "caonima",
        "shishi",
        "WoAiNi",
        "ZhangWei",
    ],
)
def test_known_chinese_and_common_passwords_are_blocklisted(password: str) -> None:
    assert "blocklisted" in codes_of(password)
    assert "blocklisted" in codes_of(password, "nist")


@pytest.mark.parametrize(
    "password",
    [
        "Woaini1314!",
        "zhangwei2024",
        "123456qaz",
        "Zhangwei@19900101",
        "WangFang520!",
        "lixiaolong123!!",
        "Nihao1314520",
        "Caonima!!2023",
        "2024-Shishi-2024",
        "Aini5201314!",
        "1990.Zhangwei.0101",
        "Password2024!",
        "Woaini-1314-520",
        "Liudehua1314520",
    ],
)
@pytest.mark.parametrize("profile", PROFILE_NAMES)
def test_pinyin_and_digit_pattern(password: str, profile: str) -> None:
    codes = codes_of(password, profile)
    assert "pattern" in codes
    assert codes == oracle(password, profile, [])


def test_pattern_is_the_only_violation_when_otherwise_fine() -> None:
    for password in ("Zhangwei@19900101", "Liudehua1314520!", "Woaini-1314-520-2024"):
        assert codes_of(password, "nist") == ["pattern"]
        assert codes_of(password) == ["pattern"]


@pytest.mark.parametrize("profile", PROFILE_NAMES)
def test_every_pinyin_word_with_year_or_love_digits_fails(profile: str) -> None:
    letters_only = [w for w in CHINESE_ENTRIES if w.isalpha()]
    assert len(letters_only) >= 150
    for word in letters_only:
        for prefix, suffix in [
            ("", "2024"),
            ("", "123"),
            ("", "520"),
            ("", "1314"),
            ("19900101", ""),
            ("!", "5201314!!"),
            ("2024@", "#1314"),
        ]:
            password = prefix + word.title() + suffix
            assert "pattern" in codes_of(password, profile), password


@pytest.mark.parametrize(
    "password",
    [
        "aaaaaaaaaaaaaaaa",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "1111111111111111",
        "!!!!!!!!!!!!!!!!",
        "abcdefghijklmnop",
        "ABCDEFGHIJKLMNOPQRSTUVWXYZABCD",
        "zyxwvutsrqponmlk",
        "1234567890123456",
        "9876543210987654",
        "qwertyuiopqwerty",
        "QwErTyUiOpAsDfGh",
        "poiuytrewqpoiuyt",
        "asdfghjklasdfghjkl",
        "zxcvbnmzxcvbnmzx",
        "!@#$%^&*()!@#$%^",
        "我我我我我我我我我我我我我我我",
        "Aaaaaaaaaaaa1!",
        "2024Abcdefgh!!",
        "99##Qwertyuiop##99",
        "a" * 128,
        "0123456789" * 12,
        "Zyxwvutsrqponmlkjihgfedcbazyxwvutsrqponmlkjihgfedcba",
    ],
)
@pytest.mark.parametrize("profile", PROFILE_NAMES)
def test_repeats_and_sequences_fail_regardless_of_length(password: str, profile: str) -> None:
    assert "pattern" in codes_of(password, profile)


def test_non_sequences_are_not_patterns() -> None:
    assert codes_of("Qx7#mVz2!kLpWe", "nist") == ["too_short"]
    assert codes_of("acegikmoqsuwyBD1!") == []
    assert codes_of("7391#Lq&2048xyz!") == []  # core "lq&2048xyz" is neither word nor sequence


# ---------------------------------------------------------------------------------------------
# Context words
# ---------------------------------------------------------------------------------------------

CONTEXT = ["zhang.wei", "张伟", "江苏省公安厅南京分局"]


@pytest.mark.parametrize("profile", PROFILE_NAMES)
def test_context_words(profile: str) -> None:
    assert codes_of("My-Zhang.Wei#Pass88x", profile, CONTEXT) == ["context"]
    assert codes_of("Rq7!ZHANGkx#3Lpvmt", profile, CONTEXT) == ["context"]  # a part of the name
    assert codes_of("Rq7!zhangweikx#3Lp", profile, CONTEXT) == ["context"]  # without separator
    assert codes_of("X9#张伟kq!L7mzRt5", profile, CONTEXT) == ["context"]  # two Chinese characters
    assert codes_of("X9#江苏省公安厅南京分局!Ab1", profile, CONTEXT) == ["context"]
    assert codes_of("X9#江苏省公安厅南京分局!Ab1", profile) == []
    assert codes_of("Fanguai-Strong#88q", profile) == ["context"]
    assert codes_of("Strong#88q反拐Xyzw!", profile) == ["context"]
    assert codes_of("ＦＡＮＧＵＡＩ-Strong#88q", profile) == ["context"]  # full width, upper case
    assert codes_of("Rq7!Weikx#3LpvmtYu", profile, CONTEXT) == ["context"]  # "wei" has 3 letters


@pytest.mark.parametrize("profile", PROFILE_NAMES)
def test_short_latin_context_words_are_ignored(profile: str) -> None:
    assert codes_of("Qx7!Li#pt93VzWq", profile, ["Li", "wu", "", None]) == []


# ---------------------------------------------------------------------------------------------
# Errors and messages
# ---------------------------------------------------------------------------------------------


def test_validate_password_raises_with_chinese_messages() -> None:
    with pytest.raises(WeakPassword) as caught:
        validate_password("woaini", context=["someone"])
    error = caught.value
    assert isinstance(error, InvalidInput)
    assert error.status_code == 422
    assert error.field == "password"
    codes = [v.code for v in error.violations]
    assert codes == ["too_short", "classes", "blocklisted"]
    assert error.message == "；".join(v.message_zh for v in error.violations)
    assert "12" in error.violations[0].message_zh
    for violation in error.violations:
        assert isinstance(violation, Violation)
        assert any("\u4e00" <= ch <= "\u9fff" for ch in violation.message_zh)
        assert violation.message_en.isascii()


def test_validate_password_passes_silently() -> None:
    validate_password("Qx7#mVz2!kLp")
    validate_password("vortex lamp 7 b", profile="nist")


def test_every_code_has_messages_in_both_languages() -> None:
    cases = {
        "empty": ("", "cn-mlps3", []),
        "too_short": ("Ab1!", "nist", []),
        "too_long": ("Ab1!" * 40, "nist", []),
        "classes": ("abcd", "cn-mlps3", []),
        "blocklisted": ("password", "nist", []),
        "pattern": ("Woaini1314", "nist", []),
        "context": ("fanguai", "nist", []),
    }
    for code, (password, profile, context) in cases.items():
        found = {v.code: v for v in check_password(password, profile=profile, context=context)}
        assert code in found
        assert found[code].message_zh and found[code].message_en
        assert found[code].message_zh != found[code].message_en
    too_short = check_password("Ab1!", profile="nist")[0]
    assert "15" in too_short.message_zh and "15" in too_short.message_en
