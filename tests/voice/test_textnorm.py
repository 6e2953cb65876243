from __future__ import annotations

import pytest

from voice.textnorm import normalize, number


@pytest.mark.parametrize(
    ("value", "spoken"),
    [
        (0, "零"),
        (10, "十"),
        (15, "十五"),
        (101, "一百零一"),
        (1010, "一千零一十"),
        (10001, "一万零一"),
        (120000, "十二万"),
    ],
)
def test_numbers(value: int, spoken: str) -> None:
    assert number(value) == spoken


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("请拨打13912345678", "请拨打幺三九幺二三四五六七八"),
        ("电话010-12345678", "电话零幺零幺二三四五六七八"),
        ("有危险请打120", "有危险请打幺二零"),
        ("报销比例70%", "报销比例百分之七十"),
        ("提高12.5％", "提高百分之十二点五"),
        ("京民发〔2021〕12号", "京民发二零二一年十二号"),
        ("每月300元", "每月三百元"),
        ("餐费12.5元", "餐费十二元五角"),
        ("¥8.05", "八元零五分"),
        ("2024年3月5日", "二零二四年三月五日"),
        ("2024-03-05起", "二零二四年三月五日起"),
        ("11:30送到", "十一点半送到"),
        ("17:05", "十七点零五分"),
        ("3~5天", "三到五天"),
        ("您好，今天中午的饭十一点半送到。", "您好，今天中午的饭十一点半送到。"),
    ],
)
def test_speech_forms(text: str, spoken: str) -> None:
    assert normalize(text) == spoken


def test_normalize_is_idempotent() -> None:
    once = normalize("请在2024年3月5日前拨打13912345678，补贴70%")
    assert normalize(once) == once
