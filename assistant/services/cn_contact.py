"""Names, phone numbers and addresses as people say them in answers to a form.

Pure functions. A phone may be typed ("13700001111", "010-84561234"), keyed on the
telephone, or spoken digit by digit ("幺三七 零零零零 幺幺幺幺"); a name may come
with a kinship or courtesy word ("赵大爷", "我是王奶奶"), which is how families say
it, not a sign of trouble; an address is often a landmark ("派出所后面的平房").
"""

from __future__ import annotations

import re
import unicodedata

# Common single-character surnames (the 百家姓 names in use today) and compound ones.
_SURNAMES = set(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋"
    "蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段"
    "雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪"
    "庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷"
    "盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连"
    "芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙"
    "荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝官封谈匡鞠惠荆乐冀郁胥南班储原栗燕楚鄢劳"
    "谌奚皮粟冼蔺楼盘满闻位厉伊仝区郜海阚花权强帅屠豆朴盖练廉禹井祖漆巴丰支卿国狄平"
    "计索宣晋相初门云容敬来扈晁芮都普阙浦戈伏鹿薄邸雍辜羊阿乌母裘亓修邰赫杭况那宿鲜"
    "印逯隆茹诸战慕危玉银亢嵇公哈湛宾戎勾茅利於呼居揭干但尉冶斯元束檀衣信展阴昝智幸"
    "奉植衡富尧闭由水昌凤酆鄂蓟滑沃訾钮笪乜"
)
_COMPOUND_SURNAMES = (
    "欧阳", "司马", "诸葛", "上官", "东方", "慕容", "令狐", "皇甫", "尉迟", "公孙",
    "长孙", "宇文", "司徒", "夏侯", "端木", "独孤", "南宫", "西门", "呼延", "万俟",
)  # fmt: skip
# How families and callers address an elder; part of the name they give.
_HONORIFICS = (
    "老爷子", "老太太", "老太", "老头", "大爷", "大妈", "大娘", "大伯", "大叔", "大婶",
    "大姐", "大哥", "爷爷", "奶奶", "姥姥", "姥爷", "外婆", "外公", "阿姨", "叔叔",
    "伯伯", "婶婶", "婶子", "师傅", "老师", "阿婆", "阿公", "婆婆", "公公", "老伯",
    "老汉", "先生", "女士", "同志", "老",
)  # fmt: skip
_NAME_LEAD = re.compile(
    r"^(?:嗯|呃|啊|哦|喂|那个|就是)*"
    r"(?:(?:我|俺|咱)(?:们)?(?:家)?(?:的)?)?"
    r"(?:老人家?|老伴儿?|爸爸?|妈妈?|父亲|母亲|爷爷|奶奶|姥姥|姥爷|外婆|外公|婆婆|公公|"
    r"老爷子|老太太|老头子?|老婆子?|老母亲|老父亲|娘|爹|岳父|岳母|他|她|这位|那位|本人)?"
    r"(?:的)?(?:名字|姓名|大名)?(?:叫我|就叫|叫做?|是)?(?:是)?"
)
_NAME_TAIL = re.compile(r"(?:就行|就可以|就好|就成|吧|啊|呀|哈|呢|嘛|了|哦|的名字)+$")
_SURNAME_ONLY = re.compile(r"^姓([\u4e00-\u9fff]{1,2})$")
# Answers that are a day or a meal, not a name ("明天中午", "周三").
_NOT_A_NAME = re.compile(
    r"今天|明天|后天|今儿|明儿|后儿|中午|晚上|早上|午饭|晚饭|早饭|午餐|晚餐|早餐|"
    r"^(下下|下个?|这个?|本)?(周|星期|礼拜)[一二三四五六日天]$"
)
_CJK = re.compile(r"^[\u4e00-\u9fff·]+$")
BINDING_CODE = re.compile(r"(?<![A-Za-z0-9])[A-Za-z0-9]{6}(?![A-Za-z0-9])")

_DIGIT_WORDS = str.maketrans(
    {
        "零": "0", "〇": "0", "○": "0", "洞": "0", "一": "1", "幺": "1", "腰": "1",
        "二": "2", "两": "2", "三": "3", "四": "4", "五": "5", "六": "6", "七": "7",
        "拐": "7", "八": "8", "九": "9", "勾": "9",
    }
)  # fmt: skip
_DIGIT_RUN = re.compile(
    r"[0-9零〇○洞一幺腰二两三四五六七拐八九勾][0-9零〇○洞一幺腰二两三四五六七拐八九勾\s\-—－–、，,.。杠]*"
)
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0[1-9]\d{8,10}$")
_LOCAL = re.compile(r"^[2-9]\d{6,7}$")

