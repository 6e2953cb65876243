"""The emergency service: row first, then alerts; honest replies; repeats join;
the sweeper; escalation; staff actions and the staff JSON."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import select

from assistant.db import Elder, Emergency, OutboxMessage, session_scope, utcnow
from assistant.services import emergencies, outbox
from assistant.services.emergencies import (
    EmergencyReport,
    emergency_reply,
    report_emergency,
)
from assistant.settings import Settings


def _elder(settings: Settings) -> int:
    with session_scope(settings.effective_database_url) as s:
        elder = Elder(
            name="张桂兰",
            phone="+8613900000009",
            address="幸福里3号",
            family_contacts=[{"name": "女儿", "phone": "+8613700000001"}],
        )
        s.add(elder)
        s.flush()
        return elder.id


def _report(settings: Settings, user: str = "u1", **kw: object) -> EmergencyReport:
    return report_emergency(
        settings,
        user_id=user,
        channel="web",
        text="我摔倒了起不来",
        emergency_type="fall",
        **kw,  # type: ignore[arg-type]
    )


def _outbox(settings: Settings, emergency_id: int | None) -> list[OutboxMessage]:
    assert emergency_id is not None
    with session_scope(settings.effective_database_url) as s:
        return outbox.for_related(s, kind="emergency", related_id=emergency_id)


def _defaults(settings: Settings, **update: object) -> Settings:
    """The embedded defaults: no duty roster, no Twilio."""
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=settings.database_url,
        **update,  # type: ignore[arg-type]
    )


def test_report_queues_sms_and_call_for_roster_and_family_in_chinese(
    settings: Settings,
) -> None:
    elder_id = _elder(settings)
    report = _report(settings, elder_id=elder_id)
    assert report.emergency_id and report.alerted == 2 and not report.joined
    rows = _outbox(settings, report.emergency_id)
    assert {(r.channel, r.recipient) for r in rows} == {
        ("sms", "+8613800000001"),
        ("call", "+8613800000001"),
        ("sms", "+8613700000001"),
        ("call", "+8613700000001"),
    }
    assert all("（摔倒）" in r.body and "fall" not in r.body for r in rows)
    assert all(r.priority == outbox.EMERGENCY_PRIORITY for r in rows)
    with session_scope(settings.effective_database_url) as s:
        e = s.get(Emergency, report.emergency_id)
        assert e is not None and e.location == "幸福里3号"
        assert e.alerts_queued_at is not None and e.next_escalation_at is not None
        assert [ev.kind for ev in e.events] == ["reported", "notified"]
    assert emergency_reply(report, settings).startswith("已通知工作人员")


def test_every_type_has_a_chinese_name() -> None:
    from nlu.emergency_guard import EMERGENCY_TYPES

    for kind in EMERGENCY_TYPES:
        label = emergencies.type_label(kind)
        assert label and label.isascii() is False, kind
    assert emergencies.type_label("fire_gas") == "火灾/燃气"
    assert emergencies.type_label("no_such_key") == "紧急情况"
    assert emergencies.type_label(None) == "紧急情况"


def test_on_the_defaults_nobody_is_alerted_and_the_reply_says_so(
    settings: Settings,
) -> None:
    plain = _defaults(settings)
    report = _report(plain)
    assert report.emergency_id is not None and report.alerted == 0
    assert _outbox(plain, report.emergency_id) == []
    reply = emergency_reply(report, plain)
    assert "已通知" not in reply and "没法通知到人" in reply
    assert "拨打120" in reply and "值班电话" not in reply
    with_duty = _defaults(settings, duty_phone="010-12345678")
    assert "值班电话010-12345678" in emergency_reply(report, with_duty)
    with session_scope(settings.effective_database_url) as s:
        e = s.get(Emergency, report.emergency_id)
        assert e is not None
        public = emergencies.emergency_public(e)
    assert public["unalertable"] is True and public["deliveries"] == []
    assert [ev["kind"] for ev in public["events"]] == ["reported", "unalertable"]  # type: ignore[index, union-attr]


def test_a_roster_without_twilio_alerts_nobody(settings: Settings) -> None:
    no_twilio = settings.model_copy(update={"twilio_account_sid": ""})
    report = _report(no_twilio)
    assert report.alerted == 0
    assert "已通知" not in emergency_reply(report, no_twilio)


def test_row_not_written_says_call_120_and_gives_the_duty_phone(
    settings: Settings, tmp_path: Path
) -> None:
    # an empty database file: no tables, so the write fails
    broken = settings.model_copy(
        update={
            "database_url": f"sqlite:///{tmp_path / 'empty.db'}",
            "duty_phone": "010-12345678",
        }
    )
    report = _report(broken)
    assert report == EmergencyReport(None, 0, False)
    reply = emergency_reply(report, broken)
    assert "请马上拨打120" in reply and "010-12345678" in reply
    assert "已通知" not in reply


def test_a_repeat_from_the_same_person_joins_the_open_emergency(
    settings: Settings,
) -> None:
    first = _report(settings)
    again = report_emergency(
        settings, user_id="u1", channel="web", text="快来人啊 还是起不来"
    )
    assert again.joined and again.emergency_id == first.emergency_id
    assert again.alerted == first.alerted == 1
    assert len(_outbox(settings, first.emergency_id)) == 2  # nobody paged twice
    assert "已通知" in emergency_reply(again, settings)
    with session_scope(settings.effective_database_url) as s:
        e = s.get(Emergency, first.emergency_id)
        assert e is not None
        assert [ev.kind for ev in e.events] == ["reported", "notified", "repeated"]
        assert "还是起不来" in (e.events[-1].detail or "")
    other = _report(settings, user="u2")
    assert not other.joined and other.emergency_id != first.emergency_id


def test_the_same_elder_on_another_channel_joins_too(settings: Settings) -> None:
    elder_id = _elder(settings)
    first = _report(settings, elder_id=elder_id)
    by_phone = report_emergency(
        settings,
        user_id="CA123",
        channel="phone",
        text="救命",
        caller_phone="+8613900000009",
    )
    assert by_phone.joined and by_phone.emergency_id == first.emergency_id


def test_after_the_join_window_a_report_is_new(settings: Settings) -> None:
    no_window = settings.model_copy(update={"emergency_join_minutes": 0.0})
    first = _report(no_window)
    second = _report(no_window)
    assert not second.joined and second.emergency_id != first.emergency_id


def test_a_resolved_emergency_is_not_joined(settings: Settings) -> None:
    first = _report(settings)
    with session_scope(settings.effective_database_url) as s:
        e = s.get(Emergency, first.emergency_id)
        assert e is not None
        emergencies.resolve(s, e, staff="tester", note="已处理")
    second = _report(settings)
    assert not second.joined and second.emergency_id != first.emergency_id


def test_sweeper_queues_an_emergency_left_without_alerts_once(
    settings: Settings,
) -> None:
    with session_scope(settings.effective_database_url) as s:
        # what a crash between the two transactions leaves behind
        emergency_id = emergencies.record_emergency(
            s, user_id="u1", channel="web", utterance="救命", emergency_type="other"
        ).id
    with session_scope(settings.effective_database_url) as s:
        assert emergencies.sweep_unalerted(s, settings) == [emergency_id]
    with session_scope(settings.effective_database_url) as s:
        assert emergencies.sweep_unalerted(s, settings) == []
    rows = _outbox(settings, emergency_id)
    assert {(r.channel, r.recipient) for r in rows} == {
        ("sms", "+8613800000001"),
        ("call", "+8613800000001"),
    }


def test_sweeper_restarts_a_stalled_escalation_clock(settings: Settings) -> None:
    report = _report(settings)
    with session_scope(settings.effective_database_url) as s:
        e = s.get(Emergency, report.emergency_id)
        assert e is not None
        e.next_escalation_at = None
    with session_scope(settings.effective_database_url) as s:
        assert emergencies.sweep_unalerted(s, settings) == [report.emergency_id]
        e = s.get(Emergency, report.emergency_id)
        assert e is not None and e.next_escalation_at is not None


def test_alerts_are_queued_once_however_often_asked(settings: Settings) -> None:
    report = _report(settings)
    assert report.emergency_id is not None
    with session_scope(settings.effective_database_url) as s:
        assert emergencies.queue_alerts(s, settings, report.emergency_id) == 0
    assert len(_outbox(settings, report.emergency_id)) == 2


def test_escalation_notifies_next_and_repeats_calls(settings: Settings) -> None:
    report = _report(settings)
    eid = report.emergency_id
    later = utcnow() + dt.timedelta(minutes=settings.escalation_minutes + 0.1)
    with session_scope(settings.effective_database_url) as s:
        assert emergencies.escalate_due(s, settings) == []
        assert emergencies.escalate_due(s, settings, now=later) == [eid]
        assert emergencies.escalate_due(s, settings, now=later) == []  # claimed
        e = s.get(Emergency, eid)
        assert e is not None and e.escalation_level == 1
        assert e.events[-1].kind == "escalated"
    rows = _outbox(settings, eid)
    new = [(r.channel, r.recipient) for r in rows[2:]]
    assert ("sms", "+8613800000002") in new and ("call", "+8613800000002") in new
    assert ("call", "+8613800000001") in new  # the first person is called again


def test_acknowledge_stops_escalation_and_pending_alerts(settings: Settings) -> None:
    report = _report(settings)
    eid = report.emergency_id
    later = utcnow() + dt.timedelta(minutes=10)
    with session_scope(settings.effective_database_url) as s:
        e = s.get(Emergency, eid)
        assert e is not None
        emergencies.acknowledge(s, e, staff="tester")
        assert emergencies.escalate_due(s, settings, now=later) == []
        emergencies.resolve(s, e, staff="tester", note="已送医")
        kinds = [ev.kind for ev in e.events]
    assert kinds[-2:] == ["acknowledged", "resolved"]
    assert {r.status for r in _outbox(settings, eid)} == {"cancelled"}


def test_staff_json_lists_the_deliveries(settings: Settings) -> None:
    report = _report(settings)
    with session_scope(settings.effective_database_url) as s:
        e = s.scalars(select(Emergency)).one()
        public = emergencies.emergency_public(e)
    assert public["id"] == report.emergency_id and public["unalertable"] is False
    assert public["type_label"] == "摔倒" and public["alarm"] is None
    deliveries = public["deliveries"]
    assert isinstance(deliveries, list) and len(deliveries) == 2
    assert {d["status"] for d in deliveries} == {"pending"}
