"""Password policy: the ``cn-mlps3`` and ``nist`` profiles (SECURITY.md, decision 1; test A1).

Every check runs on the NFKC form of the password (:func:`normalise`), and the hasher must hash
exactly that form, whole. Nothing here shortens a password: the full input is checked, up to
``max_length`` characters, and longer input is rejected rather than cut. Argon2id (see
``fanguai.security.passwords``) has no input limit, unlike bcrypt's 72 bytes, so two passwords
that differ only in their 64th (or 128th) character stay two different passwords.

Rules, applied to ``p = normalise(password)`` and ``f = p.casefold()``:

* ``empty``: ``p`` is empty (reported alone).
* ``too_short`` / ``too_long``: ``len(p)`` (code points) outside the profile's limits.
* ``classes``: fewer than ``min_classes`` of ASCII upper case, ASCII lower case, ASCII digits,
  and symbols (every other character, non-ASCII letters such as Chinese ones included).
* ``blocklisted``: ``f`` is in the blocklist (zxcvbn's common passwords plus
  ``data/pinyin_words.txt``).
* ``pattern``: ``f`` or its *core* (``f`` without leading and trailing non-letters, i.e. digits
  and symbols) is a single repeated character or a simple sequence (alphabet, digits, keyboard
  rows, forwards or backwards, wrapping round) of at least 4 characters; or the core differs from
  ``f`` and is itself in the blocklist ("Woaini1314!", "zhangwei2024", "123456qaz").
* ``context``: ``f`` contains "fanguai" or "反拐", or a context word (user name, display name,
  unit name), compared NFKC-normalised and case-folded. Each context value contributes itself,
  itself without separators ("Zhang Wei" -> "zhangwei") and each of its letter/digit runs, each
  of them when at least 3 characters long, or 2 when it holds a non-ASCII character (a
  two-character Chinese name such as 张伟).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources

from zxcvbn.frequency_lists import FREQUENCY_LISTS

from fanguai.errors import InvalidInput

__all__ = [
    "DEFAULT_PROFILE",
    "PROFILES",
    "PasswordProfile",
    "Violation",
    "WeakPassword",
    "blocklist_size",
    "check_password",
    "normalise",
    "validate_password",
]


@dataclass(frozen=True)
class PasswordProfile:
    """Limits of one password profile; ``rotation_days`` None means no forced rotation."""

    name: str
    min_length: int
    max_length: int
    min_classes: int
    rotation_days: int | None


PROFILES: dict[str, PasswordProfile] = {
    # 等保 level 3: complexity plus periodic change (rotation is enforced by the login layer).
    "cn-mlps3": PasswordProfile(
        "cn-mlps3", min_length=12, max_length=128, min_classes=3, rotation_days=90
    ),
    # NIST SP 800-63B: length and blocklist, no composition rules, no rotation.
    "nist": PasswordProfile(
        "nist", min_length=15, max_length=128, min_classes=0, rotation_days=None
    ),
}
DEFAULT_PROFILE = "cn-mlps3"


@dataclass(frozen=True)
class Violation:
    """One broken rule, with messages for the user in Chinese and English."""

    code: str
    message_zh: str
    message_en: str


class WeakPassword(InvalidInput):
    """The password breaks the policy; ``violations`` lists every broken rule."""

    def __init__(self, violations: list[Violation]) -> None:
        super().__init__("；".join(v.message_zh for v in violations), field="password")
        self.violations = violations


# Always context words, whatever the caller passes: the system's own names.
_BUILTIN_CONTEXT = ("fanguai", "反拐")
_MIN_CONTEXT_LEN = 3
# A two-character Chinese name (张伟) identifies a person as well as a long Latin one.
_MIN_CONTEXT_LEN_NON_ASCII = 2
# Repeated characters and sequences shorter than this are not reported on their own.
_MIN_PATTERN_LEN = 4
# NFKC composition turns at most 4 code points into one, so input longer than
# 8 * max_length code points is too long whatever its normal form; it is not even normalised.
_RAW_LENGTH_FACTOR = 8

_SEQUENCES = (
    "abcdefghijklmnopqrstuvwxyz",
    "0123456789",
    "qwertyuiop",
    "asdfghjkl",
    "zxcvbnm",
    "qwertyuiopasdfghjklzxcvbnm",
    "!@#$%^&*()",
)
_SEQUENCES_BOTH_WAYS = _SEQUENCES + tuple(s[::-1] for s in _SEQUENCES)


def normalise(password: str) -> str:
    """The NFKC form of ``password``: what the policy checks and what the hasher must hash."""
    return unicodedata.normalize("NFKC", password)


def _fold(text: str) -> str:
    return normalise(text).casefold()


def _load_chinese_entries() -> frozenset[str]:
    text = (
        resources.files("fanguai.security")
        .joinpath("data/pinyin_words.txt")
        .read_text(encoding="utf-8")
    )
    entries = (line.strip() for line in text.splitlines())
    return frozenset(_fold(e) for e in entries if e and not e.startswith("#"))


def _build_blocklist() -> frozenset[str]:
    # Read from the installed zxcvbn at import time rather than copied into the repository.
    common = (_fold(p) for p in FREQUENCY_LISTS["passwords"])
    return frozenset(common) | _load_chinese_entries()


_BLOCKLIST = _build_blocklist()


def blocklist_size() -> int:
    """Number of distinct (normalised, case-folded) passwords in the blocklist."""
    return len(_BLOCKLIST)


def _class_count(password: str) -> int:
    upper = lower = digit = symbol = False
    for ch in password:
        if "A" <= ch <= "Z":
            upper = True
        elif "a" <= ch <= "z":
            lower = True
        elif "0" <= ch <= "9":
            digit = True
        else:
            symbol = True
    return upper + lower + digit + symbol


def _core(folded: str) -> str:
    start, end = 0, len(folded)
    while start < end and not folded[start].isalpha():
        start += 1
    while end > start and not folded[end - 1].isalpha():
        end -= 1
    return folded[start:end]


def _is_trivial(text: str) -> bool:
    if len(text) < _MIN_PATTERN_LEN:
        return False
    if len(set(text)) == 1:
        return True
    for seq in _SEQUENCES_BOTH_WAYS:
        # Repeating the source lets a sequence wrap round ("7890123", "qwertyuiopqwerty").
        if text in seq * (len(text) // len(seq) + 2):
            return True
    return False


def _context_terms(context: Iterable[str | None]) -> set[str]:
    terms = set(_BUILTIN_CONTEXT)
    for value in context:
        if not value:  # an unset display name or unit
            continue
        folded = _fold(value).strip()
        runs = "".join(ch if ch.isalnum() else " " for ch in folded).split()
        for term in (folded, "".join(runs), *runs):
            minimum = _MIN_CONTEXT_LEN if term.isascii() else _MIN_CONTEXT_LEN_NON_ASCII
            if len(term) >= minimum:
                terms.add(term)
    return terms


_MESSAGES: dict[str, tuple[str, str]] = {
    "empty": ("密码不能为空", "The password must not be empty"),
    "too_short": ("密码长度至少为 {n} 个字符", "The password must have at least {n} characters"),
    "too_long": ("密码长度不能超过 {n} 个字符", "The password must have at most {n} characters"),
    "classes": (
        "密码须包含大写字母、小写字母、数字、符号中的至少 {n} 类",
        "The password must contain at least {n} of: upper case, lower case, digits, symbols",
    ),
    "blocklisted": ("该密码是常见密码，容易被猜中", "This is a common password and easy to guess"),
    "pattern": (
        "密码属于易猜模式（常见词或拼音加数字、重复字符或连续序列）",
        "The password follows an easily guessed pattern "
        "(a common word or pinyin with digits, a repeated character or a sequence)",
    ),
    "context": (
        "密码不能包含用户名、姓名、单位名称或系统名称",
        "The password must not contain the user name, name, unit name or system name",
    ),
}


def _violation(code: str, n: int | None = None) -> Violation:
    zh, en = _MESSAGES[code]
    return Violation(code, zh.format(n=n), en.format(n=n))


def _profile(name: str) -> PasswordProfile:
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown password profile {name!r}") from None


def check_password(
    password: str, *, profile: str = DEFAULT_PROFILE, context: Iterable[str | None] = ()
) -> list[Violation]:
    """Every rule of ``profile`` that ``password`` breaks, in a fixed order; empty when fine."""
    prof = _profile(profile)
    if len(password) > _RAW_LENGTH_FACTOR * prof.max_length:
        return [_violation("too_long", prof.max_length)]
    normal = normalise(password)
    if not normal:
        return [_violation("empty")]
    folded = normal.casefold()
    found: list[Violation] = []
    if len(normal) < prof.min_length:
        found.append(_violation("too_short", prof.min_length))
    if len(normal) > prof.max_length:
        found.append(_violation("too_long", prof.max_length))
    if _class_count(normal) < prof.min_classes:
        found.append(_violation("classes", prof.min_classes))
    if folded in _BLOCKLIST:
        found.append(_violation("blocklisted"))
    core = _core(folded)
    if _is_trivial(folded) or _is_trivial(core) or (core != folded and core in _BLOCKLIST):
        found.append(_violation("pattern"))
    if any(term in folded for term in _context_terms(context)):
        found.append(_violation("context"))
    return found


def validate_password(
    password: str, *, profile: str = DEFAULT_PROFILE, context: Iterable[str | None] = ()
) -> None:
    """Raise :class:`WeakPassword` when ``password`` breaks any rule of ``profile``."""
    violations = check_password(password, profile=profile, context=context)
    if violations:
        raise WeakPassword(violations)
