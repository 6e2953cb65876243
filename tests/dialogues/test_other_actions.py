"""Emergency, hand-off, fraud, alerts, elder mode and repeat actions, without servers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions.alerts import ActionSubscribeAlerts, ActionUnsubscribeAlerts
from actions.context import ActionContext, bind
from actions.elder_mode import ActionElderMode, ActionRepeat, ActionSessionStart
from actions.emergency import ActionReportEmergency
from actions.fraud import ActionFraudCheck, ActionFraudSubmit
from actions.handoff import ActionHandoff, ActionUnderstandingFailed
from assistant.db import (
    AlertSubscription,
    CallbackRequest,
    Emergency,
    FraudReport,
    OutboxMessage,
    session_scope,
)
from assistant.settings import Settings
from tests.utils.records import add_elder

PHONE = {"channel": "phone", "caller_phone": "13900000009", "call_sid": "CA1"}


def _responses(d: CollectingDispatcher) -> list[Any]:
    return [m.get("response") for m in d.messages if m.get("response")]


def _elder(settings: Settings) -> int:
    with session_scope(settings.effective_database_url) as s:
        return add_elder(s).id


async def test_emergency_known_caller(
    make_tracker: Callable[..., Tracker], settings: Settings
) -> None:
    elder_id = _elder(settings)
    d = CollectingDispatcher()
    await ActionReportEmergency().run(
        d, make_tracker("我摔倒了", "report_emergency", metadata=PHONE), {}
    )
    [reply] = d.messages
    assert reply["text"].startswith("已通知工作人员") and "120" in reply["text"]
    with session_scope(settings.effective_database_url) as s:
        e = s.scalars(select(Emergency)).one()
        assert (e.elder_id, e.channel, e.location) == (elder_id, "phone", "幸福里3号")
        recipients = {m.recipient for m in s.scalars(select(OutboxMessage))}
    assert recipients == {"+8613800000001", "+8613700000001"}


async def test_emergency_unknown_web_user(
    make_tracker: Callable[..., Tracker], settings: Settings
) -> None:
    events = await ActionReportEmergency().run(
        CollectingDispatcher(),
        make_tracker("救命", "report_emergency", loop="meal_form"),
        {},
    )
    assert {"event": "active_loop", "name": None, "timestamp": None} in events
    with session_scope(settings.effective_database_url) as s:
        assert s.scalars(select(Emergency)).one().elder_id is None


async def test_emergency_on_the_defaults_claims_nobody_was_notified(
    make_tracker: Callable[..., Tracker],
    settings: Settings,
) -> None:
    """No duty roster, no Twilio (the embedded defaults): no "已通知", 120 instead."""
    defaults = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=settings.database_url,
    )
    d = CollectingDispatcher()
    tracker = make_tracker(
        "救命 我摔倒了", "report_emergency", slots={"elder_mode": True}
    )
    with bind(ActionContext.for_settings(defaults)):
        await ActionReportEmergency().run(d, tracker, {})
    [reply] = d.messages
    text = reply["custom"]["text"]
    assert "已通知" not in text and "没法通知到人" in text and "120" in text
    assert reply["custom"]["large_text"] is True
    with session_scope(settings.effective_database_url) as s:
        assert s.scalars(select(Emergency)).one().unalertable is True
        assert s.scalars(select(OutboxMessage)).all() == []


async def test_emergency_not_written_tells_the_elder_to_call_120_at_once(
    make_tracker: Callable[..., Tracker], settings: Settings, tmp_path: Path
) -> None:
    """The database write fails (an empty database: no tables): the action must
    not claim anyone was notified; it says call 120 now and gives the duty phone."""
    broken = settings.model_copy(
        update={
            "database_url": f"sqlite:///{tmp_path / 'empty.db'}",
            "duty_phone": "010-12345678",
        }
    )
    d = CollectingDispatcher()
    with bind(ActionContext.for_settings(broken)):
        events = await ActionReportEmergency().run(
            d, make_tracker("救命 我摔倒了", "report_emergency"), {}
        )
    [reply] = d.messages
    assert "请马上拨打120" in reply["text"] and "010-12345678" in reply["text"]
    assert "已通知" not in reply["text"]
    assert {"event": "slot", "name": "emergency_id", "value": ""} in [
        {k: e.get(k) for k in ("event", "name", "value")} for e in events
    ]


async def test_handoff_gives_duty_number(
    make_tracker: Callable[..., Tracker], settings: Settings
) -> None:
    settings.duty_phone = "010-12345678"
    d = CollectingDispatcher()
    await ActionHandoff().run(d, make_tracker("找人工", "request_human"), {})
    assert _responses(d) == ["utter_handoff_duty"] and d.messages[0]["duty_phone"]
    with session_scope(settings.effective_database_url) as s:
        assert s.scalars(select(CallbackRequest)).one().channel == "web"


async def test_two_failures_hand_off(make_tracker: Callable[..., Tracker]) -> None:
    d = CollectingDispatcher()
    events = await ActionUnderstandingFailed().run(
        d, make_tracker("啊吧", "nlu_fallback"), {}
    )
    assert _responses(d) == ["utter_not_understood"]
    d2 = CollectingDispatcher()
    tracker = make_tracker(
        "嗯嗯", "nlu_fallback", slots={"fallback_count": events[0]["value"]}
    )
    await ActionUnderstandingFailed().run(d2, tracker, {})
    assert _responses(d2) == ["utter_handoff_callback"]


async def test_fraud_check_and_family_alert(
    make_tracker: Callable[..., Tracker], settings: Settings
) -> None:
    _elder(settings)
    d = CollectingDispatcher()
    events = await ActionFraudCheck().run(
        d,
        make_tracker(
            "有人说是公安局的，让我把钱转到安全账户", "report_fraud", metadata=PHONE
        ),
        {},
    )
    assert _responses(d) == ["utter_fraud_impersonation"]
    slots = {e["name"]: e["value"] for e in events}
    assert slots["fraud_has_family"] is True
    d2 = CollectingDispatcher()
    await ActionFraudSubmit().run(
        d2,
        make_tracker(
            "好", "affirm", metadata=PHONE, slots={**slots, "fraud_alert_family": "yes"}
        ),
        {},
    )
    assert _responses(d2) == ["utter_fraud_family_alerted"]
    with session_scope(settings.effective_database_url) as s:
        assert s.scalars(select(FraudReport)).one().family_alerted
        assert s.scalars(select(OutboxMessage)).one().recipient == "+8613700000001"


async def test_subscribe_then_unsubscribe(
    make_tracker: Callable[..., Tracker], settings: Settings
) -> None:
    await ActionSubscribeAlerts().run(
        CollectingDispatcher(), make_tracker("订阅提醒", metadata=PHONE), {}
    )
    with session_scope(settings.effective_database_url) as s:
        subs = s.scalars(select(AlertSubscription)).all()
        assert {x.channel for x in subs} == {"sms", "call"}
        assert all(x.active and x.consented_at for x in subs)
    d = CollectingDispatcher()
    await ActionUnsubscribeAlerts().run(d, make_tracker("退订", metadata=PHONE), {})
    assert _responses(d) == ["utter_alerts_unsubscribed"]
    with session_scope(settings.effective_database_url) as s:
        assert all(
            not x.active and x.revoked_at for x in s.scalars(select(AlertSubscription))
        )


async def test_elder_mode_and_repeat(make_tracker: Callable[..., Tracker]) -> None:
    start = await ActionSessionStart().run(
        CollectingDispatcher(), make_tracker(metadata=PHONE), {}
    )
    assert {
        "event": "slot",
        "timestamp": None,
        "name": "elder_mode",
        "value": True,
    } in start
    d = CollectingDispatcher()
    events = await ActionElderMode().run(d, make_tracker("说慢一点", "elder_mode"), {})
    assert events[0]["value"] is True and _responses(d) == ["utter_elder_mode_on"]
    history = [
        {"event": "user", "text": "明天订餐"},
        {"event": "bot", "text": "订午餐还是晚餐？", "data": {}},
        {"event": "user", "text": "再说一遍"},
    ]
    d2 = CollectingDispatcher()
    await ActionRepeat().run(d2, make_tracker("再说一遍", "repeat", events=history), {})
    custom = d2.messages[0]["custom"]
    assert custom["text"] == "订午餐还是晚餐？" and custom["voice"]["rate"] < 130


async def test_fraud_form_asks_only_when_there_is_family(
    make_tracker: Callable[..., Tracker],
) -> None:
    from actions.fraud import NO_FAMILY, ValidateFraudForm

    domain = {"forms": {"fraud_form": {"required_slots": ["fraud_alert_family"]}}}
    alone = make_tracker(
        "有人让我转账",
        "report_fraud",
        slots={"fraud_has_family": False, "fraud_alert_family": NO_FAMILY},
        loop="fraud_form",
    )
    d = CollectingDispatcher()
    events = await ValidateFraudForm().run(d, alone, domain)
    assert _slot_values(events)["requested_slot"] is None and d.messages == []
    asked = {"fraud_has_family": True, "requested_slot": "fraud_alert_family"}
    for text, intent, answer in [("要", "affirm", "yes"), ("不用了", "deny", "no")]:
        tracker = make_tracker(text, intent, slots=asked, loop="fraud_form")
        events = await ValidateFraudForm().run(CollectingDispatcher(), tracker, domain)
        # Rasa asks the next slot (none left) as the domain lists them.
        assert _slot_values(events) == {"fraud_alert_family": answer}
    d2 = CollectingDispatcher()
    unclear = make_tracker("我再想想", "inform", slots=asked, loop="fraud_form")
    events = await ValidateFraudForm().run(d2, unclear, domain)
    assert _responses(d2) == ["utter_yes_or_no"]
    assert _slot_values(events) == {"fraud_alert_family": None}


def _slot_values(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
