"""Heading structure of Chinese policy documents and the section path of each paragraph.

Policy texts number their parts 第X部分/第X章 → 一、 → （一） → 1. → （1）, with
boxed columns (专栏) and articles (第X条). A passage carries the path of headings
above it so that answers can name the section and search can use its words.
"""

from __future__ import annotations

import re

_CN_NUM = "一二三四五六七八九十百零〇"
_PATTERNS: list[tuple[int, re.Pattern[str]]] = [
    (0, re.compile(rf"^第[{_CN_NUM}\d]+(?:部分|章|篇)")),
    (1, re.compile(rf"^[{_CN_NUM}]+、")),
    (2, re.compile(rf"^[（(][{_CN_NUM}]+[）)]")),
    (3, re.compile(r"^专栏\s*\d*")),
    (3, re.compile(r"^\d{1,2}[.．、](?!\d)")),
    (4, re.compile(r"^[（(]\d{1,2}[）)]")),
    (4, re.compile(rf"^第[{_CN_NUM}\d]+条")),
]
_TITLE_END = re.compile(r"[。；！？]")


def heading_level(line: str) -> int | None:
    """Level of a heading line (0 = part … 4 = item), or None for body text."""
    for level, pattern in _PATTERNS:
        if pattern.match(line):
            return level
    return None


def heading_title(line: str, max_chars: int = 40) -> str:
    """The title part of a heading line (up to its first full stop)."""
    match = _TITLE_END.search(line)
    title = line[: match.start()] if match else line
    return title[:max_chars]


class SectionTracker:
    """Follows headings through a document and yields the current section path."""

    def __init__(self) -> None:
        self._stack: list[tuple[int, str]] = []

    def feed(self, line: str) -> bool:
        """Update the path with ``line``; True if the line is a heading."""
        level = heading_level(line)
        if level is None:
            return False
        while self._stack and self._stack[-1][0] >= level:
            self._stack.pop()
        self._stack.append((level, heading_title(line)))
        return True

    @property
    def path(self) -> list[str]:
        """Titles of the enclosing headings, outermost first."""
        return [title for _, title in self._stack]
