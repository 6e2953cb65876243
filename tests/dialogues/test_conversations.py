"""Multi-turn conversations through the real Rasa server and app (issue 4, item 9).

One stack for the module, with Twilio pointed at a local fake API server and a
short escalation time, so notifications and escalations are observable.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import closing
from typing import Any

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from assistant.db import (
    AlertSubscription,
    CallbackRequest,
    Elder,
    Emergency,
    FraudReport,
    MealOrder,
    OutboxMessage,
)
from bench.sim.stack import Stack
from bench.sim.twilio_api import TwilioApi
from tests.utils.waiting import wait_until

pytestmark = pytest.mark.integration

ROSTER = [
    {"name": "值班甲", "phone": "+8613800000001"},
    {"name": "值班乙", "phone": "+8613800000002"},
]


STACK_ENV = {
    "ASSISTANT_DUTY_ROSTER": json.dumps(ROSTER),
    "ASSISTANT_DUTY_PHONE": "010-88886666",
    "ASSISTANT_ESCALATION_MINUTES": "0.05",
    "ASSISTANT_ESCALATION_POLL_S": "0.5",
    "ASSISTANT_OUTBOX_POLL_S": "0.2",
    "ASSISTANT_MEAL_CUTOFF_MINUTES": "1440",
}


@pytest.fixture(scope="module")
def dstack(alert_stack: Stack) -> Stack:
    return alert_stack


@pytest.fixture()
def db(dstack: Stack) -> Iterator[Session]:
    engine = create_engine(dstack.db_url)
    with Session(engine) as session:
        yield session
    engine.dispose()


def say(stack: Stack, user: str, text: str) -> str:
    """One turn; all reply texts joined."""
    return " ".join(m.get("text") or "" for m in stack.chat(user, text))


def new_elder(stack: Stack, **fields: Any) -> dict[str, Any]:
    with closing(stack.staff_client()) as client:
        response = client.post("/api/staff/elders", json={"name": "张桂兰", **fields})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def bound_user(stack: Stack, user: str, **fields: Any) -> dict[str, Any]:
    """A web user bound to a new elder through the binding code, inside a booking."""
    elder = new_elder(stack, **fields)
    assert "绑定码" in say(stack, user, "后天晚上到驿站吃一份，没有忌口")
    assert "对吗" in say(stack, user, elder["binding_code"])
    return elder


def test_booking_in_one_sentence(dstack: Stack, db: Session) -> None:
    elder = new_elder(dstack, phone="13911110001")
    reply = say(dstack, "one-sentence", "后天中午送两份少盐的到家")
    assert "绑定码" in reply  # unknown web user: who is the elder?
    reply = say(dstack, "one-sentence", elder["binding_code"])
    assert "午餐2份" in reply and "送餐到家" in reply and "少盐" in reply
    assert db.scalars(select(MealOrder)).first() is None  # nothing saved before the yes
    assert "订好了" in say(dstack, "one-sentence", "对")
    order = db.scalars(
        select(MealOrder).where(MealOrder.user_id == "one-sentence")
    ).one()
    assert (order.elder_id, order.count, order.meal_type, order.service_mode) == (
        elder["id"],
        2,
        "lunch",
        "delivery",
    )


def test_booking_step_by_step_with_correction(dstack: Stack, db: Session) -> None:
    user = "step-by-step"
    assert "哪一天" in say(dstack, user, "我要订餐")
    assert "午餐还是晚餐" in say(dstack, user, "后天")
    assert "几份" in say(dstack, user, "晚饭")
    assert "送餐到家" in say(dstack, user, "一份")
    assert "忌口" in say(dstack, user, "到驿站吃")
    assert "绑定码" in say(dstack, user, "没有")
    assert "电话号码" in say(dstack, user, "我叫王秀英")
    assert "晚餐1份" in say(dstack, user, "13912345678")
    assert "改哪一项" in say(dstack, user, "不对")
    assert "晚餐3份" in say(dstack, user, "改成三份")
    assert "订好了" in say(dstack, user, "对")
    order = db.scalars(select(MealOrder).where(MealOrder.user_id == user)).one()
    assert order.count == 3
    elder = db.get(Elder, order.elder_id)
    assert elder is not None and (elder.name, elder.verified) == ("王秀英", False)


def test_cutoff_rejection_offers_alternative(dstack: Stack, db: Session) -> None:
    user = "cutoff"
    bound_user(dstack, user)
    say(dstack, user, "对")
    reply = say(dstack, user, "今天晚饭订一份")
    assert "截止" in reply and "要订这一餐吗" in reply
    reply = say(dstack, user, "好的")
    for _ in range(4):  # remaining questions, whatever the alternative was
        if "对吗" in reply:
            break
        reply = say(dstack, user, "到驿站吃，没有忌口")
    assert "对吗" in reply
    assert "订好了" in say(dstack, user, "对")


def test_check_and_cancel(dstack: Stack, db: Session) -> None:
    user = "cancel"
    bound_user(dstack, user)
    assert "订好了" in say(dstack, user, "对")
    assert "晚餐1份" in say(dstack, user, "我订了哪些餐")
    assert "要取消吗" in say(dstack, user, "取消订餐")
    assert "已取消" in say(dstack, user, "对")
    order = db.scalars(select(MealOrder).where(MealOrder.user_id == user)).one()
    assert order.status == "cancelled" and order.cancelled_at is not None


def _emergency(db: Session, user: str) -> Emergency:
    db.expire_all()
    return db.scalars(select(Emergency).where(Emergency.user_id == user)).one()


def test_emergency_known_caller_notifies_and_escalates(
    dstack: Stack, db: Session, fake: TwilioApi
) -> None:
    user = "emergency-known"
    elder = bound_user(
        dstack,
        user,
        address="幸福里3号",
        family_contacts=[{"name": "女儿", "phone": "13700000001"}],
    )
    say(dstack, user, "不要了")  # leave the booking
    reply = say(dstack, user, "我摔倒了起不来")
    assert "120" in reply and "值班" in reply
    emergency = _emergency(db, user)
    assert (emergency.elder_id, emergency.location) == (elder["id"], "幸福里3号")
    to = lambda: {r["form"]["To"] for r in fake.requests}  # noqa: E731
    wait_until(lambda: {"+8613800000001", "+8613700000001"} <= to(), timeout=5)
    wait_until(
        lambda: "+8613800000002" in to(), timeout=15
    )  # escalated: next on roster
    emergency = _emergency(db, user)
    assert "escalated" in [e.kind for e in emergency.events]
    with closing(dstack.staff_client()) as client:
        acked = client.post(f"/api/staff/emergencies/{emergency.id}/ack").json()
        assert acked["status"] == "acknowledged"
        done = client.post(
            f"/api/staff/emergencies/{emergency.id}/resolve", json={"note": "已上门"}
        ).json()
    assert [e["kind"] for e in done["events"]][-2:] == ["acknowledged", "resolved"]


def test_emergency_unknown_caller_then_handoff(dstack: Stack, db: Session) -> None:
    user = "emergency-unknown"
    assert "120" in say(dstack, user, "救命啊")
    assert _emergency(db, user).elder_id is None
    assert (
        db.scalars(
            select(OutboxMessage).where(
                OutboxMessage.related_id == _emergency(db, user).id
            )
        ).first()
        is not None
    )
    assert "010-88886666" in say(dstack, user, "好的")
    assert db.scalars(
        select(CallbackRequest).where(CallbackRequest.user_id == user)
    ).one()


def test_handoff_on_request(dstack: Stack, db: Session) -> None:
    assert "010-88886666" in say(dstack, "handoff", "我要找工作人员")
    assert (
        db.scalars(select(CallbackRequest).where(CallbackRequest.user_id == "handoff"))
        .one()
        .status
        == "open"
    )


def test_fraud_check_alerts_family(dstack: Stack, db: Session, fake: TwilioApi) -> None:
    user = "fraud"
    bound_user(dstack, user, family_contacts=[{"name": "儿子", "phone": "13700000009"}])
    say(dstack, user, "不要了")
    reply = say(dstack, user, "有人打电话说是公安局的，让我把钱转到安全账户")
    assert "不要" in reply or "别" in reply
    assert "家人" in reply
    assert "告诉您的家人" in say(dstack, user, "要")
    report = db.scalars(select(FraudReport).where(FraudReport.user_id == user)).one()
    assert report.family_alerted and report.pattern == "impersonation"
    wait_until(
        lambda: any(r["form"]["To"] == "+8613700000009" for r in fake.requests), 5
    )


def test_subscribe_and_unsubscribe(dstack: Stack, db: Session) -> None:
    user = "alerts"
    assert "开通" in say(dstack, user, "我想订阅防诈骗提醒")
    sub = db.scalars(
        select(AlertSubscription).where(AlertSubscription.address == user)
    ).one()
    assert sub.active and sub.consented_at
    assert "退订" in say(dstack, user, "退订防诈骗提醒")
    db.expire_all()
    sub = db.scalars(
        select(AlertSubscription).where(AlertSubscription.address == user)
    ).one()
    assert not sub.active and sub.revoked_at


def test_elder_mode_and_repeat(dstack: Stack) -> None:
    user = "elder-mode"
    say(dstack, user, "说话慢一点")
    messages = dstack.chat(user, "我要订餐")
    assert messages[0]["custom"]["large_text"] is True
    assert messages[0]["custom"]["voice"]["rate"] <= 130
    first = messages[0]["text"]
    again = dstack.chat(user, "再说一遍")
    assert again[0]["text"] == first and again[0]["custom"]["voice"]["rate"] < 130
