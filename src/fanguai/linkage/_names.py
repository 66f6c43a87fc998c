"""Chinese names: normalisation, surname split and tone-less pinyin with surname readings.

Pinyin comes from pypinyin's dictionaries (shipped inside the package). A surname is read with
its surname reading (单 shan, 解 xie, 曾 zeng, 区 ou, ...): pypinyin alone reads 单 as dan.
Every name also gets its *readings*, the pinyin strings of all combinations of the readings of
its characters (heteronyms), so that 乐乐 (le le) and 岳岳 (yue yue) can be told homophones.
"""

from __future__ import annotations

import itertools
import math
import re
import threading
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from pypinyin import Style, lazy_pinyin, pinyin

__all__ = [
    "COMPOUND_SURNAMES",
    "PLACEHOLDER_NAMES",
    "SURNAME_READINGS",
    "NameKeys",
    "given_name_keys",
    "name_keys",
    "name_pinyin",
    "normalise_name",
    "split_name",
]

# Two-character surnames (复姓), simplified and traditional. A name that starts with one of these
# and is longer than it has this surname; otherwise the first character is the surname.
COMPOUND_SURNAMES = frozenset(
    "欧阳 司马 诸葛 上官 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 夏侯 轩辕 令狐 钟离 端木 独孤 "
    "南宫 西门 万俟 闻人 澹台 公冶 太史 申屠 赫连 呼延 东郭 百里 司空 濮阳 淳于 单于 公羊 仲孙 "
    "乐正 拓跋 第五 梁丘 左丘 谷梁 东门 羊舌 微生 公良 漆雕 壤驷 公西 巫马 颛孙 段干 亓官 司寇 "
    "鲜于 闾丘 夹谷 宰父 南门 "
    "歐陽 司馬 諸葛 東方 尉遲 公孫 長孫 軒轅 鍾離 獨孤 南宮 西門 萬俟 聞人 東郭 濮陽 單于 "
    "鮮于 閭丘 東門".split()
)

# Surnames read differently from the common reading of their character (tone-less pinyin).
SURNAME_READINGS: dict[str, tuple[str, ...]] = {
    "单": ("shan",),
    "單": ("shan",),
    "解": ("xie",),
    "曾": ("zeng",),
    "区": ("ou",),
    "區": ("ou",),
    "仇": ("qiu",),
    "朴": ("piao",),
    "查": ("zha",),
    "盖": ("ge",),
    "蓋": ("ge",),
    "乐": ("yue",),
    "樂": ("yue",),
    "尉": ("wei",),
    "覃": ("qin",),
    "缪": ("miao",),
    "繆": ("miao",),
    "召": ("shao",),
    "秘": ("bi",),
    "种": ("chong",),
    "種": ("chong",),
    "折": ("she",),
    "员": ("yun",),
    "員": ("yun",),
    "繁": ("po",),
    "句": ("gou",),
    "能": ("nai",),
    "任": ("ren",),
    "沈": ("shen",),
    "薄": ("bo",),
    "那": ("na",),
    "翟": ("zhai",),
    "祭": ("zhai",),
    "隗": ("wei",),
    "郇": ("huan",),
    "宿": ("su",),
    "冼": ("xian",),
    "洗": ("xian",),
    "贲": ("ben",),
    "牟": ("mu",),
    "過": ("guo",),
    "柏": ("bai",),
    "重": ("chong",),
    "藏": ("zang",),
    "卜": ("bu",),
    "阚": ("kan",),
    "莘": ("shen",),
    "眭": ("sui",),
    "逄": ("pang",),
    "居": ("ju",),
    "都": ("du",),
    "瞿": ("qu",),
    "朝": ("chao",),
    "隽": ("juan",),
    "万": ("wan",),
    "长": ("chang",),
    "令": ("ling",),
    "于": ("yu",),
    "谌": ("chen",),
    "尉迟": ("yu", "chi"),
    "尉遲": ("yu", "chi"),
    "万俟": ("mo", "qi"),
    "萬俟": ("mo", "qi"),
    "单于": ("chan", "yu"),
    "單于": ("chan", "yu"),
    "长孙": ("zhang", "sun"),
    "長孫": ("zhang", "sun"),
    "澹台": ("tan", "tai"),
    "乐正": ("yue", "zheng"),
    "令狐": ("ling", "hu"),
}

# Written where the name is not known; such a name counts as missing.
PLACEHOLDER_NAMES = frozenset(
    {"不详", "未知", "无名", "无名氏", "无", "不知道", "佚名", "不明", "姓名不详", "不詳", "無名"}
)

_MIDDLE_DOTS = str.maketrans({c: "·" for c in "•・‧∙⋅･."})
# At most this many reading combinations per name; past it only one character varies at a time.
_MAX_READINGS = 32


def normalise_name(text: str) -> str:
    """NFKC, no white space, one kind of middle dot (阿依古丽·买买提), Latin letters lower case."""
    folded = unicodedata.normalize("NFKC", text).translate(_MIDDLE_DOTS)
    return "".join(folded.split()).strip("·").lower()


def split_name(name: str) -> tuple[str, str]:
    """(surname, given name) of a normalised name; no surname for a ·-name or one character."""
    if "·" in name or len(name) < 2 or not _is_han(name[0]):
        return "", name.replace("·", "")
    if len(name) > 2 and name[:2] in COMPOUND_SURNAMES:
        return name[:2], name[2:]
    return name[:1], name[1:]


