"""What a question is about, before any passage is quoted.

Amounts, phone numbers, hours and places are judged in ``knowledge.facts`` (a
passage may state them); this module finds what no passage can hold.

Policy documents are plans: they say what the government intends, not how to
apply at the local window, what lunch costs, when the station opens, whether a
person's subsidy has arrived, or what was actually built. A question asking for
such a service detail must be told plainly that the documents do not give it
(then given the station's own fact, or pointed to the station), instead of
being read a sentence that merely shares a word with it. A question outside
elder and family services (a grandson's university subject, the weather, a
medicine dose) is declined in one sentence with a pointer to a person.

The method is lexical and explainable: question forms (怎么申请, 丢了去哪补,
几点开门, 发了没有, 实际建成) recognised by patterns, and the topic judged by a
vocabulary of elder and family services versus topics that are plainly not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Need:
    """A service detail the documents never give."""

    name: str
    gap: str  # "政策文件里没有写{gap}"
    facts: tuple[str, ...]  # station facts that answer it, best first
    asks: re.Pattern[str]
    personal: bool = False  # about one person's own records: nothing to quote


# "今天中午吃什么": a meal of the day asked for, which only the station's menu holds.
TODAYS_MEAL = (
    r"(?:今天|明天|今儿|明儿|中午|晚上|早上|午饭|晚饭|早饭|这周|本周|这礼拜)"
    # 吃什么, not 吃什么药; 做什么 only with 饭 or 菜 (做什么活动 is no meal)
    r"[^，。？?]{0,6}(?:吃(?:的)?(?:什么|啥)(?!药)|(?:做|有)(?:的)?(?:什么|啥)(?:饭|菜))"
    # "晚上吃什么好消化" asks advice, not the menu
    r"(?![^，。？?]{0,6}(?:好|健康|营养|消化|养生|补|合适|对身体))"
)
NEEDS: tuple[Need, ...] = (
    Need(
        "personal",
        "个人的发放、账户和办理记录",
        ("application_window", "hotline"),
        re.compile(
            r"(?:我|我的|我家|俺|我妈|我爸|我老伴|老人)[^，。？?]{0,10}"
            r"(?:补贴|津贴|养老金|退休金|退休工资|工资|钱|账户|余额|卡|申请|评估|结果)"
            r"[^，。？?]{0,8}(?:发了没|发没发|到账|到了没|到没到|怎么还没|还没|怎么没|批了没|"
            r"批下来|下来了没|有没有发|发了吗|多少了|扣了|停了|通过了没|通过没|还剩|剩多少|余额)"
            # one person's (or this station's) application: 录上了没有, 拨下来没有
            r"|(?:录上|录取|批下来|拨下来|办下来|办好|评上)了?(?:没|吗)"
            r"|(?:咱们|咱|我们)[^，。？?]{0,8}(?:补贴|经费|钱)[^，。？?]{0,6}(?:下来|到了|拨了|发了)"
            r"|(?:给我|帮我)(?:算|查|看|核)(?:一下|一算|算|查|看)?"
            r"|怎么算出来|算出来的|我(?:能|可以)?(?:领|拿)(?:多少|几)"
        ),
        personal=True,
    ),
    Need(
        # What stands today; the plan's target is still quoted after the gap.
        "status",
        "现在实际建成、办到了哪一步",
        ("hotline",),
        re.compile(
            r"实际|名单|建成了|已经建了|完成了?(?:目标)?(?:吗|没|没有)|达标了|"
            r"(?:目前|现在)(?:已经|一共|总共)?(?:有|建了|开了|建成了?)(?:多少|几)(?:家|个|所|张|处|座)|"
            r"(?:目前|现在)(?:到底|已经)?有没有(?:建|盖|开|办)|"
            # 改好了没有, 乐龄MALL开了没有 (not 驿站今天开了吗: the hours), 已经开始实行了吗
            r"(?:建|盖|修|改|装|弄)好了(?:吗|没)|(?<!今天|明天|今儿|周六|周日|周末|礼拜|星期)(?<![天六日])"
            r"开(?:了|张了|业了)(?:吗|没)|能用了(?:吗|没)|(?:开始)?(?:实行|实施|落地|推行)了(?:吗|没)"
        ),
    ),
    Need(
        "lost",
        "证件和卡丢了去哪补办",
        ("application_window", "address", "hotline"),
        re.compile(
            # 老年正, 退休正: the speech recogniser's 证 in a card's name
            r"(?:证|卡|本|存折|(?:老年|残疾|退休|身份|优待)[正症])[^，。？?]{0,4}"
            r"(?:丢了|丢失|掉了|找不到|坏了|被偷)|补办|挂失|补领|换个新"
        ),
    ),
    Need(
        "procedure",
        "具体怎么办理",
        ("application_window", "address", "hotline"),
        re.compile(
            r"(?:怎么|怎样|如何|咋|去哪儿?|去哪里|在哪儿?|在哪里|到哪儿?|找谁)"
            r"(?:才能)?(?:去)?(?:申请|办理|办|领取|领|申领|报名|登记|开通|预约|申报|认定|评|做评估)"
            r"|需要(?:什么|哪些|啥)条件|要带(?:什么|啥)|"
            r"(?:需要|要|得|交|带|准备|提交|递交)(?:什么|哪些|啥)(?:材料|手续|证件|证明)|"
            r"哪个(?:部门|单位|窗口)(?:申请|办理|办|备案|登记|报名)|"
            r"手续|流程|申请材料|办理时间|(?:办事|办理|申请|受理|哪个|什么)窗口|窗口在哪"
        ),
    ),
    Need(
        "menu",
        "每天的菜单",
        ("meal_menu", "meal_prices"),
        re.compile(
            r"菜单(?!式)|菜谱|(?:吃|做)(?:的)?(?:什么|啥)(?:饭|菜)|什么菜|啥菜|伙食怎么样|"
            + TODAYS_MEAL
        ),
    ),
)
_MEAL = re.compile(r"饭|餐|食堂|菜|伙食")

# Elder and family services: a question naming one of these is on topic. The
# core words are specific enough to keep a question on topic even beside an
# off-topic word (老年大学的专业); the general ones count only on their own.
_CORE = re.compile(
    r"老人|老年|养老|长者|高龄|退休|银发|长辈|爷爷|奶奶|姥姥|姥爷|外婆|外公|老伴|"
    r"[五六七八九]十(?:多|出头|几)?岁?|上了年纪|年纪大|岁数大|"
    r"补贴|津贴|救助|低保|特困|残疾|失能|失智|认知障碍|痴呆|护理|照护|照料|看护|护工|保姆|"
    r"助餐|食堂|送餐|助浴|助洁|助行|助医|喘息|托养|日间照料|驿站|养老院|敬老院|幸福院|床位|"
    r"医保|社保|长护险|适老|无障碍|扶手|加装电梯|居家|诈骗|骗子|权益|赡养|时间银行|"
    r"独居|空巢|留守|计划生育|民政|政策|规定|允许|规划"
)
_GENERAL = re.compile(
    r"老|照顾|家政|机构|医疗|看病|就医|门诊|住院|医院|医生|卫生|健康|康复|体检|中医|安宁|"
    r"保险|电梯|改造|智慧|智能|数字|上门|社区|街道|乡镇|农村|骗|维权|法律援助|志愿|"
    r"文体|教育|学习|就业|再就业|干活|工作|政策|规划|文件|方案|计划|规定|政府|国家|发文|"
    r"印发|十四五|补助|优待|免费|家庭|子女|儿女|家属"
)
# Topics plainly outside the assistant's remit, and who to ask instead.
_OFF_TOPIC: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(
            r"吃几片|吃几粒|吃多少药|一天吃几|剂量|副作用|能不能一起吃|血压.*正常|降压药|药.*怎么吃|硝苯地平|阿司匹林"
        ),
        "用药的事请问医生或药师",
    ),
    (
        re.compile(r"考研|考大学|高考|中考|专业|选学校|填志愿|作业|辅导班|补习"),
        "孩子上学的事请问学校老师或家里人",
    ),
    (
        re.compile(r"天气|下雨|下不下雨|下雪|气温|刮风|冷不冷|热不热|雾霾"),
        "天气可以听天气预报，或者问问家里人",
    ),
    (
        re.compile(
            r"微信|发语音|视频通话|手机怎么|怎么用手机|抖音|支付宝怎么|密码忘|wifi|WIFI|网络连"
        ),
        "手机怎么用，请家里人或驿站工作人员手把手教您",
    ),
    (
        re.compile(r"股票|基金|彩票|炒股|利息多少|存款利率|买房|房价|车险|续保|交强险"),
        "钱财的事请问银行或家里人，千万别听陌生人的",
    ),
    (
        re.compile(
            r"电视剧|电影|唱歌|歌词|球赛|比赛|游戏|笑话|菜怎么做|做菜|怎么炖|怎么腌"
        ),
        "这个请问问家里人或朋友",
    ),
)
_PERSON = "请问家里人或驿站工作人员"


@dataclass(frozen=True)
class Analysis:
    """The question's topic and the service details it asks for."""

    off_topic: bool
    pointer: str = _PERSON  # who to ask instead (off-topic)
    needs: list[Need] = field(default_factory=list)

    @property
    def personal(self) -> bool:
        """It asks for something no document can hold (a person's records, actual status)."""
        return any(n.personal for n in self.needs)


