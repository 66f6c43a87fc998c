"""Seeded synthetic missing children and found persons with realistic recording noise.

For benchmarks, tests and the platform's demo. Missing-child records are written from what the
parents report (mostly complete); found persons' records from what a child or an official can
tell (estimated ages, a neighbouring county, names heard rather than read). Some found persons
are missing children of the data set; of those, most kept their name (lost and runaway
children, possibly misheard or misspelt), some could not give one, and some were given a new
one (trafficked children).

>>> data = generate(n_missing=300, n_found=200, seed=1)
>>> len(data.missing), len(data.found), len(data.pairs) > 0
(300, 200, True)
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache

from fanguai.geo import service as geo
from fanguai.linkage._names import SURNAME_READINGS, name_keys, split_name
from fanguai.linkage._records import Record

__all__ = ["KEPT", "NAMELESS", "RENAMED", "Noise", "SyntheticData", "generate"]

KEPT = "kept"  # the found record has the child's name, maybe misheard or misspelt
NAMELESS = "nameless"  # the found record has no name
RENAMED = "renamed"  # the found record has another name

# Surnames with their share of the population in percent (rounded national figures), plus
# rarer surnames whose reading differs from their character's common reading.
_SURNAMES = (
    "王7.1 李7.2 张6.8 刘5.4 陈4.5 杨3.1 黄2.2 赵2.1 吴2.1 周1.9 徐1.6 孙1.5 马1.5 朱1.5 胡1.3 "
    "郭1.2 何1.1 高1.0 林1.0 罗.86 郑.81 梁.78 谢.72 宋.70 唐.69 许.67 韩.63 冯.62 邓.62 曹.61 "
    "彭.58 曾.55 肖.55 田.52 董.51 袁.49 潘.48 于.47 蒋.47 蔡.46 余.45 杜.44 叶.43 程.42 苏.41 "
    "魏.40 吕.39 丁.38 任.37 沈.36 姚.35 卢.34 姜.33 崔.32 钟.31 谭.30 陆.29 汪.28 范.27 金.26 "
    "石.25 廖.24 贾.23 夏.22 韦.21 付.20 方.19 白.18 邹.17 孟.17 熊.16 秦.16 邱.15 江.15 尹.14 "
    "薛.14 闫.13 段.13 雷.12 侯.12 龙.11 史.11 陶.10 黎.10 贺.10 顾.10 毛.09 郝.09 龚.09 邵.09 "
    "万.08 钱.08 严.08 覃.07 武.07 戴.07 莫.07 孔.06 向.06 汤.06 单.05 解.04 仇.03 查.03 区.02 "
    "朴.02 盖.02 缪.03 翟.04 乐.02 欧阳.03 司马.01 诸葛.01 上官.01"
)
_BOY_CHARS = (
    "子浩宇轩梓博文俊杰睿泽晨然一航涛鹏磊鑫明宁成志强伟嘉豪铭恒逸宸皓瑞凯奕诚安乐远天辰翔峰斌"
    "佳彬昊钰毅楠煜哲阳宏晟锦源锐健康辉腾霖振鸿亮飞凡骏旭帆坤琦泓洋骁麟森炎景弘瀚林冠靖新卓晖"
    "政帅东南力啸朗胜元庆书兴允硕烨"
)
_GIRL_CHARS = (
    "欣怡涵雨萱诺梓子思佳可心馨悦琪妍彤雅静婷慧玲丽娜晶瑶梦雪艺一若语嘉紫婉晴蕾菲月秀芳诗淑颖"
    "婧琳璐露茜倩楠洁媛蓉薇岚霞凤红丹青宁冉希沫汐依伊甜乐安然晨曦瑾瑜璇筱小晓文清韵舒娅蓓珊婕"
    "柔芸萌朵灵念苒艾歆"
)
_MAN_CHARS = (
    "建国华军伟明平强勇斌峰刚林海东波辉亮超杰磊俊涛鹏飞宇兵文成志新春荣卫忠良福生德祥龙庆胜金"
    "宏振江永红光学清云山水发友富贵宝利民"
)
_WOMAN_CHARS = (
    "秀英芳丽红霞玲梅燕娟敏静兰凤云华萍艳琴莉桂珍丹洁慧娜雪婷颖莹琳翠春美花玉月菊小晓佳文芬青"
    "倩蓉素彩"
)
# Traditional or variant forms with the same reading (异体字 / 繁体字).
_VARIANTS = dict(
    zip(
        "伟华国丽红龙凤东军刚强杰涛晓静梦艳兰云辉鹏铭诚宁远乐阳颖泽锦张陈刘杨黄赵吴孙马郑罗谢韩冯"
        "邓许苏叶吕钱汤陆顾龚单峰群岩",
        "偉華國麗紅龍鳳東軍剛強傑濤曉靜夢艷蘭雲輝鵬銘誠寧遠樂陽穎澤錦張陳劉楊黃趙吳孫馬鄭羅謝韓馮"
        "鄧許蘇葉呂錢湯陸顧龔單峯羣巖",
        strict=True,
    )
)
_SIDES = ("左", "右")
_PARTS = (
    "耳后",
    "手背",
    "手臂",
    "小腿",
    "额头",
    "脸颊",
    "眉毛",
    "肩膀",
    "后背",
    "胸口",
    "脚踝",
    "手腕",
    "膝盖",
    "下巴",
    "脖子",
    "大腿",
)
_MARKS = ("黑痣", "红色胎记", "青色胎记", "烫伤疤痕", "缝针疤痕", "刀疤", "白斑", "小痣", "朱砂痣")
_CONDITIONS = ("六指", "兔唇", "斜视", "说话口吃", "走路跛行", "耳朵残缺", "牙齿缺损", "头顶双旋")


@dataclass(frozen=True)
class Noise:
    """How found records differ from the truth (probabilities; each line sums to at most 1)."""

    nameless: float = 0.08
    renamed: float = 0.07
    homophone: float = 0.12
    variant: float = 0.04
    swapped: float = 0.04
    dropped: float = 0.05
    miswritten: float = 0.02
    birth_missing: float = 0.06
    birth_month_only: float = 0.05
    birth_year_only: float = 0.25
    birth_year_off_one: float = 0.14
    birth_year_off_two: float = 0.05
    place_missing: float = 0.08
    place_neighbour: float = 0.30
    place_same_city: float = 0.05
    place_anywhere: float = 0.04
    sex_missing: float = 0.02
    sex_wrong: float = 0.003
    event_missing: float = 0.03
    father_known: float = 0.45
    mother_known: float = 0.40
    features_described: float = 0.70


@dataclass(frozen=True)
class SyntheticData:
    """Records of both sides and the truth: which found person is which missing child."""

    missing: list[Record]
    found: list[Record]
    pairs: dict[tuple[str, str], str] = field(default_factory=dict)

    def pairs_where(self, status: str) -> set[tuple[str, str]]:
        """True (missing_id, found_id) pairs whose found name is ``KEPT``, ``NAMELESS`` or
        ``RENAMED``."""
        return {pair for pair, s in self.pairs.items() if s == status}


@dataclass
class _Person:
    name: str
    sex: str
    birth: date
    county: str
    missing_on: date
    father: str
    mother: str
    features: list[tuple[str, str, str]]


def _weighted(text: str) -> tuple[list[str], list[float]]:
    names, weights = [], []
    for item in text.split():
        i = next(k for k, ch in enumerate(item) if ch.isdigit() or ch == ".")
        names.append(item[:i])
        weights.append(float(item[i:]))
    return names, weights


def _zipf(chars: str) -> tuple[list[str], list[float]]:
    unique = list(dict.fromkeys(chars))
    return unique, [1 / (rank + 3) for rank in range(len(unique))]


@cache
def _common_chars() -> tuple[str, ...]:
    """The 3,755 level-1 characters of GB 2312, the most common in writing."""
    out = []
    for hi in range(0xB0, 0xD8):
        for lo in range(0xA1, 0xFF):
            try:
                out.append(bytes((hi, lo)).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return tuple(out)


def _reading(ch: str, as_surname: bool) -> str:
    if as_surname and ch in SURNAME_READINGS:
        return SURNAME_READINGS[ch][0]
    return name_keys(ch).syllables[0] if len(ch) == 1 else ""


@cache
def _homophones() -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    """Reading → (name characters, other common characters) that have it."""
    name_chars = set(_BOY_CHARS + _GIRL_CHARS + _MAN_CHARS + _WOMAN_CHARS)
    name_chars.update(s for s in _weighted(_SURNAMES)[0] if len(s) == 1)
    by_reading: dict[str, tuple[list[str], list[str]]] = defaultdict(lambda: ([], []))
    for ch in _common_chars():
        by_reading[name_keys(ch).syllables[0]][0 if ch in name_chars else 1].append(ch)
    return {k: (tuple(a), tuple(b)) for k, (a, b) in by_reading.items()}


@cache
def _counties() -> tuple[tuple[str, ...], dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]]:
    """County codes, each county's four nearest, and the counties of each city."""
    counties = geo.divisions("county")
    codes = tuple(c.code for c in counties)
    nearest = {}
    for c in counties:
        others = sorted(
            (geo.distance_km(c.lat, c.lng, o.lat, o.lng), o.code) for o in counties if o != c
        )
        nearest[c.code] = tuple(code for _, code in others[:4])
    by_city: dict[str, list[str]] = defaultdict(list)
    for c in counties:
        by_city[c.parent or ""].append(c.code)
    return codes, nearest, {c.code: tuple(by_city[c.parent or ""]) for c in counties}


