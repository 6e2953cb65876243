"""Cut cleaned text into passages along its heading structure, never inside a sentence.

A passage is a few sentences of one section (about ``max_chars`` long). It
records the section path and its character offsets into the cleaned text, so a
citation can always be traced back to the exact words of the document.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from knowledge.clean import CELL_SEP as _CELL_SEP
from knowledge.structure import SectionTracker

_SENTENCE = re.compile(r"[^。！？；!?;]*(?:[。！？；!?;][”’」』）)]*|$)")


@dataclass
class Passage:
    """One retrievable unit of a document."""

    doc: str
    start: int
    end: int
    text: str
    section: list[str] = field(default_factory=list)

    @property
    def section_text(self) -> str:
        """The section path as one string, e.g. ``三、主要任务 > （一）…``."""
        return " > ".join(self.section)


def split_sentences(paragraph: str) -> list[tuple[int, int]]:
    """Sentence spans (start, end) within a paragraph."""
    spans = []
    for match in _SENTENCE.finditer(paragraph):
        if match.end() > match.start():
            spans.append((match.start(), match.end()))
    return spans


def chunk_text(
    doc: str, text: str, *, max_chars: int = 200, min_chars: int = 40
) -> list[Passage]:
    """Passages of a cleaned document.

    Args:
        doc: the document id carried by each passage.
        text: cleaned text, one paragraph per line (see ``clean_text``).
        max_chars: target length; a single longer sentence stays whole.
        min_chars: a shorter passage is merged into the next one of its section.

    Returns:
        Passages in document order with section paths and offsets.
    """
    tracker = SectionTracker()
    passages: list[Passage] = []
    offset = 0
    for line in text.split("\n"):
        line_start = offset
        offset += len(line) + 1
        if not line.strip():
            continue
        if tracker.feed(line) and len(line) < 40 and _CELL_SEP not in line:
            continue  # a bare heading lives in the section path, not as a passage
        section = tracker.path
        spans = split_sentences(line)
        if not spans:
            continue
        group_start, group_end = spans[0]
        for s, e in spans[1:]:
            if e - group_start > max_chars and group_end - group_start >= min_chars:
                passages.append(
                    _make(doc, text, line_start, group_start, group_end, section)
                )
                group_start = s
            group_end = e
        passages.append(_make(doc, text, line_start, group_start, group_end, section))
    return _merge_short(passages, text, min_chars)


def _make(
    doc: str, text: str, base: int, start: int, end: int, section: list[str]
) -> Passage:
    return Passage(
        doc, base + start, base + end, text[base + start : base + end], section
    )


def _merge_short(passages: list[Passage], text: str, min_chars: int) -> list[Passage]:
    """Merge a too-short passage into the following one of the same section."""
    out: list[Passage] = []
    pending: Passage | None = None
    for passage in passages:
        if pending is not None and pending.section == passage.section:
            passage = Passage(
                passage.doc,
                pending.start,
                passage.end,
                text[pending.start : passage.end],
                passage.section,
            )
        elif pending is not None:
            out.append(pending)
        pending = None
        if len(passage.text) < min_chars:
            pending = passage
        else:
            out.append(passage)
    if pending is not None:
        out.append(pending)
    return out
