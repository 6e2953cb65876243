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

# Broader phrasings (written for this test, not taken from any eval set).
MORE_EMERGENCIES = [
    "我老伴在浴室里摔了 爬不起来",
    "俺娘跌了个跟头 腿动不了",
    "奶奶从楼梯上滚下来了",
    "我爸坐在地上起不来了",
    "爷爷倒在厨房地上了",
    "我摔了个大跟头 胳膊可能断了",
    "喂 我妈胸口疼 出了一身冷汗",
    "老头子说心脏那块像针扎一样疼",
    "我胸口闷得喘不动",
    "俺心口窝疼得受不了",
    "我爸喘气喘不上来 脸都青了",
    "我奶奶被痰卡住了 上不来气",
    "老伴透不过气来了",
    "孩子他爷爷吃汤圆噎着了",
    "我爸怎么叫都不醒",
    "老太太昏过去了 喊不应",
    "我妈突然没意识了",
    "老伴倒下就不动了",
    "家里厨房烧起来了",
    "屋里好大的烟 看不见了",
    "我闻到一股煤气味儿 头晕",
    "燃气灶漏气了",
    "楼下着火了 我下不去",
    "电褥子烧着了",
    "我爸有阿尔茨海默 早上出门没回家",
    "我妈认不得路 出去走丢了",
    "老爷子糊里糊涂的 一个人跑出去找不到了",
    "孩子奶奶不见了 她脑子不清楚",
    "我切到手了 血一直流",
    "老伴鼻子出血止不住",
    "我爸咳血了",
    "摔破头了 流了好多血",
    "我妈嘴巴歪了 口水往外流",
    "老头子突然说话不利索了",
    "我爸一边胳膊抬不起来 说话也含糊",
    "奶奶突然半边身子麻了 站不住",
    "俺老伴好像是中风了",
    "救命 救命",
    "快来人啊 救救我爸",
    "快叫120",
    "赶紧派救护车来",
    "我爸抽风了",
    "我妈吃了一整瓶安眠药",
    "老伴喝了农药",
    "我被烫伤了 好大一片",
    "我爸触电了",
    "我被困在家里出不来",
    "喂喂 我老头子不行了",
    "俺快不中了 救命",
    "我头晕得站不住 要倒了",
    "我爸心慌得厉害 出冷汗",
    "我老伴癫痫犯了",
    "我妈脸色发紫 喘不上来",
    "妈妈摔倒了 头上都是血",
    "俺家老头子倒地上叫不醒",
    "我奶奶吐了好多血",
    "家里天然气泄露了",
    "有股烧焦的味道 插座冒烟",
    "我爸出门一天了还没回来 他有点痴呆",
    "俺浑身没劲 快不行了",
    "我妈突然看不见东西了 头疼得厉害",
    "我爸在卫生间晕过去了",
    "老太太躺床上一动不动 叫也不答应",
    "我肚子疼得直打滚 吐了好几回",
    "哎呀俺的腿摔断了",
    "我妈被开水烫了",
    "隔壁大爷家门缝里冒烟",
    "老伴说胸口像有块石头压着",
    "俺爹吃饭呛着了 咳不出来",
    "喂是驿站吗 我爸中风了",
    "我姥姥糊涂了 半夜跑出去了 找了一圈没找着",
]

MORE_NON_EMERGENCIES = [
    "防跌倒扶手安装有补贴吗",
    "老人摔倒了怎么预防",
    "燃气报警器政府给装吗",
    "预防老人走失的手环怎么申请",
    "急救知识培训在哪报名",
    "心脏病能办长护险吗",
    "中风后康复护理有补贴吗",
    "脑梗病人能申请家庭养老床位吗",
    "失智老人照护有什么政策",
    "老年痴呆老人能住哪个养老院",
    "明天中午送饭",
    "我想订饭",
    "取消明天的饭",
    "再说一遍",
    "你好",
    "防诈骗提醒取消",
    "有人冒充公检法让我转账",
    "长护险怎么报销",
    "血压高能吃什么",
    "今天天气怎么样",
    "我妈的医保卡找不到了",
    "我爸的老年卡不见了",
    "他还没回来吃饭呢 饭先订上",
    "家里烟雾报警器怎么装",
    "燃气灶换新的有补贴吗",
    "老人跌倒险怎么买",
    "适老化改造能装防滑地板吗",
    "有人打电话说我儿子出事了让打钱",
    "有人打电话说我儿子出事了让我赶紧打钱",
    "骗子说我孙子出事了 要我马上转账",
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


@pytest.mark.parametrize("text", MORE_EMERGENCIES)
def test_broader_emergency_phrasings(text: str) -> None:
    assert detect_emergency(text) is not None, text


@pytest.mark.parametrize("text", MORE_NON_EMERGENCIES)
def test_broader_non_emergencies(text: str) -> None:
    assert detect_emergency(text) is None, text


# Answers to a form's questions: names with kinship words, addresses that are
# landmarks. Written for this test.
FORM_ANSWERS = [
    "赵大爷",
    "我是王奶奶",
    "我是陈爷爷",
    "我老伴叫刘淑芬",
    "李师傅",
    "孙阿姨",
    "派出所后面的平房",
    "急救中心旁边的小区",
    "120急救站对面的老楼",
    "胸痛中心后门的家属院",
    "摔跤馆对面",
    "消防队旁边那个院",
    "人民医院急诊楼后面",
    "13700001111",
    "010-84561234",
]
NEAR_PLACES = [
    ("我爸在急救中心门口摔倒了", "fall"),
    ("我摔跤了 站不起来", "fall"),
    ("我爸晕倒在路边了", "unconscious"),
    ("快叫急救车", "other"),
    ("消防队旁边着火了", "fire_gas"),
]


@pytest.mark.parametrize("text", FORM_ANSWERS)
def test_form_answers_are_not_emergencies(text: str) -> None:
    assert detect_emergency(text) is None, text


@pytest.mark.parametrize(("text", "kind"), NEAR_PLACES)
def test_emergencies_near_a_place_name_still_count(text: str, kind: str) -> None:
    match = detect_emergency(text)
    assert match is not None and match.emergency_type == kind, text