class _Generator:
    def __init__(self, seed: int, noise: Noise) -> None:
        self.rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
        self.noise = noise
        self.surnames = _weighted(_SURNAMES)
        self.pools = {
            "M": _zipf(_BOY_CHARS),
            "F": _zipf(_GIRL_CHARS),
            "man": _zipf(_MAN_CHARS),
            "woman": _zipf(_WOMAN_CHARS),
        }

    def choice(self, pool: tuple[list[str], list[float]]) -> str:
        return self.rng.choices(pool[0], pool[1])[0]

    def given(self, pool: str) -> str:
        chars = self.pools[pool]
        return "".join(self.choice(chars) for _ in range(1 if self.rng.random() < 0.15 else 2))

    def surname(self) -> str:
        return self.choice(self.surnames)

    def day_between(self, first: date, last: date) -> date:
        return first + timedelta(days=self.rng.randrange((last - first).days + 1))

    def features(self) -> list[tuple[str, str, str]]:
        if self.rng.random() >= 0.45:
            return []
        out = []
        for _ in range(1 if self.rng.random() < 0.7 else 2):
            if self.rng.random() < 0.15:
                out.append(("", "", self.rng.choice(_CONDITIONS)))
            else:
                side = self.rng.choice(_SIDES) if self.rng.random() < 0.7 else ""
                out.append((side, self.rng.choice(_PARTS), self.rng.choice(_MARKS)))
        return out

    def person(self) -> _Person:
        rng = self.rng
        sex = "M" if rng.random() < 0.55 else "F"
        surname = self.surname()
        missing_on = self.day_between(date(2012, 1, 1), date(2024, 6, 30))
        kind = rng.random()  # infants, lost young children, runaway teenagers
        youngest, oldest = (0, 1) if kind < 0.1 else (2, 8) if kind < 0.55 else (10, 17)
        birth = missing_on - timedelta(days=rng.randrange(365 * youngest, 365 * (oldest + 1)))
        return _Person(
            name=surname + self.given(sex),
            sex=sex,
            birth=birth,
            county=self.county(),
            missing_on=missing_on,
            father=(surname if rng.random() < 0.95 else self.surname()) + self.given("man"),
            mother=self.surname() + self.given("woman"),
            features=self.features(),
        )

    def county(self) -> str:
        return self.rng.choice(_counties()[0])

    # --- recording noise ---------------------------------------------------------------

    def homophone(self, ch: str, as_surname: bool) -> str:
        names, others = _homophones().get(_reading(ch, as_surname), ((), ()))
        candidates = [c for c in names if c != ch] or [c for c in others if c != ch]
        return self.rng.choice(candidates) if candidates else ch

    def misheard(self, name: str) -> str:
        """Replace one character (the surname with a third of the chance) with a homophone."""
        surname, given = split_name(name)
        if surname and len(surname) == 1 and (not given or self.rng.random() < 0.33):
            return self.homophone(surname, True) + given
        i = self.rng.randrange(len(given))
        return surname + given[:i] + self.homophone(given[i], False) + given[i + 1 :]

    def variant(self, name: str) -> str:
        positions = [i for i, ch in enumerate(name) if ch in _VARIANTS]
        if not positions:
            return self.misheard(name)
        i = self.rng.choice(positions)
        return name[:i] + _VARIANTS[name[i]] + name[i + 1 :]

    def noisy_name(self, name: str) -> str:
        n, roll = self.noise, self.rng.random()
        surname, given = split_name(name)
        if roll < n.homophone:
            return self.misheard(name)
        roll -= n.homophone
        if roll < n.variant:
            return self.variant(name)
        roll -= n.variant
        if roll < n.swapped:
            return surname + given[::-1] if len(given) == 2 else self.misheard(name)
        roll -= n.swapped
        if roll < n.dropped:
            if len(given) == 2:
                return surname + given[self.rng.randrange(2)]
            return self.misheard(name)
        roll -= n.dropped
        if roll < n.miswritten and given:  # another character altogether: a slip of the pen
            i = self.rng.randrange(len(surname), len(name))
            return name[:i] + self.choice(self.pools[self.rng.choice(("M", "F"))]) + name[i + 1 :]
        return name

    def estimated_year(self, birth: date, offset: int, latest: int) -> str:
        """The year of birth off by ``offset`` either way, never after the year ``latest``."""
        sign = self.rng.choice((-1, 1))
        year = birth.year + sign * offset
        return str(year if year <= latest else birth.year - offset)

    def found_birth(self, birth: date, renamed: bool, latest: int) -> str:
        n, rng = self.noise, self.rng
        roll = rng.random()
        if renamed:  # a trafficked child's papers: an estimate at best
            offset = rng.choice((0, 0, 1, 1, 2))
            return "" if roll < 0.3 else self.estimated_year(birth, offset, latest)
        for share, value in (
            (n.birth_missing, ""),
            (n.birth_month_only, birth.isoformat()[:7]),
            (n.birth_year_only, str(birth.year)),
            (n.birth_year_off_one, self.estimated_year(birth, 1, latest)),
            (n.birth_year_off_two, self.estimated_year(birth, 2, latest)),
        ):
            if roll < share:
                return value
            roll -= share
        return birth.isoformat()

    def found_place(self, county: str, renamed: bool) -> str:
        n, rng = self.noise, self.rng
        codes, nearest, same_city = _counties()
        if renamed:
            return rng.choice(codes) if rng.random() < 0.8 else ""
        roll = rng.random()
        for share, value in (
            (n.place_missing, lambda: ""),
            (n.place_neighbour, lambda: rng.choice(nearest[county])),
            (n.place_same_city, lambda: rng.choice(same_city[county])),
            (n.place_anywhere, lambda: rng.choice(codes)),
        ):
            if roll < share:
                return value()
            roll -= share
        return county

    def found_day(self, missing_on: date, renamed: bool) -> str:
        rng = self.rng
        if rng.random() < self.noise.event_missing:
            return ""
        if renamed:
            delay = rng.randrange(180, 365 * 8)
        else:
            roll = rng.random()
            delay = (
                rng.randrange(0, 4)
                if roll < 0.4
                else rng.randrange(4, 31)
                if roll < 0.75
                else rng.randrange(31, 366)
                if roll < 0.9
                else rng.randrange(366, 365 * 5)
            )
        found_on = min(missing_on + timedelta(days=delay), date(2025, 6, 30))
        return found_on.isoformat()

    def found_features(self, features: list[tuple[str, str, str]]) -> str:
        rng = self.rng
        kept = [f for f in features if rng.random() < 0.8]
        if not features or rng.random() >= self.noise.features_described:
            kept = []
        if rng.random() < (0.1 if features else 0.2):
            extra = self.features()
            kept.append(extra[0] if extra else ("", "", rng.choice(_MARKS)))
        return "，".join(self.describe(f) for f in kept)

    def describe(self, feature: tuple[str, str, str]) -> str:
        side, part, mark = feature
        if not part:
            return mark
        style = self.rng.randrange(4)
        if style == 0:
            return f"{side}{part}有{mark}"
        if style == 1:
            return f"{side}{part}{mark}"
        if style == 2:
            return f"{side + '侧' if side else ''}{part}有一处{mark}"
        return f"{mark}（{side}{part}）"

    def parent(self, name: str, share: float) -> str:
        if self.rng.random() >= share:
            return ""
        return self.noisy_name(name) if self.rng.random() < 0.3 else name

    def sex(self, sex: str) -> str:
        roll = self.rng.random()
        if roll < self.noise.sex_missing:
            return ""
        if roll < self.noise.sex_missing + self.noise.sex_wrong:
            return "F" if sex == "M" else "M"
        return sex

    # --- records -------------------------------------------------------------------------

    def missing_record(self, rid: str, p: _Person) -> Record:
        rng = self.rng
        roll = rng.random()
        birth = (
            p.birth.isoformat()
            if roll < 0.92
            else p.birth.isoformat()[:7]
            if roll < 0.95
            else str(p.birth.year)
            if roll < 0.97
            else ""
        )
        return Record(
            id=rid,
            name=p.name,
            sex=p.sex if rng.random() > 0.005 else "",
            birth_date=birth,
            place_code=p.county if rng.random() > 0.03 else "",
            event_date=p.missing_on.isoformat(),
            father_name=p.father if rng.random() < 0.9 else "",
            mother_name=p.mother if rng.random() < 0.9 else "",
            features="，".join(self.describe(f) for f in p.features),
        )

    def found_record(self, rid: str, p: _Person, status: str) -> Record:
        renamed = status == RENAMED
        name = {
            KEPT: lambda: self.noisy_name(p.name),
            NAMELESS: lambda: "",
            RENAMED: lambda: self.surname() + self.given(p.sex),
        }[status]()
        found_on = self.found_day(p.missing_on, renamed)
        latest = int(found_on[:4]) if found_on else p.missing_on.year
        return Record(
            id=rid,
            name=name,
            sex=self.sex(p.sex),
            birth_date=self.found_birth(p.birth, renamed, latest),
            place_code=self.found_place(p.county, renamed),
            event_date=found_on,
            father_name="" if renamed else self.parent(p.father, self.noise.father_known),
            mother_name="" if renamed else self.parent(p.mother, self.noise.mother_known),
            features=self.found_features(p.features),
        )

    def status(self) -> str:
        roll = self.rng.random()
        if roll < self.noise.nameless:
            return NAMELESS
        if roll < self.noise.nameless + self.noise.renamed:
            return RENAMED
        return KEPT


