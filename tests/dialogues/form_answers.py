"""Generated answers to the meal form's questions, the way families and elders give them.

Names come with kinship and courtesy words, phones in every spoken and written
form, addresses as landmarks next to hospitals, police and fire stations. A
seeded ``random.Random`` makes every run ask the same questions.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

SURNAMES = "赵钱孙李周吴郑王冯陈蒋沈韩杨朱秦许何吕施张孔曹严华金魏陶姜谢邹苏潘葛范彭鲁马苗方俞任袁柳唐薛雷贺倪汤"
GIVEN = (
    "秀英 桂兰 淑珍 玉梅 建国 德福 长海 凤琴 志刚 永福 翠花 春兰 素芬 金凤 国庆 福生 "
    "丽华 秀云 淑华 玉兰 德胜 保国 桂芳 凤英 兰英 振华 守义 有才 满仓 桂香"
).split()
NAME_FORMS = (
    "{s}大爷", "{s}奶奶", "我是{s}爷爷", "我是{s}奶奶", "{s}阿姨", "{s}师傅", "{s}大妈",
    "老人叫{s}{g}", "我妈叫{s}{g}", "我爸叫{s}{g}", "我老伴叫{s}{g}", "我老伴儿叫{s}{g}",
    "俺娘叫{s}{g}", "{s}{g}", "我叫{s}{g}", "叫我老{s}就行", "{s}{g}奶奶", "老爷子叫{s}{g}",
)  # fmt: skip
LANDMARKS = (
    "派出所", "公安局", "消防队", "消防站", "急救中心", "120急救站", "人民医院", "中医院",
    "社区医院", "医院急诊楼", "卫生院", "胸痛中心", "交警队", "边防站",
)  # fmt: skip
PLACES = ("后面", "对面", "旁边", "隔壁", "斜对面", "东边", "西边", "南门对过", "后头")
BUILDINGS = (
    "的平房", "的老楼", "那个小区3号楼", "的家属院2单元", "那排平房第三家",
    "的5号楼302", "那条胡同里", "的宿舍楼",
)  # fmt: skip
ADDRESS_FORMS = ("{a}", "我家在{a}", "住{a}", "老人住在{a}", "地址是{a}")
SPOKEN = dict(zip("0123456789", "零幺二三四五六七八九", strict=True))
SPOKEN_PLAIN = dict(zip("0123456789", "零一二三四五六七八九", strict=True))
MEALS = {
    "lunch": ("中午", "中午的", "午饭", "晌午那顿", "中饭", "午餐"),
    "dinner": ("晚上", "晚饭", "后晌的", "晚上那顿", "晚餐"),
}
COUNTS = (
    ("一份", 1), ("两份", 2), ("俩", 2), ("仨", 3), ("一个人的", 1), ("两个人的", 2),
    ("3份", 3), ("就一份", 1), ("2", 2), ("要两份", 2),
)  # fmt: skip
MODES = {
    "delivery": ("送到家", "送家里来", "送上门吧", "给送过来"),
    "dine_in": ("自己过去吃", "去驿站吃", "到驿站吃", "不用送 我过去吃"),
}
DIETS = (
    "少放点盐", "没有忌口", "不吃辣", "软一点", "清真的", "没有", "少油少盐",
    "血糖高 少放糖", "啥都能吃", "不要香菜",
)  # fmt: skip
WEEKDAYS = "一二三四五六日"
YES = ("对", "对的", "没错", "是的", "行")


def _digits(
    digits: str, table: dict[str, str], groups: tuple[int, ...], sep: str
) -> str:
    spoken = "".join(table[d] for d in digits)
    parts, start = [], 0
    for size in groups:
        parts.append(spoken[start : start + size])
        start += size
    return sep.join(parts)


@dataclass
class Answers:
    """One family's or elder's answers to the booking questions."""

    rng: random.Random
    today: dt.date
    asked: list[str] = field(default_factory=list)

    def meal_date(self) -> str:
        offset = self.rng.randint(1, 6)
        day = self.today + dt.timedelta(days=offset)
        relative = {
            1: ("明天", "明儿", "明儿个"),
            2: ("后天", "后儿个"),
            3: ("大后天",),
        }
        forms = [f"{day.month}月{day.day}号", f"{day.day}号那天"]
        forms += list(relative.get(offset, ()))
        weekday = WEEKDAYS[day.weekday()]
        forms += [f"礼拜{weekday}", f"星期{weekday}", f"周{weekday}的"]
        return self.rng.choice(forms)

    def meal_kind(self) -> str:
        return self.rng.choice(MEALS[self.rng.choice(list(MEALS))])

    def meal_count(self) -> str:
        return self.rng.choice(COUNTS)[0]

    def meal_mode(self) -> str:
        return self.rng.choice(MODES[self.rng.choice(list(MODES))])

    def meal_diet(self) -> str:
        return self.rng.choice(DIETS)

    def elder_name(self) -> str:
        form = self.rng.choice(NAME_FORMS)
        return form.format(s=self.rng.choice(SURNAMES), g=self.rng.choice(GIVEN))

    def mobile(self) -> str:
        return (
            "1"
            + self.rng.choice("3589")
            + "".join(self.rng.choice("0123456789") for _ in range(9))
        )

    def elder_phone(self) -> str:
        rng = self.rng
        mobile = self.mobile()
        landline = "8" + "".join(rng.choice("0123456789") for _ in range(7))
        forms = [
            mobile,
            f"{mobile[:3]} {mobile[3:7]} {mobile[7:]}",
            f"{mobile[:3]}-{mobile[3:7]}-{mobile[7:]}",
            f"+86 {mobile}",
            f"我的电话是{mobile}",
            _digits(mobile, SPOKEN, (3, 4, 4), " "),
            _digits(mobile, SPOKEN, (3, 4, 4), "，"),
            _digits(mobile, SPOKEN_PLAIN, (11,), ""),
            "手机号" + _digits(mobile, SPOKEN, (3, 4, 4), " "),
            f"010-{landline}",
            f"010 {landline[:4]} {landline[4:]}",
            _digits("010" + landline, SPOKEN, (3, 4, 4), " "),
            f"座机{landline}",
            landline,
        ]
        return rng.choice(forms)

    def elder_address(self) -> str:
        rng = self.rng
        address = rng.choice(LANDMARKS) + rng.choice(PLACES) + rng.choice(BUILDINGS)
        return rng.choice(ADDRESS_FORMS).format(a=address)

    def meal_confirmed(self) -> str:
        return self.rng.choice(YES)

    def answer(self, slot: str) -> str:
        """The answer to the question for ``slot`` (remembered in ``asked``)."""
        self.asked.append(slot)
        text: str = getattr(self, slot)()
        return text