def analyse(question: str) -> Analysis:
    """Topic and service details of a question (cheap, no model)."""
    text = question.strip()
    for pattern, pointer in _OFF_TOPIC:
        if pattern.search(text) and not _strong_domain(text, pattern):
            return Analysis(True, pointer)
    needs = [n for n in NEEDS if n.asks.search(text)]
    return Analysis(False, _PERSON, needs)


def on_topic(question: str) -> bool:
    """Whether the question names anything of elder or family services."""
    return bool(_CORE.search(question) or _GENERAL.search(question))


def _strong_domain(text: str, off: re.Pattern[str]) -> bool:
    """A core domain word outside the off-topic match (老年大学的专业 is on topic)."""
    return bool(_CORE.search(off.sub(" ", text)))


# Said to or about the station itself (its hours, phone, address, fees), or
# today's meals: what the station's own facts answer.
_STATION = re.compile(
    r"驿站|你们|您们|咱们|咱这|这儿|这里|站里|服务站|服务中心|照料中心|食堂|餐厅|助餐点|老年餐桌"
)
_TODAYS_MEAL = re.compile(TODAYS_MEAL)
_DETAIL = re.compile(
    r"开门|关门|开不开|几点|上班|下班|营业|开放|电话|号码|热线|地址|在哪|怎么走|多少钱|收费|价格|"
    r"吃(?:的)?(?:什么|啥)|菜单|菜谱|伙食"
)


