"""Chinese dates, counts and meal words in free text (cn2an turns numerals into digits).

Pure functions over what people say or type, colloquial and northern forms included
(明儿个, 后儿, 晌午, 后晌, 俩, 仨). Names, phones and addresses are in ``cn_contact``.
"""

from __future__ import annotations

import datetime as dt
import re

import cn2an

_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
_WEEKDAYS.update({str(i + 1): i for i in range(6)})
_WEEKDAYS["7"] = 6
# Longest first: "大后天" must win over "后天", "后儿个" over "后儿".
_RELATIVE = {
    "大后天": 3,
    "大后儿": 3,
    "后天": 2,
    "后儿": 2,
    "明天": 1,
    "明儿": 1,
    "明个": 1,
    "明早": 1,
    "明晚": 1,
    "明晌": 1,
    "今天": 0,
    "今儿": 0,
    "今个": 0,
    "今晚": 0,
    "今早": 0,
    "今晌": 0,
}
_WEEK_RE = re.compile(r"(下下|下个?|这个?|本)?(?:周|星期|礼拜)([一二三四五六日天1-7])")
_MONTH_DAY_RE = re.compile(r"(?:(\d{1,2})月)?(\d{1,2})[号日]")
_COUNT_RE = re.compile(r"(\d{1,2})\s*(?:份|个|人|位|碗|盒|口)")
_MEAL_WORDS = {
    "breakfast": ("早饭", "早餐", "早上", "早点", "早晨", "早起", "明早", "今早"),
    "lunch": ("午饭", "午餐", "中午", "中饭", "晌午", "晌饭", "明晌", "今晌", "午间"),
    "dinner": ("晚饭", "晚餐", "晚上", "后晌", "黑夜饭", "夜饭", "明晚", "今晚"),
}
# Checked in this order: "不用送" is dine-in, "自己去拿" is not dine-in, "送过来吃" is
# delivery, "带回家" is not delivery.
_MODE_PATTERNS = (
    ("dine_in", re.compile(r"(不用|不要|别|甭|不)送(了|饭)?$|(不用|不要|别|甭)送")),
    (
        "pickup",
        re.compile(r"自取|自己(去|来|过去)?(拿|取|提)|打包|带回(家|去)|来取|去取"),
    ),
    ("delivery", re.compile(r"送|到家|上门|外卖|端(过来|到家|家来)|拿到家")),
    (
        "dine_in",
        re.compile(
            r"堂食|食堂|(到|去|在|上)驿站(里|那儿?)?吃|(过去|过来|去|来)吃|现场吃|在那儿?吃"
        ),
    ),
)
# Diet notes: the label staff read, and the ways people say it.
DIET_PATTERNS: tuple[tuple[str | None, re.Pattern[str]], ...] = (
    (
        "少盐",
        re.compile(
            r"少盐|低盐|淡(一)?(点|些)|少(放|搁|加)?(点|些)?盐|(别|不要|甭)(放|搁)?(太多|那么多)?盐|咸了不行|不能吃咸|吃不了咸"
        ),
    ),
    (
        "少糖",
        re.compile(
            r"少糖|低糖|无糖|(不|别|甭)(放|搁|要)糖|血糖高|糖尿病|不能吃甜|别太甜"
        ),
    ),
    ("少油", re.compile(r"少油|不(要)?油腻|清淡|别太油")),
    ("不要辣", re.compile(r"(不|别|甭)(要|吃|放|搁)?(辣|辣椒)|不能吃辣|少辣")),
    ("清真", re.compile(r"清真|回民|不吃猪肉")),
    ("素食", re.compile(r"吃素|素食|素的|素饭|全素|不吃肉|不沾荤|吃斋")),
    (
        "软烂",
        re.compile(
            r"软(烂|和|乎|糯|一点|点|些)|烂(糊|乎|一点|点)|好嚼|嚼不动|咬不动|没牙|牙口不好|流食|糊糊|碎一点|剁碎"
        ),
    ),
    # No fixed label: the words themselves go to the kitchen.
    (None, re.compile(r"(不|别|甭)(要|吃|放|搁)?(葱|蒜|香菜|姜)")),
    (
        None,
        re.compile(
            r"[对吃]?[\u4e00-\u9fff]{1,4}过敏|(不|别)(能)?吃(海鲜|鱼|虾|蟹|羊肉|牛肉|鸡蛋|花生)"
        ),
    ),
)
NO_DIET_PHRASES = (
    "没有忌口",
    "没忌口",
    "不忌口",
    "无忌口",
    "没什么忌口",
    "没啥忌口",
    "都能吃",
    "什么都吃",
    "啥都吃",
    "啥都能吃",
    "不挑",
)
NO_DIET_WORDS = (
    "没有",
    "没",
    "不用",
    "都行",
    "随便",
    "无",
    "不要",
    "正常",
    "没啥",
    "甭",
)