def generate(
    n_missing: int,
    n_found: int,
    *,
    seed: int,
    match_share: float = 0.3,
    noise: Noise | None = None,
) -> SyntheticData:
    """``n_missing`` missing-child records and ``n_found`` found-person records, of which
    ``match_share`` (at most ``n_missing``) are missing children of the data set.

    The same seed gives the same records. Ids are ``M0000001`` and ``F0000001`` upwards, in an
    order that reveals nothing about the pairs.
    """
    if n_missing < 0 or n_found < 0 or not 0 <= match_share <= 1:
        raise ValueError("counts must be at least 0 and match_share between 0 and 1")
    gen = _Generator(seed, noise or Noise())
    people = [gen.person() for _ in range(n_missing)]
    missing = [gen.missing_record(f"M{i + 1:07d}", p) for i, p in enumerate(people)]
    n_matched = min(round(n_found * match_share), n_missing)
    matched = gen.rng.sample(range(n_missing), n_matched)
    sources: list[tuple[_Person, int | None]] = [(people[i], i) for i in matched]
    sources += [(gen.person(), None) for _ in range(n_found - n_matched)]
    gen.rng.shuffle(sources)
    found: list[Record] = []
    pairs: dict[tuple[str, str], str] = {}
    for j, (person, index) in enumerate(sources):
        rid = f"F{j + 1:07d}"
        status = gen.status()
        found.append(gen.found_record(rid, person, status))
        if index is not None:
            pairs[(missing[index].id, rid)] = status
    return SyntheticData(missing, found, pairs)
