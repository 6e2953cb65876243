"""Rewrite reply text so that espeak-ng's Mandarin voice reads it the way people say it.

Phone numbers digit by digit (1 as 幺), years digit by digit, dates, times,
percentages, 〔2021〕 document numbers and amounts in 元.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_DIGITS = "零一二三四五六七八九"
_PHONE_DIGITS = "零幺二三四五六七八九"
_UNITS = ["", "十", "百", "千"]
_BIG = ["", "万", "亿"]
SERVICE_NUMBERS = {"110", "119", "120", "122", "12345", "12349", "96110"}


def number(n: int) -> str:
    """Chinese numeral for a non-negative integer: 1024 → 一千零二十四."""
    if n == 0:
        return "零"
    groups: list[str] = []
    big = 0
    while n > 0:
        n, group = divmod(n, 10000)
        if group:
            text = _group(group) + _BIG[big]
            if groups and group < 1000:
                text += "零" if not groups[0].startswith("零") else ""
            groups.insert(0, text)
        elif groups and not groups[0].startswith("零"):
            groups.insert(0, "零")
        big += 1
    out = "".join(groups).strip("零")
    return out[1:] if out.startswith("一十") else out


def _group(n: int) -> str:
    out, zero = "", False
    for pos in range(3, -1, -1):
        digit = n // 10**pos % 10
        if digit == 0:
            zero = bool(out)
            continue
        if zero:
            out += "零"
            zero = False
        out += _DIGITS[digit] + _UNITS[pos]
    return out


def digits(run: str, *, phone: bool = True) -> str:
    """Read a digit string one digit at a time (phone style: 1 → 幺)."""
    table = _PHONE_DIGITS if phone else _DIGITS
    return "".join(table[int(c)] for c in run if c.isdigit())


def decimal(text: str) -> str:
    """12.5 → 十二点五."""
    whole, _, frac = text.partition(".")
    out = number(int(whole or "0"))
    return out + ("点" + digits(frac, phone=False) if frac else "")


def _money(match: re.Match[str]) -> str:
    whole, _, frac = match.group("amount").partition(".")
    out = number(int(whole)) + "元"
    frac = (frac + "00")[:2]
    if frac[0] != "0":
        out += _DIGITS[int(frac[0])] + "角"
    if frac[1] != "0":
        out += ("零" if frac[0] == "0" else "") + _DIGITS[int(frac[1])] + "分"
    return out


def _date(match: re.Match[str]) -> str:
    year, month, day = match.group("y"), match.group("m"), match.group("d")
    out = digits(year, phone=False) + "年" if year else ""
    out += number(int(month)) + "月"
    return out + (number(int(day)) + "日" if day else "")


def _time(match: re.Match[str]) -> str:
    hour, minute = int(match.group(1)), int(match.group(2))
    if minute == 0:
        return number(hour) + "点"
    if minute == 30:
        return number(hour) + "点半"
    return number(hour) + "点" + ("零" if minute < 10 else "") + number(minute) + "分"


def _phone(match: re.Match[str]) -> str:
    run = match.group(0)
    return digits(run.replace("+86", "").replace("+", ""))


_RULES: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    # document numbers: 京民发〔2021〕12号 → 京民发二零二一年十二号
    (
        re.compile(r"[〔\[［(（](\d{4})[〕\]］)）]\s*(\d+)?号?"),
        lambda m: (
            digits(m.group(1), phone=False)
            + "年"
            + (number(int(m.group(2))) + "号" if m.group(2) else "")
        ),
    ),
    (
        re.compile(
            r"(?:(?P<y>\d{4})[-/.年])?(?P<m>\d{1,2})月(?:(?P<d>\d{1,2})[日号])?"
        ),
        _date,
    ),
    (re.compile(r"(?P<y>\d{4})[-/](?P<m>\d{1,2})[-/](?P<d>\d{1,2})"), _date),
    (re.compile(r"(\d{4})年"), lambda m: digits(m.group(1), phone=False) + "年"),
    (re.compile(r"(\d{1,2})[:：](\d{2})"), _time),
    (re.compile(r"(\d+(?:\.\d+)?)\s*[%％]"), lambda m: "百分之" + decimal(m.group(1))),
    (re.compile(r"[¥￥]\s*(?P<amount>\d+(?:\.\d+)?)元?"), _money),
    (re.compile(r"(?P<amount>\d+(?:\.\d+)?)\s*元"), _money),
    # phone numbers: +86 138-1234-5678, 010-12345678, 400 123 4567, 5+ digit runs
    (re.compile(r"\+?\d[\d\- ]{3,}\d"), _phone),
    (
        re.compile(r"\d+"),
        lambda m: digits(m.group(0)) if m.group(0) in SERVICE_NUMBERS else m.group(0),
    ),
    (re.compile(r"\d+(?:\.\d+)?"), lambda m: decimal(m.group(0))),
    (
        re.compile(
            r"(?<=[一二三四五六七八九十])\s*[~～\-—]\s*(?=[一二三四五六七八九十])"
        ),
        lambda m: "到",
    ),
]


def normalize(text: str) -> str:
    """Speech form of ``text`` (idempotent on already-normalised text)."""
    out = text.strip()
    for pattern, repl in _RULES:
        out = pattern.sub(repl, out)
    out = re.sub(r"[*#_`>|]+", " ", out)  # markdown and keypad symbols said oddly
    return re.sub(r"\s+", " ", out).strip()
