"""Names: normalisation, surnames, tone-less pinyin with surname readings, heteronyms."""

from __future__ import annotations

import pytest

from fanguai.linkage import name_pinyin, normalise_name
from fanguai.linkage._names import name_keys, split_name


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("单田芳", "shan tian fang"),  # pypinyin alone reads 单 as dan
        ("解缙", "xie jin"),  # not jie
        ("曾国藩", "zeng guo fan"),  # not ceng
        ("区志华", "ou zhi hua"),  # not qu
        ("仇英", "qiu ying"),  # not chou
        ("查良镛", "zha liang yong"),  # not cha
        ("尉迟恭", "yu chi gong"),  # compound surname with its own reading
        ("單田芳", "shan tian fang"),  # traditional form
        ("吕梓涵", "lv zi han"),  # ü written v, no tones
    ],
)
def test_surnames_are_read_with_their_surname_reading(name, expected):
    assert name_pinyin(name) == expected


def test_the_same_character_in_a_given_name_keeps_its_common_reading():
    assert name_pinyin("王单") == "wang dan"


def test_heteronym_readings_of_a_name_include_every_reading_of_its_characters():
    readings = set(name_keys("张乐乐").readings)
    assert {"zhang le le", "zhang yue yue", "zhang le yue"} <= readings
    assert name_keys("张乐乐").readings[0] == "zhang le le"  # the primary reading first


@pytest.mark.parametrize(
    ("name", "surname", "given"),
    [
        ("欧阳娜娜", "欧阳", "娜娜"),
        ("司马光", "司马", "光"),
        ("王伟", "王", "伟"),
        ("欧阳", "欧", "阳"),  # two characters: an ordinary surname and given name
        ("阿依古丽·买买提", "", "阿依古丽买买提"),  # no surname to split off
        ("tom", "", "tom"),
    ],
)
def test_names_are_split_only_with_the_surname_table(name, surname, given):
    assert split_name(name) == (surname, given)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (" 张 三 ", "张三"),
        ("张\u3000三", "张三"),  # ideographic space
        ("阿依古丽•买买提", "阿依古丽·买买提"),  # bullet for the middle dot
        ("阿依古丽.买买提", "阿依古丽·买买提"),
        ("ＴＯＭ", "tom"),  # full-width Latin letters
    ],
)
def test_names_are_normalised(raw, expected):
    assert normalise_name(raw) == expected


def test_swapped_given_name_characters_have_the_same_sorted_pinyin():
    assert name_keys("张涵梓").sorted_pinyin == name_keys("张梓涵").sorted_pinyin
    assert name_keys("张涵梓").pinyin != name_keys("张梓涵").pinyin
