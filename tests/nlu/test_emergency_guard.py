"""The pure-Python emergency guard (shared by Rasa and the app)."""

from __future__ import annotations

import pytest

from nlu.emergency_guard import EMERGENCY_TYPES, detect_emergency, normalise

REAL_EMERGENCIES = [
    ("我摔倒了起不来", "fall"),
    ("俺在卫生间滑了一跤 站不起来", "fall"),
    ("我妈从床上掉下来了", "fall"),
    ("老头子胸口疼得直冒汗", "chest_pain"),
    ("心口憋得难受", "chest_pain"),
    ("我喘不上气", "breathing"),
    ("老伴呼吸困难 嘴唇发紫", "breathing"),
    ("我爸叫不醒了", "unconscious"),
    ("奶奶突然晕倒了", "unconscious"),
    ("厨房着火了", "fire_gas"),
    ("屋里一股煤气味", "fire_gas"),
    ("好像燃气泄漏了", "fire_gas"),
    ("我妈有老年痴呆 走丢了", "lost_person"),
    ("老爷子糊涂了 出去到现在没回来", "lost_person"),
    ("手上流血止不住", "bleeding"),
    ("老伴出血不止", "bleeding"),
    ("救命啊", "other"),
    ("快叫救护车", "other"),
    ("我爸嘴歪了 说不出话", "stroke"),
    ("她半边身子不能动了", "stroke"),
    ("喂喂喂 救命 我老伴倒在地上", "fall"),
]

NOT_EMERGENCIES = [
    "防跌倒的适老化改造有补贴吗",
    "燃气泄漏报警器安装有补贴吗",
    "急救培训课程有补贴吗",
    "心脏病患者有什么护理补贴",
    "怎么预防老人走失",
    "长护险怎么申请",
    "明天中午送一份饭",
    "你好",
    "再说一遍",
    "",
]


@pytest.mark.parametrize(("text", "kind"), REAL_EMERGENCIES)
def test_real_emergencies_are_caught_with_their_type(text: str, kind: str) -> None:
    match = detect_emergency(text)
    assert match is not None, text
    assert match.emergency_type == kind
    assert match.phrase in normalise(text)


@pytest.mark.parametrize("text", NOT_EMERGENCIES)
def test_policy_questions_and_small_talk_are_not_emergencies(text: str) -> None:
    assert detect_emergency(text) is None


def test_urgency_outweighs_a_policy_word() -> None:
    # A real fall mentioned with an insurance word must still be an emergency.
    match = detect_emergency("快来人 我爸摔倒了 长护险的卡在哪")
    assert match is not None and match.emergency_type == "fall"


def test_asr_output_without_punctuation_or_with_spaces() -> None:
    assert detect_emergency("喂 喂 我 喘 不 上 气") is not None
    assert detect_emergency("救 命").emergency_type == "other"  # type: ignore[union-attr]


def test_types_are_the_documented_set() -> None:
    assert set(EMERGENCY_TYPES) == {
        "fall",
        "chest_pain",
        "breathing",
        "unconscious",
        "fire_gas",
        "lost_person",
        "bleeding",
        "stroke",
        "other",
    }
