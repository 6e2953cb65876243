"""Chinese dates, counts and meal words in free text (cn2an turns numerals into digits)."""

from __future__ import annotations

import datetime as dt
import re

import cn2an

_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
_WEEKDAYS.update({str(i + 1): i for i in range(6)})
_WEEKDAYS["7"] = 6
_RELATIVE = {"大后天": 3, "后天": 2, "明天": 1, "明儿": 1, "今天": 0, "今儿": 0}
_WEEK_RE = re.compile(r"(下下|下个?|这个?|本)?(?:周|星期|礼拜)([一二三四五六日天1-7])")
_MONTH_DAY_RE = re.compile(r"(?:(\d{1,2})月)?(\d{1,2})[号日]")
_COUNT_RE = re.compile(r"(\d{1,2})\s*(?:份|个|人|位|碗|盒)")
_MEAL_WORDS = {
    "breakfast": ("早饭", "早餐", "早上", "早点", "breakfast"),
    "lunch": ("午饭", "午餐", "中午", "中饭", "晌午", "lunch"),
    "dinner": ("晚饭", "晚餐", "晚上", "dinner"),
}
_MODE_WORDS = {
    "delivery": ("送", "到家", "上门", "外送", "delivery"),
    "dine_in": ("堂食", "到驿站吃", "去吃", "来吃", "食堂", "现场吃", "dine_in"),
}
_DIET_WORDS = (
    "少盐",
    "低盐",
    "少油",
    "少糖",
    "低糖",
    "无糖",
    "不要糖",
    "软烂",
    "软一点",
    "清淡",
    "素食",
    "吃素",
    "不吃辣",
    "不要辣",
    "流食",
    "糖尿病餐",
    "不吃肉",
    "不要葱",
)
NO_DIET_PHRASES = (
    "没有忌口",
    "没忌口",
    "不忌口",
    "无忌口",
    "没什么忌口",
    "都能吃",
    "什么都吃",
)
NO_DIET_WORDS = ("没有", "没", "不用", "都行", "随便", "无", "不要", "正常")


def _digits(text: str) -> str:
    text = text.replace("俩", "2份").replace("仨", "3份").replace("两", "二")
    try:
        return str(cn2an.transform(text, "cn2an"))
    except (ValueError, KeyError):
        return text


def parse_date(text: str, *, today: dt.date) -> dt.date | None:
    """The date a phrase names (今天/明天/周三/下礼拜一/12月5号), or None."""
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
        month = int(md.group(1)) if md.group(1) else today.month
        year = today.year
        try:
            target = dt.date(year, month, int(md.group(2)))
        except ValueError:
            return None
        if target < today:
            if md.group(1):
                target = target.replace(year=year + 1)
            else:
                month = month % 12 + 1
                year = year + 1 if month == 1 else year
                try:
                    target = dt.date(year, month, int(md.group(2)))
                except ValueError:
                    return None
        return target
    return None


def parse_count(text: str) -> int | None:
    """Portions named in a phrase (两份/俩/三个/2), or None."""
    norm = _digits(text)
    match = _COUNT_RE.search(norm)
    if match:
        return int(match.group(1))
    bare = norm.strip()
    return int(bare) if bare.isdigit() else None


def _first_key(text: str, table: dict[str, tuple[str, ...]]) -> str | None:
    for key, words in table.items():
        if any(word in text for word in words):
            return key
    return None


def parse_meal_type(text: str) -> str | None:
    """breakfast, lunch or dinner, or None."""
    return _first_key(text, _MEAL_WORDS)


def parse_service_mode(text: str) -> str | None:
    """dine_in or delivery, or None."""
    mode = _first_key(text, {"dine_in": _MODE_WORDS["dine_in"]})
    return mode or _first_key(text, {"delivery": _MODE_WORDS["delivery"]})


def parse_diet(text: str) -> str | None:
    """Diet notes named in the phrase, joined with '、', or None."""
    found = [word for word in _DIET_WORDS if word in text]
    if not found and any(phrase in text for phrase in NO_DIET_PHRASES):
        return "无"
    return "、".join(found) if found else None


def says_no_diet(text: str) -> bool:
    """True when the answer to 'any diet notes?' means none."""
    return any(word in text for word in NO_DIET_WORDS)
