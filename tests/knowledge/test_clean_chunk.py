"""Cleaning and chunking on real excerpts of the corpus."""

from __future__ import annotations

import re

from assistant.settings import PROJECT_ROOT
from knowledge.chunk import chunk_text
from knowledge.clean import clean_text
from knowledge.structure import SectionTracker, heading_level

CORPUS = PROJECT_ROOT / "knowledge" / "corpus"

# From 002 (PDF extraction): broken lines, blank lines, spaces around numbers.
PDF_EXCERPT = (
    "一、工作基础 \n\n"
    "朝阳区是中心城区中面积最大、人口最多的区。第七次\n\n"
    "全国人口普查数据显示，全区常住人口约为 345.2 万人，其中 60\n\n"
    "岁及以上人口约 70.9 万人，约占 20.5%。 \n\n"
    "- 3 -\n\n"
    "（一）坚持政府主导，强化养老服务基本保障 \n"
)

# From 000: the indicator table spilled one cell per line.
TABLE_EXCERPT = (
    "主要指标\n\t\n\t新建家庭养老照护床位（张）\n\t2000\n\t2000\n\t2000\n\n正文继续。\n"
)

URL_EXCERPT = (
    "努力满足老年人多层次多样化需求。\n"
    "http://www.cwl.gov.cn/upload/resources/image/2022/02/24/813379.png\n"
    "http://www.cwl.gov.cn/upload/resources/image/2022/02/24/813380.png\n"
    "（八）建设普惠养老服务网络。\n"
)


def test_pdf_lines_are_joined_and_spaces_between_chinese_removed() -> None:
    text = clean_text(PDF_EXCERPT)
    assert (
        "第七次全国人口普查数据显示，全区常住人口约为345.2万人，其中60岁及以上人口"
        in text
    )
    assert "- 3 -" not in text and "\n3\n" not in text
    lines = text.splitlines()
    assert lines[0] == "一、工作基础"
    assert lines[-1] == "（一）坚持政府主导，强化养老服务基本保障"


def test_a_numbered_item_wrapped_after_its_title_stays_one_paragraph() -> None:
    raw = (
        "（三）完善监管\n\n"
        "4.加强养老服务综合监管。加强养老服务的消防、食品、资\n\n"
        "金的安全监管。实施养老机构消防安全达标工程。\n"
        "5.加强老年人消费权益保护。\n"
    )
    lines = clean_text(raw).splitlines()
    assert lines == [
        "（三）完善监管",
        "4.加强养老服务综合监管。加强养老服务的消防、食品、资金的安全监管。"
        "实施养老机构消防安全达标工程。",
        "5.加强老年人消费权益保护。",
    ]
    passages = chunk_text("d.txt", "\n".join(lines))
    assert passages[0].section[-1] == "4.加强养老服务综合监管"


def test_table_cells_become_one_row_and_urls_go() -> None:
    table = clean_text(TABLE_EXCERPT)
    assert "新建家庭养老照护床位（张）\u20032000\u20032000\u20032000\n" in table
    assert "正文继续。" in table
    urls = clean_text(URL_EXCERPT)
    assert "http" not in urls and "png" not in urls
    assert "（八）建设普惠养老服务网络。" in urls


def test_headings_build_a_section_path() -> None:
    assert heading_level("第三部分主要任务") == 0
    assert heading_level("一、总体要求") == 1
    assert heading_level("（二）基本原则") == 2
    assert heading_level("1.完善三级养老服务网络。") == 3
    assert heading_level("专栏 1 兜底性照护服务保障工程") == 3
    assert heading_level("70.9万人") is None
    tracker = SectionTracker()
    for line in (
        "一、总体要求",
        "（一）指导思想",
        "二、主要任务",
        "（一）健全体系",
        "1.完善网络。",
    ):
        tracker.feed(line)
    assert tracker.path == ["二、主要任务", "（一）健全体系", "1.完善网络"]


def test_chunks_of_the_real_corpus_keep_sentences_whole_and_offsets_exact() -> None:
    raw = (CORPUS / "000_7fd0a04460a3e255.txt").read_text(encoding="utf-8")
    text = clean_text(raw)
    passages = chunk_text("000", text, max_chars=200)
    assert len(passages) > 30
    for p in passages:
        assert text[p.start : p.end] == p.text
        assert p.text.strip()
        before = text[p.start - 1] if p.start else "\n"
        assert before in "\n。！？；", f"passage starts mid-sentence: {p.text[:20]}"
        single_sentence = len(re.findall("[。！？；]", p.text)) <= 1
        assert len(p.text) <= 260 or single_sentence
    sections = {p.section_text for p in passages}
    assert any(
        s.startswith("二、主要任务 > （一）健全完善养老服务体系") for s in sections
    )


def test_every_dev_quote_survives_cleaning() -> None:
    import json

    ws = re.compile(r"\s+")
    cleaned = {
        f.name: ws.sub("", clean_text(f.read_text(encoding="utf-8")))
        for f in CORPUS.glob("*.txt")
    }
    eval_file = PROJECT_ROOT.parent / "shared" / "eval" / "policy_qa_dev.jsonl"
    if not eval_file.exists():
        return
    for line in eval_file.read_text(encoding="utf-8").splitlines():
        q = json.loads(line)
        if q["answerable"]:
            assert ws.sub("", q["answer_quote"]) in cleaned[q["doc"]], q["id"]