def _digits(text: str) -> str:
    text = text.replace("俩", "2份").replace("仨", "3份").replace("两", "二")
    try:
        return str(cn2an.transform(text, "cn2an"))
    except (ValueError, KeyError):
        return text


def parse_date(text: str, *, today: dt.date) -> dt.date | None:
    """The date a phrase names (今天/明儿个/后儿/周三/下礼拜一/12月5号), or None."""
    for word, offset in _RELATIVE.items():
        if word in text:
            return today + dt.timedelta(days=offset)
    norm = _digits(text)
    week = _WEEK_RE.search(norm) or _WEEK_RE.search(text)
    if week:
        prefix, day = week.group(1) or "", _WEEKDAYS[week.group(2)]
        monday = today - dt.timedelta(days=today.weekday())
        weeks = 2 if prefix == "下下" else 1 if prefix.startswith("下") else 0
        target = monday + dt.timedelta(days=7 * weeks + day)
        if not prefix and target < today:
            target += dt.timedelta(days=7)
        return target
    md = _MONTH_DAY_RE.search(norm)
    if md:
        return _month_day(today, md.group(1), md.group(2))
    return None


def _month_day(today: dt.date, month_text: str | None, day_text: str) -> dt.date | None:
    month = int(month_text) if month_text else today.month
    year = today.year
    try:
        target = dt.date(year, month, int(day_text))
    except ValueError:
        return None
    if target >= today:
        return target
    if month_text:
        return target.replace(year=year + 1)
    month = month % 12 + 1
    year = year + 1 if month == 1 else year
    try:
        return dt.date(year, month, int(day_text))
    except ValueError:
        return None


def parse_count(text: str, *, bare: bool = True) -> int | None:
    """Portions named in a phrase (两份/俩/三个/2), or None.

    Args:
        text: the phrase.
        bare: also accept a bare number ("3", "三") — only right when the
            question was "how many?".
    """
    norm = _digits(text)
    match = _COUNT_RE.search(norm)
    if match:
        return int(match.group(1))
    stripped = re.sub(r"[\s，。！？,.!?吧啊呀的就]", "", norm)
    if bare and stripped.isdigit() and len(stripped) <= 2:
        return int(stripped)
    return None


def _first_key(text: str, table: dict[str, tuple[str, ...]]) -> str | None:
    for key, words in table.items():
        if any(word in text for word in words):
            return key
    return None


def parse_meal_type(text: str) -> str | None:
    """breakfast, lunch or dinner, or None."""
    return _first_key(text, _MEAL_WORDS)


def parse_service_mode(text: str) -> str | None:
    """pickup, dine_in or delivery, or None."""
    for mode, pattern in _MODE_PATTERNS:
        if pattern.search(text):
            return mode
    return None


def parse_diet(text: str) -> str | None:
    """Diet notes named in the phrase as labels joined with '、'; '无' for none."""
    found = []
    for label, pattern in DIET_PATTERNS:
        match = pattern.search(text)
        if match:
            found.append(label or match.group(0))
    if not found and any(phrase in text for phrase in NO_DIET_PHRASES):
        return "无"
    return "、".join(found) if found else None


def says_no_diet(text: str) -> bool:
    """True when the answer to 'any diet notes?' means none."""
    return any(word in text for word in NO_DIET_WORDS)


def ordinal(text: str) -> int | None:
    """The number a reply picks from a list ("第二个", "2"), or None."""
    match = re.search(r"第?\s*(\d{1,2})\s*[个份条]?", _digits(text))
    return int(match.group(1)) if match else None