def station_service(question: str) -> bool:
    """Whether the question asks the station's own service details.

    "驿站几点开门", "你们电话多少", "今天中午吃什么": the station's facts answer
    these (or the answer points to the station), however NLU labelled them;
    "现在几点了" or "新闻联播几点" name no station and stay off topic.
    """
    text = question.strip()
    if _TODAYS_MEAL.search(text):
        return True
    return bool(_STATION.search(text) and _DETAIL.search(text))


# A year said digit by digit, as the speech recogniser writes it (二零二五年).
_SPOKEN_YEAR = re.compile(r"[一二][零〇九][零〇一二三四五六七八九]{2}(?=年)")
_DIGIT = str.maketrans("零〇一二三四五六七八九", "00123456789")


def spoken_years(question: str) -> str:
    """The question with years said digit by digit written as numbers.

    The documents write 2025年; a caller's "到二零二五年" would match none of
    their targets. Only four digits before 年 change, so 十四五 and 二十个 stay.
    """
    return _SPOKEN_YEAR.sub(lambda m: m.group(0).translate(_DIGIT), question)


# Words that order a meal: "明天有啥菜，给我也订一份" books, "今天中午吃什么" asks.
_ORDERS = re.compile(
    r"订|预定|预约|(?:帮我|给我)(?:订|送|来|留|要)|送(?:一|两|\d|到|过来|来|上门|家)|"
    r"我要|要一份|来一份|[一两二三四五六七八九十\d]份(?!多少|几)"
)


def menu_question(text: str) -> bool:
    """Whether the words ask the day's menu and order nothing ("今天中午吃什么").

    NLU reads such a question as a booking (it names a day and a meal); it is
    answered from the station's menu instead.
    """
    return bool(_TODAYS_MEAL.search(text)) and not _ORDERS.search(text)


def meal_question(question: str) -> bool:
    """Whether the question is about meals (for meal prices and menu facts)."""
    return bool(_MEAL.search(question))
