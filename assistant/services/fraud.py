"""Fraud check: recognise common scams, record the report, alert family on consent.

Database functions take keyword arguments only; the caller owns the transaction.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from assistant.db import Elder, FraudReport
from assistant.services.outbox import enqueue

# pattern -> words that point to it; first match wins, order is most specific first
PATTERNS: dict[str, tuple[str, ...]] = {
    "verification_code": ("验证码", "校验码", "动态码"),
    "impersonation": (
        "公安",
        "警察",
        "检察",
        "法院",
        "公检法",
        "医保",
        "社保",
        "通缉",
        "洗钱",
        "安全账户",
        "冻结",
    ),
    "prize_fee": ("中奖", "手续费", "领奖", "奖金", "保证金"),
    "high_return": ("保健品", "理财", "高回报", "高收益", "投资", "返利", "分红"),
    "house_pension": ("以房养老", "抵押房", "房产证", "房本"),
    "prepaid_care": ("养老项目", "预付", "床位费", "会员卡", "养老公寓"),
    "transfer": ("转账", "汇款", "打钱", "银行卡", "扫码"),
}


def detect_pattern(text: str) -> str | None:
    """The scam pattern a sentence points to, or None."""
    for pattern, words in PATTERNS.items():
        if any(word in text for word in words):
            return pattern
    return None


def record_report(
    *,
    session: Session,
    user_id: str,
    channel: str,
    elder_id: int | None,
    utterance: str,
) -> FraudReport:
    """Save the suspected fraud for staff (the caller commits)."""
    report = FraudReport(
        user_id=user_id,
        channel=channel,
        elder_id=elder_id,
        pattern=detect_pattern(utterance),
        utterance=utterance[:2000],
    )
    session.add(report)
    session.flush()
    return report


def alert_family(*, session: Session, report_id: int) -> int | None:
    """SMS the elder's family contacts about a report; how many were queued.

    Returns:
        The number of messages queued, or None when the report does not exist.
    """
    report = session.get(FraudReport, report_id)
    if report is None:
        return None
    elder = session.get(Elder, report.elder_id) if report.elder_id else None
    phones = [c.get("phone") for c in (elder.family_contacts if elder else []) or []]
    text = (
        f"【防诈提醒】{elder.name if elder else '您的家人'}刚才向助老助手反映"
        "可能遇到了诈骗，请尽快联系老人核实，提醒不要转账、不要说验证码。"
    )
    count = 0
    for phone in dict.fromkeys(p for p in phones if p):
        enqueue(
            session,
            channel="sms",
            recipient=phone,
            body=text,
            related_kind="fraud",
            related_id=report.id,
        )
        count += 1
    report.family_alerted = count > 0
    session.flush()
    return count
