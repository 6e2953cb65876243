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
        ("随便", None),
    ],
)
def test_dates(text: str, expected: dt.date | None) -> None:
    assert cn_parse.parse_date(text, today=MONDAY) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("两份", 2), ("俩", 2), ("三个", 3), ("3", 3), ("要十份", 10), ("午饭", None)],
)
def test_counts(text: str, expected: int | None) -> None:
    assert cn_parse.parse_count(text) == expected


def test_whole_sentence() -> None:
    text = "明天中午送两份少盐的到家"
    assert cn_parse.parse_meal_type(text) == "lunch"
    assert cn_parse.parse_service_mode(text) == "delivery"
    assert cn_parse.parse_diet(text) == "少盐"
    assert cn_parse.parse_service_mode("到驿站吃") == "dine_in"
    assert cn_parse.says_no_diet("没有")
