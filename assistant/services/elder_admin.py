"""Elder profiles as staff keep them: search, alert consent, binding sentence, deletion.

Deleting a profile removes the person's data and links (chat bindings, codes,
alert subscriptions); the station's records of what happened (orders,
emergencies, call-backs, calls, fraud reports) stay, no longer linked to a name.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from assistant.db import (
    AlertSubscription,
    CallbackRequest,
    Elder,
    Emergency,
    FraudReport,
    MealOrder,
    PhoneCall,
    UserBinding,
    VerificationCode,
)
from assistant.services import alerts
from assistant.services.elders import normalize_phone

CONSENT_CHANNELS = ("sms", "call")
# Records that stay after a deletion, unlinked: model and how staff call them.
_KEPT = (
    (MealOrder, "条订餐记录"),
    (Emergency, "条紧急求助记录"),
    (CallbackRequest, "条回电记录"),
    (PhoneCall, "次通话记录"),
    (FraudReport, "条防诈报告"),
)


def search(session: Session, query: str, *, limit: int = 100) -> list[Elder]:
    """Profiles whose name or phone contains the query (digits match any spelling)."""
    text = query.strip()
    stmt = select(Elder).order_by(Elder.id).limit(limit)
    if text:
        digits = "".join(ch for ch in text if ch.isdigit())
        terms = [Elder.name.contains(text), Elder.address.contains(text)]
        if len(digits) >= 3:
            terms += [
                Elder.phone.contains(digits),
                Elder.claimed_phone.contains(digits),
            ]
        stmt = stmt.where(or_(*terms))
    return list(session.scalars(stmt))


def consent_channels(session: Session, elder: Elder) -> list[str]:
    """Channels on which the elder's phone receives anti-fraud reminders."""
    if not elder.phone:
        return []
    rows = session.scalars(
        select(AlertSubscription.channel).where(
            AlertSubscription.address == elder.phone,
            AlertSubscription.topic == "anti_fraud",
            AlertSubscription.active.is_(True),
        )
    )
    return sorted(set(rows))


def set_consent(session: Session, elder: Elder, channels: list[str]) -> None:
    """Record the consent the elder gave staff: subscribe or revoke per channel.

    Raises:
        ValueError: consent without a phone number to send to.
    """
    wanted = set(channels) & set(CONSENT_CHANNELS)
    if wanted and not elder.phone:
        raise ValueError("no phone")
    if not elder.phone:
        return
    for channel in CONSENT_CHANNELS:
        if channel in wanted:
            alerts.subscribe(
                session, channel=channel, address=elder.phone, elder_id=elder.id
            )
    revoke = {c: elder.phone for c in CONSENT_CHANNELS if c not in wanted}
    alerts.unsubscribe(session, addresses=revoke)


def binding_sentence(code: str) -> str:
    """What staff read out to the family when handing over a binding code."""
    return (
        "请您在手机上打开长者服务助手，点右上角的“绑定老人”，"
        f"输入绑定码：{code}。绑好以后，您帮老人订餐、问事情都会记在老人名下。"
        "这个码只给家里人，不要告诉别人。"
    )


def deletion_summary(session: Session, elder: Elder) -> dict[str, Any]:
    """What deleting this profile removes and what it keeps, in words."""
    bindings = (
        session.scalar(
            select(func.count())
            .select_from(UserBinding)
            .where(UserBinding.elder_id == elder.id)
        )
        or 0
    )
    subs = (
        session.scalar(
            select(func.count())
            .select_from(AlertSubscription)
            .where(AlertSubscription.address == (elder.phone or "-"))
        )
        or 0
    )
    removes = ["档案本身：姓名、电话、地址、家属联系人、饮食要求"]
    if bindings:
        removes.append(f"{bindings} 个家属网页绑定（家属要重新绑定）")
    if subs:
        removes.append(f"老人手机的 {subs} 个防诈提醒订阅")
    keeps = []
    for model, noun in _KEPT:
        count = (
            session.scalar(
                select(func.count())
                .select_from(model)
                .where(model.elder_id == elder.id)  # type: ignore[attr-defined]
            )
            or 0
        )
        if count:
            keeps.append(f"{count} {noun}")
    return {"removes": removes, "keeps": keeps}


def delete_profile(session: Session, elder: Elder) -> None:
    """Remove the profile and its links; unlink the history records."""
    for model, _noun in _KEPT:
        session.execute(
            update(model).where(model.elder_id == elder.id).values(elder_id=None)  # type: ignore[attr-defined]
        )
    session.execute(delete(UserBinding).where(UserBinding.elder_id == elder.id))
    session.execute(
        delete(VerificationCode).where(VerificationCode.elder_id == elder.id)
    )
    # The elder's own phone subscriptions go; a family member's chat
    # subscription is theirs to keep, only unlinked.
    session.execute(
        delete(AlertSubscription).where(
            AlertSubscription.address == (elder.phone or "-")
        )
    )
    session.execute(
        update(AlertSubscription)
        .where(AlertSubscription.elder_id == elder.id)
        .values(elder_id=None)
    )
    session.delete(elder)
    session.flush()


def normalised_contacts(contacts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Family contacts with phones in the stored form."""
    return [
        {**c, "phone": normalize_phone(c.get("phone")) or c.get("phone", "")}
        for c in contacts
    ]