_PLACE_WORDS = re.compile(
    r"号|楼|栋|幢|单元|室|层|小区|社区|村|路|街|巷|胡同|条|里|院|园|苑|庄|府|大厦|公寓|"
    r"平房|宿舍|家属|新村|花园|对面|对过|旁边|边上|后面|后头|前面|前头|隔壁|附近|东边|"
    r"西边|南边|北边|楼下|楼上|拐角|门口|斜对|挨着|紧挨|往里|里头|屯|镇|乡|区|市"
)
_ADDRESS_LEAD = re.compile(
    r"^(?:嗯|那个|就是)*(?:(?:我|俺|咱|老人|他|她)(?:们)?(?:家)?"
    r"(?:住在|就在|住的是|的地址是|地址是|住|在)|地址(?:是)?|住在|家住|在)?"
)


def clean(text: str) -> str:
    """Full-width forms folded, spaces and sentence punctuation dropped."""
    folded = unicodedata.normalize("NFKC", text or "")
    return re.sub(r"[\s，。！？、,.!?；;：:“”\"'‘’（）()…~～]+", "", folded)


def _has_surname(name: str) -> bool:
    if name.startswith(_COMPOUND_SURNAMES):
        return True
    if name[0] in _SURNAMES:
        return True
    # "老王", "小李": a surname after 老/小.
    return len(name) >= 2 and name[0] in "老小" and name[1] in _SURNAMES


def parse_name(text: str) -> str | None:
    """The elder's name in an answer ("赵大爷", "我是陈爷爷", "老人叫刘桂芳"), or None.

    Kinship and courtesy words stay in the name: they are how families name an
    elder. Only answers that start with a known surname (or 老/小 + surname)
    count, so a sentence that is not a name is not taken for one.
    """
    name = _NAME_TAIL.sub("", _NAME_LEAD.sub("", clean(text), count=1))
    surname_only = _SURNAME_ONLY.match(name)
    if surname_only and _has_surname(surname_only.group(1)):
        return surname_only.group(1)
    if not name or not _CJK.match(name) or not 2 <= len(name) <= 8:
        return None
    if not _has_surname(name) or _NOT_A_NAME.search(name):
        return None
    rest = name[2:] if name.startswith(_COMPOUND_SURNAMES) else name[1:]
    for honorific in _HONORIFICS:
        if rest.endswith(honorific):
            rest = rest[: -len(honorific)]
            break
    return name if len(rest) <= 3 else None


def parse_phone(text: str) -> str | None:
    """A phone number in an answer, typed, keyed or spoken, as plain digits.

    Mobiles (11 digits), landlines with an area code ("010-84561234") and local
    7-8 digit numbers are accepted; "+86"/"0086" in front is dropped.

    Returns:
        The digits, or None when the answer holds no phone number.
    """
    folded = unicodedata.normalize("NFKC", text or "")
    best = ""
    for run in _DIGIT_RUN.findall(folded):
        digits = re.sub(r"\D", "", run.translate(_DIGIT_WORDS))
        if len(digits) > len(best):
            best = digits
    for prefix in ("0086", "86"):
        if best.startswith(prefix) and _MOBILE.match(best[len(prefix) :]):
            best = best[len(prefix) :]
    if _MOBILE.match(best) or _LANDLINE.match(best) or _LOCAL.match(best):
        return best
    return None


def parse_address(text: str) -> str | None:
    """An address or landmark description ("派出所后面的平房"), or None."""
    plain = clean(text)
    body = _ADDRESS_LEAD.sub("", plain, count=1) or plain
    body = re.sub(r"(?:就是|吧|啊|呀|哈|呢)+$", "", body)
    if not 3 <= len(body) <= 80:
        return None
    if not _PLACE_WORDS.search(body.replace("家里", "")):
        return None
    return body


def binding_code(text: str) -> str | None:
    """A six-character binding code staff handed out, if the answer holds one."""
    match = BINDING_CODE.search(unicodedata.normalize("NFKC", text or ""))
    return match.group(0).upper() if match else None
