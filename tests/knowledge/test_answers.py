"""What the elder hears: topic, service details, station facts, quoted sentence, region.

The first tests build search results by hand (no model); the last ones run the
real knowledge base.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from knowledge.answer import compose
from knowledge.facts import asked_kinds
from knowledge.lexical import get_tokenizer
from knowledge.question import analyse, menu_question, on_topic, spoken_years
from knowledge.regions import city_of, covers
from knowledge.search import Hit, SearchResult
from knowledge.sentences import SentencePicker, sentences_of
from knowledge.station import StationFacts

STATION = "幸福里驿站"


@pytest.mark.parametrize(
    ("question", "pointer"),
    [
        ("孙子考研选什么专业", "老师"),
        ("嗯那个明天北京下不下雨啊我要去遛弯", "天气预报"),
        ("硝苯地平我一天吃几片合适啊", "医生"),
        ("那个微信怎么给我闺女发语音啊你教教我", "家里人"),
    ],
)
def test_off_topic_questions(question: str, pointer: str) -> None:
    analysis = analyse(question)
    assert analysis.off_topic and pointer in analysis.pointer


@pytest.mark.parametrize(
    "question",
    ["老年大学有哪些专业", "老人降压药能报销吗", "国家对老年人学习手机有培训吗"],
)
def test_elder_topics_with_off_topic_words_stay_on_topic(question: str) -> None:
    assert not analyse(question).off_topic and on_topic(question)


@pytest.mark.parametrize(
    ("question", "need"),
    [
        ("我的补贴这个月发了没有", "personal"),
        ("我这个退休工资是怎么算出来的啊能不能给我算算", "personal"),
        ("帮我查查我妈的高龄津贴到账没", "personal"),
        ("朝阳区实际建成了多少张床位", "status"),
        ("老年证丢了去哪补", "lost"),
        ("医保卡掉了怎么挂失", "lost"),
        ("高龄津贴怎么领", "procedure"),
        ("申请补贴需要什么材料", "procedure"),
        ("驿站今天中午吃什么菜", "menu"),
        ("我报的那个老年大学书法班 录上了没有啊", "personal"),
        ("咱们驿站今年的运营补贴拨下来没有？", "personal"),
        ("朝阳那个老年医院现在改好了没有", "status"),
        ("长期护理保险在朝阳区现在已经开始实行了吗？", "status"),
        ("我们小区现在到底有没有建成养老驿站？", "status"),
        ("退休正丢了 会不会影响领养老金", "lost"),  # the recogniser's 正 for 证
        ("新开驿站备案要向哪个部门交哪些材料？", "procedure"),
    ],
)
def test_service_detail_needs(question: str, need: str) -> None:
    analysis = analyse(question)
    assert not analysis.off_topic
    assert need in [n.name for n in analysis.needs]


@pytest.mark.parametrize(
    "question",
    [
        "承德的社区养老信息平台能提供哪些菜单式服务",
        "国家对长护险有什么规划",
        "国家规划对公共服务场所保留人工窗口有什么要求？",
        # a review's false alarms: policy questions, not service details
        "现在有没有高龄津贴",
        "北京现在有没有长护险",
        "目前总共规划了多少个驿站",
        "现在一共有几种补贴",
        "什么证件可以享受老年优待",
        "向哪个部门举报养老机构",
        "保留人工服务窗口吗",
        "认知症老人找不到了",
    ],
)
def test_policy_questions_need_no_service_detail(question: str) -> None:
    assert analyse(question).needs == []


@pytest.mark.parametrize(
    ("question", "kinds"),
    [
        ("理疗一次收多少钱", ["amount"]),
        ("老年大学学费贵不贵", ["amount"]),
        ("养老院收费高吗", ["amount"]),
        ("助浴的费用怎么算", ["amount"]),
        ("驿站几点开门", ["hours"]),
        ("驿站周末开吗", ["hours"]),
        ("老年食堂的饭钱是谁定的", []),  # who sets prices: a policy question
        ("基本养老服务的收费标准有什么安排", []),
        ("收费标准是多少", ["amount"]),
        ("长期护理保险护理费用大概能报多少比例", []),  # a share, stated as 70%
        ("驿站电话是多少", ["phone"]),
        ("我妈老接到诈骗电话，国家对这个打不打击啊？", []),  # a call, no number asked
        ("老人接到推销电话怎么办", []),
        ("驿站给老人理发要交钱不？", ["amount"]),
        ("政府花钱给老人装扶手吗", []),
        ("防诈骗电话是多少", ["phone"]),
        ("诈骗电话举报打哪个", ["phone"]),
    ],
)
def test_fee_words_count_as_amount_asked(question: str, kinds: list[str]) -> None:
    assert [k.name for k in asked_kinds(question)] == kinds


def _hit(text: str, region: str = "beijing", title: str = "某规划") -> Hit:
    return Hit(
        "doc.txt", title, "三、任务", text, 1.0, 0, len(text), {"region": region}
    )


def _picker() -> SentencePicker:
    tokenizer = get_tokenizer()
    return SentencePicker(tokenizer, lambda _t: 1.0)


def test_the_sentence_that_answers_is_chosen_over_a_heading() -> None:
    text = (
        "加强老年人就业服务。"
        "健全老年人就业政策。"
        "鼓励各地建立老年人才信息库，为有劳动意愿的老年人提供职业介绍、职业技能培训和创新创业指导服务。"
    )
    _, sentence = _picker().pick("退休了还想找工作，有什么就业服务？", [_hit(text)], [])
    assert sentence.startswith("鼓励各地建立老年人才信息库")


def test_a_table_row_is_not_read_out() -> None:
    text = (
        "新建家庭养老照护床位（张） 2000 2000 2000 2000\n"
        "加大养老家庭照护床位建设支持力度，每年建设不少于2000张。"
    )
    assert len(sentences_of(text)) == 2
    _, sentence = _picker().pick(
        "每年新建多少张家庭照护床位", [_hit(text)], asked_kinds("多少张")
    )
    assert sentence.startswith("加大养老家庭照护床位")


def test_a_year_asked_reads_the_indicator_tables_row() -> None:
    text = (
        "加强养老护理员队伍建设，提高护理员持证水平。\n"
        "养老机构护理员持证率达到（%）\u200365\u200369\u200373\u200381"
    )
    picker, hits = _picker(), [_hit(text)]
    _, sentence = picker.pick("2030年展望的养老机构护理员持证率是多少？", hits, [])
    assert sentence.startswith("养老机构护理员持证率达到")
    _, sentence = picker.pick("2026到2028年养老机构护理员持证率是多少？", hits, [])
    assert sentence.startswith("加强养老护理员队伍建设")


def test_a_long_sentence_is_cut_around_what_was_asked() -> None:
    sentence = (
        "市、县搭建社区日间照料信息化平台，支持社区养老服务机构建设信息服务平台，"
        "推动社区养老服务机构、其他生活服务提供商等与社区老年人需求精准对接，"
        "为老年人提供生活用品代购、餐饮外卖、家政预约、代收代缴、辅助出行、"
        "挂号取药、精神慰藉等“菜单式”就近便捷服务。"
    )
    picker = _picker()
    quote = picker.excerpt("信息平台能提供哪些菜单式服务？", sentence, 80)
    assert len(quote) <= 84 and quote.startswith("……")
    assert "“菜单式”就近便捷服务" in quote
    head = picker.excerpt("谁来搭建日间照料信息化平台？", sentence, 80)
    assert head.startswith("市、县搭建") and head.endswith("……")
    assert picker.excerpt("任何问题", "短句子。", 80) == "短句子。"


def test_a_lower_passage_wins_only_when_it_answers_clearly() -> None:
    first = _hit("推进长期护理保险制度试点。完善长期护理保险经办服务。")
    second = _hit(
        "从职工基本医疗保险参保人群起步，逐步将低收入家庭中的重度失能老年人纳入长期护理保险保障范围。"
    )
    index, sentence = _picker().pick(
        "长期护理保险先覆盖哪些人，以后会纳入哪些老年人？", [first, second], []
    )
    assert index == 1 and sentence.startswith("从职工基本医疗保险")


def test_a_neighbour_that_answers_as_well_is_read_with_it() -> None:
    text = (
        "提升医保公共服务支持力度。"
        "积极推进长期护理保险在我区落地实施。"
        "优先将基层医疗卫生机构纳入长期护理保险定点机构范围。"
        "发挥医保支付杠杆作用。"
    )
    picker, hits = _picker(), [_hit(text)]
    question = "对长期护理保险是怎么说的？"
    _, one = picker.pick(question, hits, [])
    _, both = picker.pick(question, hits, [], limit=120)
    assert (
        both
        == "积极推进长期护理保险在我区落地实施。优先将基层医疗卫生机构纳入长期护理保险定点机构范围。"
    )
    assert one in both
    _, short = picker.pick(question, hits, [], limit=len(both) - 1)
    assert short == one  # both do not fit: the best alone
    # a heading line between them: not one quote
    apart = text.replace("落地实施。", "落地实施。\n（二）长期护理保险\n")
    _, alone = picker.pick(question, [_hit(apart)], [], limit=120)
    assert alone == one


def test_a_title_only_passage_neither_reads_nor_sets_the_bar() -> None:
    title = _hit("朝阳区养老服务\n三年行动计划", title="朝阳区养老服务三年行动计划")
    hits = [
        title,
        _hit("推进老年教育。"),
        _hit("加强老年食堂建设。"),
        _hit("积极推进长期护理保险在我区落地实施。"),
    ]
    for hit, score in zip(hits, (1.0, 0.6, 0.59, 0.58), strict=True):
        hit.score = score
    picker = _picker()
    scored = picker.scored("长期护理保险", hits, [])
    assert {i for i, _, _ in scored} == {1, 2, 3}  # three passages that say something
    index, sentence = picker.pick("长期护理保险", hits, [])
    assert index == 3 and sentence.startswith("积极推进")


@pytest.mark.parametrize(
    ("text", "asks"),
    [
        ("今天中午吃什么", True),
        ("今天有什么菜", True),
        ("驿站今天中午做的什么饭", True),
        ("明天有啥菜 给我也订一份", False),  # orders: a booking
        ("明天中午给我送一份饭", False),
        ("冬天吃什么菜好", False),  # advice, not the day's menu
        ("晚上吃什么好消化", False),
        ("晚上吃什么药", False),
        ("给我说说今天中午吃什么", True),
        ("今天中午吃什么，一份多少钱", True),
    ],
)
def test_a_menu_question_orders_nothing(text: str, asks: bool) -> None:
    assert menu_question(text) is asks


def test_a_sentence_naming_the_year_asked_answers_its_figure() -> None:
    text = (
        "推进智慧养老院建设。\n"
        "智慧养老院覆盖率达到（%）\u20035\u200310\u200320\u200330\n"
        "加快养老服务数字化转型，2028年末实现智慧养老院覆盖率达到20%。"
    )
    question = "朝阳智慧养老院到2028年覆盖率要到多少"
    _, sentence = _picker().pick(question, [_hit(text)], [])
    assert sentence.startswith("加快养老服务数字化转型")
    spaced = text.replace("2028年末", "2028 年末")  # the Beijing plan's spacing
    _, sentence = _picker().pick(question, [_hit(spaced)], [])
    assert sentence.startswith("加快养老服务数字化转型")


def test_years_said_digit_by_digit_become_numbers() -> None:
    assert (
        spoken_years("北京到二零二五年养老驿站有多少个")
        == "北京到2025年养老驿站有多少个"
    )
    assert spoken_years("一九九九年") == "1999年"
    for same in ("“十四五”时期", "二十个驿站", "三二零一年", "二零二五"):
        assert spoken_years(same) == same


def _compose(
    question: str,
    hits: list[Hit],
    *,
    abstained: bool = False,
    region: str | None = None,
    facts: StationFacts | None = None,
):  # type: ignore[no-untyped-def]
    result = SearchResult(question, hits, abstained, region, None, 0.9)
    tokenizer = get_tokenizer()
    return compose(
        result,
        style="short",
        words=set(tokenizer.words(question)),
        tokenize=tokenizer.words,
        station=STATION,
        facts=facts,
        picker=_picker(),
    )


def test_off_topic_is_declined_in_one_sentence_with_a_person() -> None:
    answer = _compose("孙子考研选什么专业", [_hit("培养养老服务专业人才。")])
    assert answer.abstained and answer.citations == [] and answer.kind == "off_topic"
    assert len(re.findall("[。！？]", answer.text)) == 1
    assert "老师" in answer.text or "家里人" in answer.text


def test_personal_records_point_to_the_station_without_a_quote() -> None:
    hits = [_hit("建立经济困难高龄老年人养老服务补贴制度。")]
    answer = _compose("我的补贴这个月发了没有", hits)
    assert answer.abstained and answer.kind == "service"
    assert "查不到" in answer.text and STATION in answer.text
    assert "养老服务补贴制度" not in answer.text


def test_station_facts_answer_service_details() -> None:
    facts = StationFacts(opening_hours="周一至周五 8:30—17:00", hotline="010-65001234")
    answer = _compose("驿站几点开门", [_hit("推进社区养老服务驿站建设。")], facts=facts)
    assert "本驿站信息" in answer.text and "8:30—17:00" in answer.text
    assert any(c["title"] == "本驿站信息" for c in answer.citations)
    assert answer.declined_part


def test_without_station_facts_no_number_is_said() -> None:
    for question in ("驿站几点开门", "驿站电话是多少", "社区食堂一顿饭几块钱"):
        answer = _compose(
            question, [_hit("推进社区养老服务驿站建设。")], facts=StationFacts()
        )
        assert not re.search(r"\d", answer.text), answer.text
        assert STATION in answer.text and answer.declined_part


def test_meal_prices_answer_meal_fees_only() -> None:
    facts = StationFacts(meal_prices="午饭15元", service_fees="理疗一次30元")
    meal = _compose("食堂午饭多少钱", [_hit("发展老年助餐服务。")], facts=facts)
    assert "午饭15元" in meal.text and "理疗" not in meal.text
    therapy = _compose("理疗一次收多少钱", [_hit("发展康复服务。")], facts=facts)
    assert "理疗一次30元" in therapy.text and "午饭" not in therapy.text


def test_a_procedure_question_says_what_the_documents_lack_then_quotes() -> None:
    hits = [_hit("为经济困难的高龄老年人发放高龄津贴。", region="beijing")]
    answer = _compose("高龄津贴怎么领", hits, region="chaoyang")
    assert answer.text.startswith("文件里没有写具体怎么办理")
    assert "为经济困难的高龄老年人发放高龄津贴" in answer.text
    assert STATION in answer.text


def test_a_quote_from_another_region_says_so() -> None:
    hits = [_hit("对高龄老年人发放高龄津贴。", region="chengde", title="承德市规划")]
    answer = _compose("高龄津贴有哪些规定", hits, region="chaoyang")
    assert "北京的文件里没有写这个" in answer.text and "承德市" in answer.text
    home = _compose(
        "高龄津贴有哪些规定",
        [_hit("对高龄老年人发放高龄津贴。", region="national")],
        region="chaoyang",
    )
    assert "没有写这个" not in home.text
    assert covers("national", "chaoyang") and not covers("chengde", "chaoyang")
    assert city_of("chaoyang") == "beijing" and city_of("chengde") == "chengde"


# --- the real knowledge base ---------------------------------------------------


@pytest.fixture(scope="module")
def chaoyang_kb(kb, tmp_path_factory):  # type: ignore[no-untyped-def]
    """The real index with the station in Chaoyang and facts in a temporary file."""
    from knowledge.base import KnowledgeBase

    facts = tmp_path_factory.mktemp("facts") / "station_facts.yml"
    settings = kb.settings.model_copy(
        update={"station_region": "chaoyang", "station_facts_file": facts}
    )
    return KnowledgeBase(settings, embedder=kb.searcher.embedder)


def test_station_region_is_preferred(chaoyang_kb) -> None:  # type: ignore[no-untyped-def]
    assert chaoyang_kb.home_region == "chaoyang"
    answer = chaoyang_kb.answer("高龄津贴怎么领")
    regions = {c.get("doc") for c in answer.citations}
    top = answer.result.hits[0].metadata["region"] if answer.result.hits else ""
    assert top in ("chaoyang", "beijing", "national") or "的规定" in answer.text, (
        regions,
        answer.text,
    )
    named = chaoyang_kb.search("承德的老年食堂是怎么安排的？")
    assert named.region == "chengde"  # a region the user names still wins
    assert named.hits[0].metadata["region"] == "chengde"


def test_unknown_station_region_is_refused(kb) -> None:  # type: ignore[no-untyped-def]
    from knowledge.base import KnowledgeBase

    settings = kb.settings.model_copy(update={"station_region": "mars"})
    with pytest.raises(ValueError, match="ASSISTANT_STATION_REGION"):
        KnowledgeBase(settings, embedder=kb.searcher.embedder)


def test_station_facts_edited_reach_the_next_answer(chaoyang_kb) -> None:  # type: ignore[no-untyped-def]
    from knowledge import station

    path = Path(chaoyang_kb.settings.effective_station_facts_file)
    before = chaoyang_kb.answer("我们驿站几点开门")
    assert not re.search(r"\d", before.text) and "驿站" in before.text
    station.save(path, StationFacts(opening_hours="每天8:00—18:00"), staff="王")
    after = chaoyang_kb.answer("我们驿站几点开门")
    assert "本驿站信息" in after.text and "每天8:00—18:00" in after.text


def test_off_topic_on_the_real_base(chaoyang_kb) -> None:  # type: ignore[no-untyped-def]
    answer = chaoyang_kb.answer("孙子考研选什么专业")
    assert answer.kind == "off_topic" and answer.citations == []
