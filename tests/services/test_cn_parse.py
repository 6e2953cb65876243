"""Chinese dates, counts and meal words."""

from __future__ import annotations

import datetime as dt

import pytest

from assistant.services import cn_parse

MONDAY = dt.date(2026, 11, 23)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("今天", MONDAY),
        ("明天中午", dt.date(2026, 11, 24)),
        ("后天", dt.date(2026, 11, 25)),
        ("周三", dt.date(2026, 11, 25)),
        ("星期一", MONDAY),
        ("下礼拜一", dt.date(2026, 11, 30)),
        ("下周五", dt.date(2026, 12, 4)),
        ("12月5号", dt.date(2026, 12, 5)),
        ("十二月五号", dt.date(2026, 12, 5)),
        ("二十号", dt.date(2026, 12, 20)),
        ("一月三日", dt.date(2027, 1, 3)),
        ("后儿个晌午", dt.date(2026, 11, 25)),
        ("明儿个", dt.date(2026, 11, 24)),
        ("大后天", dt.date(2026, 11, 26)),
        ("礼拜天", dt.date(2026, 11, 29)),
        ("随便", None),
    ],
)
def test_dates(text: str, expected: dt.date | None) -> None:
    assert cn_parse.parse_date(text, today=MONDAY) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("两份", 2),
        ("俩", 2),
        ("仨", 3),
        ("三个", 3),
        ("3", 3),
        ("要十份", 10),
        ("一个人的", 1),
        ("午饭", None),
        ("13700001111", None),
    ],
)
def test_counts(text: str, expected: int | None) -> None:
    assert cn_parse.parse_count(text) == expected


def test_bare_numbers_only_when_asked_how_many() -> None:
    assert cn_parse.parse_count("3", bare=False) is None
    assert cn_parse.parse_count("三份", bare=False) == 3


@pytest.mark.parametrize(
    ("text", "diet"),
    [
        ("明天中午给我送两份午饭到家，少放点盐", "少盐"),
        ("别放太多盐 也别太油", "少盐、少油"),
        ("老头子血糖高", "少糖"),
        ("俺没牙了 要烂糊点的", "软烂"),
        ("俺是回民", "清真"),
        ("不吃辣", "不要辣"),
        ("别放葱", "别放葱"),
        ("对海鲜过敏", "对海鲜过敏"),
        ("没啥忌口", "无"),
        ("明天中午两份", None),
    ],
)
def test_diet_notes_in_many_words(text: str, diet: str | None) -> None:
    assert cn_parse.parse_diet(text) == diet


@pytest.mark.parametrize(
    ("text", "mode"),
    [
        ("送到家", "delivery"),
        ("给我送过来吃", "delivery"),
        ("送家里来", "delivery"),
        ("不用送 我自己过去吃", "dine_in"),
        ("去驿站吃", "dine_in"),
        ("自己去拿", "pickup"),
        ("打包带回家", "pickup"),
        ("两份", None),
    ],
)
def test_service_modes(text: str, mode: str | None) -> None:
    assert cn_parse.parse_service_mode(text) == mode


def test_whole_sentence() -> None:
    text = "明天中午送两份少盐的到家"
    assert cn_parse.parse_meal_type(text) == "lunch"
    assert cn_parse.parse_service_mode(text) == "delivery"
    assert cn_parse.parse_diet(text) == "少盐"
    assert cn_parse.parse_service_mode("到驿站吃") == "dine_in"
    assert cn_parse.says_no_diet("没有")
