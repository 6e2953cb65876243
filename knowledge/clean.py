"""Repair extraction damage in policy text, keeping every character that matters.

PDF and web copies of the corpus break lines inside sentences, put spaces
between Chinese characters, carry page numbers and running headers, paste image
URLs into the text and spill table cells one per line. The cleaned text keeps
the characters themselves (no width or script conversion): quotes are matched
against it after removing whitespace only.
"""

from __future__ import annotations

import re
from collections import Counter

from knowledge.structure import heading_level

_CJK = r"\u3000-\u303f\u3400-\u9fff\uff00-\uffef\u2018-\u201d\u2014\u2026"
_SPACE_CJK = re.compile(
    rf"(?<=[{_CJK}])[ \t\u00a0\u3000]+|[ \t\u00a0\u3000]+(?=[{_CJK}])"
)
_SPACE_NUM = re.compile(r"(?<=[\d%.])[ \t\u00a0]+(?=[\d%])")
_URL = re.compile(r"(?:https?://|www\.)[^\s\u4e00-\u9fff]+", re.IGNORECASE)
_PAGE_NO = re.compile(
    r"^[\s\-—–－·]*(?:第\s*\d+\s*页(?:\s*共\s*\d+\s*页)?|\d{1,3})[\s\-—–－·]*$"
)
_SENTENCE_END = "。！？；：!?;:"
_CLOSERS = "”’」』）)】"
_TABLE_CELL = re.compile(r"^\t")
# cells of a table row are kept apart by an em space: whitespace (so quotes still
# match) that the CJK space repair below leaves alone (so 2000 2000 never fuses)
CELL_SEP = _CELL_SEP = "\u2003"
# a title's full stop, then body text that runs on past the line's end
_BODY_AFTER_TITLE = re.compile(r"[。；！？][^。；！？]+$")
# a line this long that ends mid-sentence was wrapped by the extractor
_MIN_WRAPPED = 18


def _is_junk(line: str) -> bool:
    """Page numbers and lines that are only a URL."""
    stripped = line.strip()
    return bool(_PAGE_NO.match(stripped)) or (
        bool(stripped) and not _URL.sub("", stripped).strip()
    )


def _running_headers(lines: list[str]) -> set[str]:
    """Short non-heading lines repeated three or more times (page headers/footers)."""
    counts = Counter(
        s
        for s in (line.strip() for line in lines)
        if 2 <= len(s) <= 30 and not re.search(r"\d", s)
    )
    return {s for s, n in counts.items() if n >= 3 and heading_level(s) is None}


def _ends_paragraph(text: str) -> bool:
    """Whether a line ends where a paragraph may end (sentence punctuation)."""
    tail = text.rstrip(_CLOSERS)
    return not tail or tail[-1] in _SENTENCE_END


def _bare_heading(text: str) -> bool:
    """A heading line that is only a title: a next line starts a paragraph.

    "4.加强养老服务综合监管。加强养老服务的消防、食品、资" is a numbered item's
    title and the start of its body, wrapped mid-word: the next line goes on it.
    """
    if heading_level(text) is None:
        return False
    return not _BODY_AFTER_TITLE.search(text)


def _join_table(lines: list[str]) -> list[str]:
    """Table cells spilled one per line (tab-led) become one row per line."""
    out: list[str] = []
    row: list[str] = []
    for line in lines:
        if _TABLE_CELL.match(line) and line.strip():
            row.append(line.strip())
            continue
        if row:
            out.append(_CELL_SEP.join(row))
            row = []
        out.append(line)
    if row:
        out.append(_CELL_SEP.join(row))
    return out


def tidy_line(line: str) -> str:
    """Drop inline URLs and the spaces that extraction put between Chinese characters."""
    line = _URL.sub("", line).strip()
    line = re.sub(r"\t+", _CELL_SEP, line)  # inline tabs separate table cells
    line = _SPACE_CJK.sub("", line)
    line = _SPACE_NUM.sub("", line)
    return re.sub(r"[ \t\u00a0]{2,}", " ", line).strip()


def clean_text(raw: str) -> str:
    """Clean extracted text into one paragraph per line.

    Args:
        raw: text as extracted from TXT, Markdown, HTML, PDF or DOCX.

    Returns:
        Cleaned text: paragraphs joined across broken lines, headings on lines
        of their own, junk lines removed.
    """
    text = raw.replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "")
    lines = _join_table(text.split("\n"))
    headers = _running_headers(lines)
    paragraphs: list[str] = []
    current = ""
    last_len, last_table = 0, False
    for raw_line in lines:
        if _is_junk(raw_line) or raw_line.strip() in headers:
            continue
        line = tidy_line(raw_line)
        if not line:
            continue
        table = _CELL_SEP in line
        wrapped = last_len >= _MIN_WRAPPED and not last_table and not table
        if current and (
            heading_level(line) is not None
            or _ends_paragraph(current)
            or not wrapped
            or (_bare_heading(current) and len(current) < 40)
        ):
            paragraphs.append(current)
            current = ""
        current += line
        last_len, last_table = len(line), table
    if current:
        paragraphs.append(current)
    return "\n".join(paragraphs) + "\n"
