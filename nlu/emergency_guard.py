"""Emergency phrase matcher shared by Rasa (3.10) and the app (3.11).

Pure Python on purpose: no Rasa import, so the FastAPI app can run the very same
check when the Rasa server is down. The matcher favours recall: a phrase is only
set aside when it is plainly hypothetical or preventive ("防跌倒的改造有补贴吗")
and nothing in the sentence says it is happening now.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["EMERGENCY_TYPES", "EmergencyMatch", "detect_emergency", "normalise"]


@dataclass(frozen=True)
class EmergencyMatch:
    """A high-risk phrase found in an utterance."""

    emergency_type: str
    phrase: str
    start: int
    end: int


# Order matters: the first type whose pattern matches names the emergency,
# so the more specific kinds come before the general cry for help.
_PATTERNS: tuple[tuple[str, str], ...] = (
    ("other", r"抽(搐|风)|口吐白沫|癫痫(犯|发作)|羊癫疯"),
    (
        "fire_gas",
        r"着火|失火|起火|火灾|烧起来|烧着了|冒黑烟|冒烟|浓烟|(好大|好多|很大|全是|一屋子|满屋)的?烟|火苗|冒火星|火星子|"
        r"烧焦|焦糊味|糊味|(电线|插座|插头|电器|电视|电瓶车).{0,3}(冒|烧|着|炸)|"
        r"(煤气|燃气|天然气|液化气)(灶|罐|阀|管)?.{0,6}(没关|忘关|没拧|头(疼|晕)|恶心)|"
        r"(煤气|燃气|天然气|液化气)(的)?(味|泄漏|泄露|漏了|漏气|中毒|罐.{0,2}(漏|炸))|"
        r"漏(煤|燃|天然)?气|一氧化碳|煤气中毒|烟雾报警器.{0,3}响|爆炸",
    ),
    (
        "stroke",
        r"嘴(巴|角)?.{0,2}歪|口角歪|歪嘴|眼歪嘴斜|说不出话|说话.{0,3}(不清|含糊|不利索|大舌头)|"
        r"口齿不清|眼前(一)?黑|(突然|一下子).{0,3}看不(见|清)|(看东西|看人)?重影|(手|脚|胳膊|腿).{0,3}不听使唤|舌头(发)?硬|半边(身子|脸|身)|半身(不能动|不遂|麻)|"
        r"一边(手脚|胳膊|身子|手)(不能动|动不了|没劲|发麻|麻)|"
        r"手脚(突然)?(不能动|动不了)|中风|脑梗|脑卒中|卒中|脑溢血|脑出血",
    ),
    (
        "chest_pain",
        r"胸(口|前|部)?.{0,2}(疼|痛|闷|憋|堵|发紧)|胸(口|前|部)?.{0,6}(压着|石头|压住)|心口.{0,2}(疼|痛|闷|憋|堵)|"
        r"(往|到|窜|连着).{0,3}(胳膊|后背|肩膀).{0,6}(疼|痛)|"
        r"心(脏)?(疼|痛)|心(脏|口).{0,5}(疼|痛|针扎|刀割|绞)|心绞痛|心梗|心肌梗|心脏病(犯|发作)|心脏(受不了|难受|不舒服)|"
        r"心(跳)?(慌|突突).{0,4}(疼|痛|难受)",
    ),
    (
        "breathing",
        r"喘不(上|过|了|来)(气)?|上不来气|透不过气|呼吸(困难|不了|不上来|急促|不过来)|"
        r"不能呼吸|没法呼吸|憋(得|死|气)|气(都)?(喘|上)不(来|上)|哮喘(犯|发作)|"
        r"喘得(厉害|很|不行|上不来)|(嘴唇|脸).{0,2}(发紫|紫了|青紫|发青)|噎(住|着)|卡(住|在)(了)?(喉咙|嗓子)|(喉咙|嗓子)(卡|堵)|呛(住|着)了",
    ),
    (
        "unconscious",
        r"叫不醒|喊不醒|叫不应|喊不应|(怎么|咋|咋么)(叫|喊|推)(都|也)(不|没)(醒|应|反应)|"
        r"倒下.{0,4}(不动|没动静|没声)|昏倒|晕倒|昏过去|晕过去|昏迷|不省人事|不醒人事|"
        r"没(有)?(反应|知觉|意识|呼吸|心跳|气了)|人事不省|抽(搐|风)|口吐白沫|倒下(去)?了|"
        r"(晕|昏)(了|死)|一动不动",
    ),
    (
        "bleeding",
        r"流血|出血|血流不止|血止不住|止不住(的)?血|大出血|吐血|咳血|"
        r"(好多|很多|一地|满地|满身|一身|全是)血|血(哗哗|直流|一直流)|伤口(很深|好深)|"
        r"割(破|伤)|划(破|了个口)|砍(伤|到)",
    ),
    (
        "fall",
        r"摔(倒|了|跤|地|下|伤|着|坏|断|骨折)|跌(倒|了|跤|下|伤)|滑倒|绊倒|栽倒|"
        r"(滑|绊|摔|跌|磕)了?(一)?(跤|下|个跟头)|"
        r"倒在.{0,4}地|(躺|坐|趴)在地(上)?起不来|起不来|爬不起来|站不起来|"
        r"从(床|椅子|楼梯|凳子|梯子).{0,3}(掉|摔|滚)|骨折",
    ),
    (
        "lost_person",
        r"走丢|走失|丢了人|人(丢了|不见了|找不着|找不到)|"
        r"(老人|老爷子|老太太|我(爸|妈|爷爷|奶奶|姥姥|姥爷|外婆|外公|老伴)|"
        r"老伴|俺(爹|娘|妈|爸)|他|她)[^的]{0,6}(不见了|找不(着|到)了|失联)|"
        r"(一天|一夜|一宿|好几个(小时|钟头)|大半天|到现在|一晚上).{0,6}(没回来|没回家)|"
        r"(糊涂|痴呆|失智|记性不好|认知障碍|认不得路|不认路|阿尔茨海默|脑子不(清楚|好使|灵)).{0,20}"
        r"(没回来|没回家|找不(到|着)|没找(到|着)|上哪找|不见|丢了)|"
        r"(没回来|没回家|找不(到|着)|没找(到|着)|上哪(儿)?找|不见了).{0,20}"
        r"(糊涂|痴呆|失智|不认路|认不得路|脑子不(清楚|好使|灵))|"
        r"(爸|妈|爷爷|奶奶|姥姥|姥爷|外婆|外公|老伴|老头|老太|老人|爹|娘|婆婆|公公)"
        r"[^的]{0,3}(不见了|找不(着|到)了|失联)",
    ),
    (
        "other",
        r"心慌|心悸|头(好|很|特别|太)?晕.{0,4}(倒|站不住|站不稳)|要倒了|天旋地转|"
        r"救命|救救|快来人|来人啊|救护车|打120|叫120|急救|不中了|快不中|"
        r"(卡|困|夹)(在)?(那儿|那|里面|里头|住)(了)?出不来|出不来了|动不了了|"
        r"吃了.{0,4}(一整瓶|一瓶|好多|一把|一大把).{0,3}药|(药).{0,2}(吃多了|吃过量|过量)|"
        r"疼得(直)?打滚|疼得(受不了|要命|不行了)|疼死了|"
        r"烫伤|烫着了|被.{0,3}烫|烧伤|触电|电着了|中毒|吃错(了)?药|喝(了)?(农药|药水)|药吃多了|"
        r"被(困|锁)在|困在(电梯|屋|家)|(不行|快不行)了|要死了|出事了|出大事",
    ),
)

_COMPILED = tuple((kind, re.compile(pattern)) for kind, pattern in _PATTERNS)

EMERGENCY_TYPES: tuple[str, ...] = tuple(dict.fromkeys(kind for kind, _ in _PATTERNS))

# Words that make a phrase hypothetical or preventive when they come just before it.
_HYPOTHETICAL = re.compile(
    r"((?<!消)防|预防|防止|避免|以防|防范|万一|如果|要是|假如|怕|担心|容易|预警|识别|急救知识)"
)
# A fraud story ("someone called saying your son had an accident") is not itself
# an emergency; only the general cries for help are set aside for it.
_FRAUD = re.compile(r"打钱|转账|汇款|验证码|冒充|骗|银行卡|打电话说|来电话说")
_CRY = re.compile(r"救命|救救|快来人|来人啊|救护车|打120|叫120")
# A question about preventing something rather than reporting it.
_PREVENTIVE = re.compile(r"预防|防止|怎么防|如何防|防范|以防")
# A sentence that asks about policy, services or devices rather than reporting.
_POLICY_QUESTION = re.compile(
    r"补贴|补助|政策|改造|适老化|申请|办理|报销|保险|长护险|规划|培训|课程|讲座|知识|"
    r"装置|设备|手环|呼叫器|报警器|安装|服务项目|有没有.{0,6}服务|多少钱|收费|怎么预防|"
    r"如何预防|怎么防|如何防|康复|(跌倒|摔倒|意外)险|买.{0,4}险|护理(服务|补贴)|评估|驿站.{0,6}(有|提供)"
)
# Anything that says it is happening now outweighs the policy cues above.
_URGENT = re.compile(
    r"救命|快(来|点|救|叫|帮|打|送|过来)|赶快|赶紧|马上|着急|急死|急啊|好急|刚才|刚刚|"
    r"正在|帮帮|打120|叫120|救护车|怎么办啊|来人|不行了|在地上|起不来|叫不醒|止不住"
)
# A phrase that is part of a place name ("急救中心旁边", "摔跤馆对面") is an address.
_PLACE_NAME = re.compile(
    r"(急救|摔跤|中毒|烧伤|烫伤|骨折|胸痛|卒中|心梗|救护|急诊)"
    r"(中心|站|馆|科|所|队|医院|门诊|大楼|楼|病房|病区)(?![不起稳住了])"
)
_STRIP = re.compile(r"[\s，。！？、,.!?；;：:“”\"'‘’（）()…~～—\-]+")


def normalise(text: str) -> str:
    """Drop whitespace and punctuation so ASR and typed text look alike."""
    return _STRIP.sub("", text or "")


def _is_hypothetical(text: str, start: int) -> bool:
    # Search in place (not a slice) so "消防" before the window is still seen.
    return bool(_HYPOTHETICAL.search(text, max(0, start - 4), start))


def _scan(text: str) -> list[EmergencyMatch]:
    found: list[EmergencyMatch] = []
    for kind, pattern in _COMPILED:
        for hit in pattern.finditer(text):
            found.append(EmergencyMatch(kind, hit.group(0), hit.start(), hit.end()))
    return found


def detect_emergency(text: str) -> EmergencyMatch | None:
    """Find the high-risk phrase in ``text``, if any.

    Args:
        text: what the user said or typed, raw.

    Returns:
        The first real emergency phrase (type, phrase and offsets in the
        normalised text), or ``None`` when there is none or every phrase is
        preventive / hypothetical within a policy question.
    """
    clean = normalise(text)
    if not clean:
        return None
    matches = _scan(clean)
    if not matches:
        return None
    urgent = bool(_URGENT.search(clean))
    policy = bool(_POLICY_QUESTION.search(clean))
    preventive = bool(_PREVENTIVE.search(clean))
    fraud = bool(_FRAUD.search(clean))
    cry = bool(_CRY.search(clean))
    for match in matches:
        if fraud and match.emergency_type == "other" and not cry:
            continue
        if urgent:
            return match
        if any(
            p.start() <= match.start and match.end <= p.end()
            for p in _PLACE_NAME.finditer(clean)
        ):
            continue
        if preventive or _is_hypothetical(clean, match.start):
            continue
        if policy and not clean[match.end : match.end + 1] == "了":
            continue
        return match
    return None
