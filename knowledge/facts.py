"""What kind of fact a question asks for, and whether a passage states one.

Elders often ask for an amount in 元, a phone number, an address or opening
hours. Policy plans rarely state these; when no retrieved passage holds that
kind of fact, the answer must say so plainly instead of offering a nearby number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class FactKind:
    """A kind of fact: how questions ask for it and how passages state it."""

    name: str
    label: str  # Chinese, for the reply: "文件里没有写明{label}"
    asks: re.Pattern[str]
    states: re.Pattern[str]


KINDS: tuple[FactKind, ...] = (
    FactKind(
        "phone",
        "电话号码",
        # 电话 asks for a number, not where it names a call (接到诈骗电话), unless
        # the number is asked for (防诈骗电话是多少, 诈骗电话举报打哪个)
        re.compile(
            r"电话[^，。？?]{0,4}(?:多少|几号|是什么|是啥|打哪|号码)"
            r"|(?<!诈骗|骚扰|推销|接到|打来)(?<![接来])电话(?!诈骗|骚扰)"
            r"|号码|热线|拨打|打给|联系方式|手机号"
        ),
        re.compile(
            r"(?<![\d.])(?:\d{3,4}[-－—]\d{7,8}|1[3-9]\d{9}|\d{7,8}|9\d{4}|12\d{3})"
            r"(?![\d.万亿元张个人家所%])"
        ),
    ),
    FactKind(
        "amount",
        "具体金额",
        re.compile(
            r"多少钱|几块钱?|几毛|收费|费用|价格|价钱|学费|饭钱|餐费|床位费|护理费|"
            r"贵不贵|贵吗|花多少|报多少|补多少|发多少|领多少|给多少|多少元|"
            r"要不要钱|要钱吗|收钱吗|收不收钱|怎么收|交不交钱|"
            r"(?:要|得|需要|还要)(?:交|掏|付|花)(?:钱|费)|(?:交|掏|付)钱(?:吗|不)"
        ),
        re.compile(r"\d[\d,.，]*\s*(?:万|亿|千|百)?元|元/|每人每月\d"),
    ),
    FactKind(
        "hours",
        "具体时间",
        re.compile(
            r"几点|开门|关门|营业时间|开放时间|上班时间|办公时间|几时|"
            r"(?:周[六日末]|星期[六日天]|礼拜[六天日]|节假日)(?:开|上班|营业)|开不开门?"
        ),
        re.compile(r"\d{1,2}[:：]\d{2}|\d{1,2}(?:点|时)(?:半|\d{1,2}分)?(?:至|到|-)"),
    ),
    FactKind(
        "place",
        "具体地址",
        re.compile(r"在哪(?![些个])|哪里|哪儿|地址|什么地方|去哪|怎么走|位置"),
        re.compile(r"(?:路|街|道|巷|胡同)\d+号|地址[:：]|位于"),
    ),
    FactKind(
        "duration",
        "具体时长",
        re.compile(r"多久|多长时间|几天|几次|多少天|几个月"),
        re.compile(
            r"\d+\s*(?:个)?(?:工作日|天|日内|小时|分钟|周|个月|次)|[一二三四五六七八九十]+(?:个)?(?:工作日|天|次|小时)(?!性)"
        ),
    ),
)


# A fee question that asks who sets prices or whether they are regulated asks
# about policy (which the documents do cover), not for an amount.
_PRICE_POLICY = re.compile(
    r"谁(?:来)?定|由谁|怎么定|如何定|规定|机制|有没有规|标准|安排|政策|措施|要求"
)


# A share asked (报多少比例, 百分之几) is a figure the plans do state, not a sum in 元.
_SHARE = re.compile(r"比例|百分之|百分比|几成|几折")


def asked_kinds(question: str) -> list[FactKind]:
    """Kinds of fact the question asks for (possibly none).

    Fee words (学费, 收费, 费用, 价格…) count as asking for an amount, unless the
    question is about who sets the price or asks for a share.
    """
    kinds = [kind for kind in KINDS if kind.asks.search(question)]
    if _SHARE.search(question) or (
        _PRICE_POLICY.search(question) and not re.search(r"多少|几块|几毛", question)
    ):
        kinds = [k for k in kinds if k.name != "amount"]
    return kinds


def states(kind: FactKind, text: str) -> bool:
    """Whether the text states a fact of this kind."""
    return bool(kind.states.search(text))
