"""The words we recognise in answers (input lexicon; what we say is in the domain)."""

from __future__ import annotations

YES_WORDS = (
    "对",
    "是的",
    "是",
    "好",
    "可以",
    "行",
    "没错",
    "嗯",
    "要",
    "确认",
    "中",
    "成",
)
YES_PHRASES = ("就用这个", "用这个", "就这个", "这个就行", "就它", "没问题", "就这么")
NO_WORDS = ("不对", "不是", "不要", "不用", "不行", "错了", "不", "没有", "甭", "别")
NO_PHRASES = ("换一个", "换个", "别的号", "另一个", "其他号", "不用这个")
# Intents that may step out of a form when the answer does not fill the slot asked.
INTERRUPTS = (
    "report_emergency",
    "request_human",
    "report_fraud",
    "repeat",
    "elder_mode",
)
HUMAN_WORDS = (
    "人工",
    "工作人员",
    "真人",
    "客服",
    "转人",
    "找人",
    "跟人",
    "接线员",
    "值班",
    "负责人",
    "领导",
    "站长",
    "社工",
    "管事",
    "活人",
)
STOP_WORDS = ("算了", "不订了", "取消", "不要了", "退出")
# Words that turn elder mode off rather than on.
ELDER_MODE_OFF_WORDS = ("关闭", "关掉", "取消", "不用", "不要", "退出", "正常模式")
# Words that name the detail to change when the order is read back ("日期不对").
FIELD_WORDS = {
    "meal_date": ("日期", "哪天", "哪一天", "时间", "日子"),
    "meal_kind": ("哪顿", "哪一顿", "餐次"),
    "meal_count": ("几份", "份数", "数量"),
    "meal_mode": ("方式", "送餐", "堂食", "自取"),
    "meal_diet": ("忌口", "口味", "备注", "要求"),
}
