"""Emergency alerts, escalation without acknowledgement, staff actions, timeline."""

from __future__ import annotations

import datetime as dt

from assistant.db import Elder, Emergency, session_scope, utcnow
from assistant.services import emergencies, outbox
from assistant.settings import Settings


def _emergency(settings: Settings, *, with_family: bool) -> int:
    with session_scope(settings.effective_database_url) as s:
        elder = None
        if with_family:
            elder = Elder(
                name="张桂兰",
                phone="+8613900000009",
                address="幸福里3号",
                family_contacts=[{"name": "女儿", "phone": "+8613700000001"}],
            )
            s.add(elder)
            s.flush()
        e = emergencies.record_emergency(
            s,
            user_id="u1",
            channel="web",
            utterance="我摔倒了起不来",
            emergency_type="fall",
            elder=elder,
        )
        emergencies.alert_emergency(s, settings, e)
        return e.id


def test_alert_queues_sms_and_call_for_roster_and_family(settings: Settings) -> None:
    eid = _emergency(settings, with_family=True)
    with session_scope(settings.effective_database_url) as s:
        rows = outbox.for_related(s, kind="emergency", related_id=eid)
        e = s.get(Emergency, eid)
        assert e is not None and e.location == "幸福里3号"
        assert [ev.kind for ev in e.events] == ["reported", "notified"]
    pairs = {(r.channel, r.recipient) for r in rows}
    assert pairs == {
        ("sms", "+8613800000001"),
        ("call", "+8613800000001"),
        ("sms", "+8613700000001"),
        ("call", "+8613700000001"),
    }


def test_escalation_notifies_next_and_repeats_calls(settings: Settings) -> None:
    eid = _emergency(settings, with_family=False)
    later = utcnow() + dt.timedelta(minutes=settings.escalation_minutes + 0.1)
    with session_scope(settings.effective_database_url) as s:
        assert emergencies.escalate_due(s, settings) == []
        assert emergencies.escalate_due(s, settings, now=later) == [eid]
        rows = outbox.for_related(s, kind="emergency", related_id=eid)
        e = s.get(Emergency, eid)
        assert e is not None and e.escalation_level == 1
        assert e.events[-1].kind == "escalated"
    new = [(r.channel, r.recipient) for r in rows[2:]]
    assert ("sms", "+8613800000002") in new and ("call", "+8613800000002") in new
    assert ("call", "+8613800000001") in new  # the first person is called again


def test_acknowledged_emergency_does_not_escalate(settings: Settings) -> None:
    eid = _emergency(settings, with_family=False)
    later = utcnow() + dt.timedelta(minutes=10)
    with session_scope(settings.effective_database_url) as s:
        e = s.get(Emergency, eid)
        assert e is not None
        emergencies.acknowledge(s, e, staff="tester")
        assert emergencies.escalate_due(s, settings, now=later) == []
        emergencies.resolve(s, e, staff="tester", note="已送医")
        kinds = [ev.kind for ev in e.events]
    assert kinds[-2:] == ["acknowledged", "resolved"]