_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_ALL_HAN = re.compile(f"[{_HAN}]*")
_SEGMENT = re.compile(f"[{_HAN}]|[^{_HAN}]+")


def _is_han(ch: str) -> bool:
    return _ALL_HAN.fullmatch(ch) is not None and ch != ""


def _segments(text: str) -> list[str]:
    """Han characters one by one, other runs (Latin letters) whole: pypinyin's own tokens."""
    if _ALL_HAN.fullmatch(text):
        return list(text)
    return _SEGMENT.findall(text)


@lru_cache(maxsize=65536)
def _char_readings(ch: str) -> tuple[str, ...]:
    if len(ch) != 1 or not _is_han(ch):
        return (ch,)
    return tuple(dict.fromkeys(pinyin(ch, style=Style.NORMAL, heteronym=True)[0]))


@lru_cache(maxsize=1 << 17)
def _given_syllables(given: str) -> tuple[str, ...]:
    segments = _segments(given)
    syllables = lazy_pinyin(given, style=Style.NORMAL) if given else []
    if len(syllables) != len(segments):  # pypinyin tokenised differently: read piece by piece
        syllables = [lazy_pinyin(s, style=Style.NORMAL)[0] for s in segments]
    return tuple(syllables)


@lru_cache(maxsize=4096)
def _surname_syllables(surname: str) -> tuple[str, ...]:
    if surname in SURNAME_READINGS:
        return SURNAME_READINGS[surname]
    if len(surname) == 2 and surname[0] in SURNAME_READINGS:
        return (SURNAME_READINGS[surname[0]][0], *_given_syllables(surname[1:]))
    return _given_syllables(surname)


@dataclass(frozen=True)
class NameKeys:
    """What the comparisons use of a name: surname, pinyin and the heteronym readings."""

    surname: str
    given: str
    syllables: tuple[str, ...]
    surname_pinyin: str
    given_pinyin: str
    readings: tuple[str, ...]

    @property
    def pinyin(self) -> str:
        """The primary reading, syllables separated by spaces."""
        return " ".join(self.syllables)

    @property
    def sorted_pinyin(self) -> str:
        """Syllables in alphabetical order: equal for names with swapped characters."""
        return " ".join(sorted(self.syllables))


def _alternatives(surname: str, given: str, syllables: list[str]) -> list[tuple[str, ...]]:
    """Per position: the primary syllable first, then the other readings of the character."""
    chars = _segments(surname) + _segments(given)
    return [_with_primary(primary, ch) for ch, primary in zip(chars, syllables, strict=True)]


@lru_cache(maxsize=65536)
def _with_primary(primary: str, ch: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys((primary, *_char_readings(ch))))


def _combine(alternatives: list[tuple[str, ...]]) -> tuple[str, ...]:
    """All combinations of the readings (distinct, as each position's are), primary first."""
    count = math.prod(len(a) for a in alternatives)
    if count == 1:
        return (" ".join(a[0] for a in alternatives),)
    if count <= _MAX_READINGS:
        return tuple(" ".join(c) for c in itertools.product(*alternatives))
    primary = tuple(a[0] for a in alternatives)
    varied = (
        primary[:i] + (alt,) + primary[i + 1 :] for i, a in enumerate(alternatives) for alt in a[1:]
    )
    return tuple(" ".join(c) for c in itertools.chain([primary], varied))


def _keys(surname: str, given: str) -> NameKeys:
    surname_syllables = _surname_syllables(surname) if surname else ()
    given_syllables = _given_syllables(given)
    syllables = [s.lower() for s in surname_syllables + given_syllables]
    return NameKeys(
        surname=surname,
        given=given,
        syllables=tuple(syllables),
        surname_pinyin=" ".join(syllables[: len(surname_syllables)]),
        given_pinyin=" ".join(syllables[len(surname_syllables) :]),
        readings=_combine(_alternatives(surname, given, syllables)),
    )


@lru_cache(maxsize=1 << 18)
def name_keys(name: str) -> NameKeys:
    """Pinyin keys of a normalised, non-empty name (surnames read with their surname reading)."""
    return _keys(*split_name(name))


@lru_cache(maxsize=1 << 16)
def given_name_keys(given: str) -> NameKeys:
    """Pinyin keys of a given name alone (no character read as a surname)."""
    return _keys("", given)


def name_pinyin(name: str) -> str:
    """Tone-less pinyin of a name, surname read as a surname: ``name_pinyin("单雄信")`` is
    ``"shan xiong xin"``."""
    normalised = normalise_name(name)
    return name_keys(normalised).pinyin if normalised else ""


_CODES: dict[str, str] = {}
_CODES_LOCK = threading.Lock()
_PRIVATE_USE = (0xE000, 0xF8FF)


def syllable_code(syllable: str) -> str:
    """One private-use character per syllable, so that string edit distance counts syllables.

    Codes are assigned in order of first use and are only meaningful within one process.
    """
    code = _CODES.get(syllable)
    if code is None:
        with _CODES_LOCK:
            code = _CODES.get(syllable)
            if code is None:
                n = len(_CODES)
                start, end = _PRIVATE_USE
                code = chr(start + n) if start + n <= end else chr(0xF0000 + n)
                _CODES[syllable] = code
    return code


def syllable_string(keys: NameKeys) -> str:
    """The name's syllables as one private-use character each."""
    return "".join(syllable_code(s) for s in keys.syllables)
