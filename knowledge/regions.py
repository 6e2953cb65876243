"""Regions of the corpus, how they nest, and which region a question names.

The documents repeat each other's wording across levels (national → Beijing →
Chaoyang; national → Chengde), so the region decides which of several similar
passages is the answer. A place the corpus does not cover is reported as such.
"""

from __future__ import annotations

import re

REGIONS: dict[str, str] = {
    "national": "全国",
    "beijing": "北京市",
    "chaoyang": "北京市朝阳区",
    "chengde": "河北省承德市",
}
# How a reply names a region (short, as people say it).
SPOKEN: dict[str, str] = {
    "national": "国家",
    "beijing": "北京",
    "chaoyang": "朝阳区",
    "chengde": "承德市",
}
PARENT: dict[str, str | None] = {
    "national": None,
    "beijing": "national",
    "chaoyang": "beijing",
    "chengde": "national",
}
_NAMES: list[tuple[str, str]] = [
    ("朝阳", "chaoyang"),
    ("承德", "chengde"),
    ("北京", "beijing"),
    ("首都", "beijing"),
    ("京城", "beijing"),
    ("国家", "national"),
    ("全国", "national"),
    ("国务院", "national"),
    ("中央", "national"),
]
# Provinces and large cities outside the corpus (a question naming one of these
# and no covered region cannot be answered from it).
_UNCOVERED = (
    "上海 天津 重庆 河北 山西 辽宁 吉林 黑龙江 江苏 浙江 安徽 福建 江西 山东 河南 湖北 "
    "湖南 广东 海南 四川 贵州 云南 陕西 甘肃 青海 台湾 内蒙古 广西 西藏 宁夏 新疆 香港 "
    "澳门 广州 深圳 杭州 南京 武汉 成都 西安 沈阳 大连 青岛 济南 郑州 长沙 苏州 厦门 "
    "石家庄 保定 唐山 张家口 廊坊 秦皇岛 海淀 东城 西城 丰台 石景山 通州 昌平 大兴 "
    "顺义 房山 门头沟 怀柔 平谷 密云 延庆"
).split()
_UNCOVERED_RE = re.compile("|".join(sorted(_UNCOVERED, key=len, reverse=True)))


_NAME_RE = re.compile(r"北京市|北京|首都|京城|朝阳区|朝阳|承德市|承德|全国|国家|国务院")


def strip_region_names(question: str) -> str:
    """The question without its place names (region preference handles those).

    Left in, 承德 or 北京 pull up cover letters and titles that name the place
    but answer nothing.
    """
    stripped = _NAME_RE.sub(" ", question).strip()
    return stripped or question


def detect_region(question: str) -> str | None:
    """The most specific corpus region the question names, or None."""
    found = [region for name, region in _NAMES if name in question]
    if not found:
        return None
    return max(found, key=depth)


def uncovered_place(question: str) -> str | None:
    """A place named in the question that no corpus document covers."""
    if detect_region(question) in ("chaoyang", "chengde"):
        return None
    match = _UNCOVERED_RE.search(question)
    if not match:
        return None
    # 河北 is covered only through 承德; other Beijing districts only through Beijing-wide text
    return match.group(0)


def depth(region: str) -> int:
    """How far below the national level a region is."""
    level = 0
    parent = PARENT.get(region)
    while parent is not None:
        level += 1
        parent = PARENT.get(parent)
    return level


def region_affinity(doc_region: str, wanted: str | None) -> float:
    """How well a document's region fits the wanted one (1 = exact, 0 = unrelated).

    A parent region's text also applies (a national rule holds in Chaoyang), a
    sibling's or child's does not answer the question about another place.
    """
    if wanted is None:
        return 0.5
    if doc_region == wanted:
        return 1.0
    parent = PARENT.get(wanted)
    steps = 1
    while parent is not None:
        if parent == doc_region:
            return 0.6 if steps == 1 else 0.45
        parent = PARENT.get(parent)
        steps += 1
    return 0.0


def covers(doc_region: str, wanted: str) -> bool:
    """Whether a document of ``doc_region`` applies in ``wanted`` (same or an ancestor)."""
    region: str | None = wanted
    while region is not None:
        if region == doc_region:
            return True
        region = PARENT.get(region)
    return False


def city_of(region: str) -> str:
    """The city-level region of a region (Chaoyang → Beijing); itself at city level or above."""
    while depth(region) > 1:
        parent = PARENT.get(region)
        if parent is None:
            break
        region = parent
    return region
