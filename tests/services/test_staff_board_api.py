"""The emergency board and the audit trail through the staff API, on a real database."""

from __future__ import annotations

from fastapi.testclient import TestClient

from assistant.db import Elder, OutboxMessage, session_scope
from assistant.services import emergencies
from assistant.settings import Settings


def _report(settings: Settings, *, text: str, kind: str, family: bool) -> int:
    with session_scope(settings.effective_database_url) as s:
        elder = Elder(
            name="王秀英",
            phone=None,
            address="幸福里3号楼2单元",
            station="幸福里驿站",
            family_contacts=(
                [{"name": "王强", "phone": "+8613700000001", "relation": "儿子"}]
                if family
                else []
            ),
        )
        s.add(elder)
        s.flush()
        e = emergencies.record_emergency(
            s,
            user_id="u",
            channel="web",
            utterance=text,
            emergency_type=kind,
            elder=elder,
        )
        emergencies.queue_alerts(s, settings, e.id)
        return e.id


def test_board_cards_in_words_oldest_untaken_first(
    staff_api: TestClient, settings: Settings
) -> None:
    first = _report(settings, text="我摔倒了起不来", kind="fall", family=True)
    second = _report(settings, text="胸口好痛", kind="chest_pain", family=False)
    with session_scope(settings.effective_database_url) as s:
        row = s.query(OutboxMessage).filter_by(related_id=first).first()
        assert row is not None
        row.status, row.provider_status = "sent", "delivered"
    staff_api.post(f"/api/staff/emergencies/{second}/ack")
    board = staff_api.get("/api/staff/emergencies/board").json()
    assert [c["id"] for c in board["open"]] == [first, second]
    card = board["open"][0]
    assert card["type_label"] == "摔倒" and card["channel_label"] == "网上聊天"
    assert card["elder"]["name"] == "王秀英"
    assert card["elder"]["station"] == "幸福里驿站"
    assert card["elder"]["family_contacts"][0]["relation"] == "儿子"
    assert card["utterance"] == "我摔倒了起不来"
    assert card["created_at"].endswith("+00:00")
    labels = {a["status_label"] for a in card["alerts"]}
    assert "已送达" in labels and {a["channel_label"] for a in card["alerts"]} >= {
        "短信",
        "电话",
    }
    assert card["unalertable"] is False
    assert [ev["text"] for ev in card["events"]][0].startswith("收到求助")


def test_ack_and_resolve_are_recorded_and_audited(
    staff_api: TestClient, settings: Settings
) -> None:
    eid = _report(settings, text="着火了", kind="fire", family=False)
    acked = staff_api.post(f"/api/staff/emergencies/{eid}/ack").json()
    assert acked["status_label"] == "已确认" and acked["acknowledged_by"] == "tester"
    assert acked["next_escalation_at"] is None
    staff_api.post(f"/api/staff/emergencies/{eid}/ack")  # twice: one audit entry
    done = staff_api.post(
        f"/api/staff/emergencies/{eid}/resolve", json={"note": "已灭火，无人受伤"}
    ).json()
    assert done["status"] == "resolved"
    board = staff_api.get("/api/staff/emergencies/board").json()
    assert board["open"] == [] and board["closed"][0]["id"] == eid
    trail = staff_api.get(
        "/api/staff/audit", params={"target_kind": "emergency", "target_id": eid}
    ).json()
    assert [(a["action_label"], a["actor"]) for a in trail] == [
        ("处理完毕", "tester"),
        ("确认接警", "tester"),
    ]
    assert trail[0]["detail"] == "已灭火，无人受伤"
    assert staff_api.get("/api/staff/emergencies/999").status_code == 404


def test_nobody_to_alert_is_marked_unalertable(
    staff_api: TestClient, settings: Settings
) -> None:
    with session_scope(settings.effective_database_url) as s:
        e = emergencies.record_emergency(
            s, user_id="anon", channel="phone", utterance="9", emergency_type=None
        )
        nobody = settings.model_copy(update={"duty_roster": []})
        assert emergencies.queue_alerts(s, nobody, e.id) == 0
        eid = e.id
    [card] = staff_api.get("/api/staff/emergencies/board").json()["open"]
    assert card["id"] == eid and card["unalertable"] is True
    assert card["keypad"] is True and card["elder"] is None
    assert card["channel_label"] == "电话"
