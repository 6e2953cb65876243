"""Search and answers on the real index: FAISS, regions, declines, bad input."""

from __future__ import annotations

import re

import numpy as np
import pytest

from knowledge.dense import DenseIndex
from knowledge.facts import asked_kinds
from knowledge.regions import detect_region, region_affinity, uncovered_place


def test_faiss_matches_numpy_brute_force() -> None:
    rng = np.random.default_rng(7)
    data = rng.normal(size=(500, 32)).astype(np.float32)
    index = DenseIndex(data.copy())
    unit = data / np.linalg.norm(data, axis=1, keepdims=True)
    for _ in range(10):
        q = rng.normal(size=32).astype(np.float32)
        expected = np.argsort(-(unit @ (q / np.linalg.norm(q))))[:10]
        got = [row for row, _ in index.search(q, 10)]
        assert got == expected.tolist()
    approx = DenseIndex(data.copy(), approx_above=100)
    q = data[3]
    assert approx.search(q, 1)[0][0] == 3
    assert DenseIndex(np.zeros((0, 32), np.float32)).search(q, 5) == []


def test_region_detection_and_nesting() -> None:
    assert detect_region("我住朝阳区，北京的政策") == "chaoyang"
    assert detect_region("承德的老年食堂") == "chengde"
    assert detect_region("长护险能报多少") is None
    assert uncovered_place("上海的高龄津贴怎么领") == "上海"
    assert uncovered_place("朝阳区的驿站") is None
    assert region_affinity("chaoyang", "chaoyang") == 1.0
    assert 0 < region_affinity("beijing", "chaoyang") < 1.0
    assert region_affinity("chengde", "chaoyang") == 0.0


def test_region_named_in_question_wins(kb) -> None:  # type: ignore[no-untyped-def]
    chengde = kb.search("承德的老年食堂是怎么安排的？")
    assert (
        chengde.region == "chengde" and chengde.hits[0].metadata["region"] == "chengde"
    )
    profile = kb.search("老年食堂是怎么安排的？", region="chaoyang")
    assert profile.region == "chaoyang"
    assert profile.hits[0].metadata["region"] in ("chaoyang", "beijing")
    with pytest.raises(ValueError, match="valid"):
        kb.search("老年食堂", region="mars")


def test_a_document_named_is_the_one_quoted(kb) -> None:  # type: ignore[no-untyped-def]
    named = kb.searcher.named_document
    plan = next(d for d, m in kb.searcher.docs.items() if "行动计划" in m["title"])
    national = next(d for d, m in kb.searcher.docs.items() if m["region"] == "national")
    assert named("朝阳那个行动计划里对旅居养老有啥说法", "chaoyang") == plan
    assert named("国家规划里老年食堂要办成啥样的", "national") == national
    assert named("规划里有没有提中医", "chaoyang") is None  # no Chaoyang 规划
    assert named("老年食堂怎么办", "national") is None
    answer = kb.answer("朝阳区2026—2028年行动计划对长期护理保险是怎么说的？")
    assert answer.citations[0]["doc"] == plan
    assert "长期护理保险" in answer.citations[0]["quote"]


@pytest.mark.parametrize(
    ("question", "quoted"),
    [
        # colloquial words the documents never use must not outweigh the topic
        ("俺妈腿脚不利索，自己洗澡费劲，承德有上门帮着洗澡这种服务不？", "助浴"),
        # 打击 is inside 严厉打击 for jieba; it is still in the passage
        ("我妈老接到诈骗电话，国家对这个打不打击啊？", "诈骗"),
    ],
)
def test_colloquial_questions_are_answered(kb, question: str, quoted: str) -> None:  # type: ignore[no-untyped-def]
    answer = kb.answer(question)
    assert not (answer.abstained or answer.declined_part), answer.text
    assert quoted in answer.citations[0]["quote"] or quoted in answer.text


def test_short_answer_is_cited_and_at_most_two_sentences(kb) -> None:  # type: ignore[no-untyped-def]
    answer = kb.answer("承德的老年食堂是怎么安排的？")
    assert not answer.abstained and answer.citations
    cite = answer.citations[0]
    assert set(cite) >= {"doc", "title", "issuer", "date", "section", "status", "quote"}
    assert cite["title"] in answer.text and cite["quote"][:10] in answer.text
    assert len(re.findall("[。！？]", answer.text)) <= 2 + cite["quote"].count("。")
    full = kb.answer("承德的老年食堂是怎么安排的？", style="full")
    assert "【" in full.text and len(full.citations) >= 3


def test_documents_do_not_state_the_amount(kb) -> None:  # type: ignore[no-untyped-def]
    question = "承德那个老年食堂一顿饭多少钱啊"
    assert [k.name for k in asked_kinds(question)] == ["amount"]
    answer = kb.answer(question)
    assert answer.declined_part or answer.abstained
    quoted = "".join(c["quote"] for c in answer.citations)
    for number in re.findall(r"\d+", answer.text):
        assert number in quoted, f"{number} is not in the cited passage"


def test_phone_numbers_are_never_invented(kb) -> None:  # type: ignore[no-untyped-def]
    answer = kb.answer("我家附近的养老驿站电话是多少？帮我查一下。")
    assert answer.declined_part or answer.abstained
    assert not re.search(r"\d{5,}", answer.text)


def test_a_number_elsewhere_in_the_passages_is_not_the_one_asked(kb) -> None:  # type: ignore[no-untyped-def]
    # The Beijing plan's notice lists its own contacts; the quote read out does
    # not hold the number asked, so the answer says the documents lack it.
    answer = kb.answer("区民政局养老服务科对接驿站的联系人电话是多少？")
    assert answer.declined_part or answer.abstained, answer.text
    assert "这段条文里没有写电话号码" in answer.text or answer.abstained
    assert not re.search(r"\d{7,}", answer.text)


def test_off_topic_questions_are_declined(kb) -> None:  # type: ignore[no-untyped-def]
    answer = kb.answer("嗯那个明天北京下不下雨啊我要去遛弯")
    assert answer.abstained and answer.citations == []
    assert (
        kb.answer("我家车险下个月到期了，哪家保险公司续保便宜点？").kind == "off_topic"
    )


def test_bad_input(kb) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="empty"):
        kb.search("   ")
    assert kb.answer("").abstained
    long = kb.search("养老" * 5000)
    assert len(long.question) == kb.settings.knowledge_max_query_chars
    assert isinstance(long.abstained, bool)
    assert kb.answer("<s> </s> <unk> \x00").abstained in (True, False)
