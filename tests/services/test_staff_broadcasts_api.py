"""Broadcast preview (text, voice, recipients, quiet hours), scheduling and
per-channel delivery counts through the staff API."""

from __future__ import annotations

import datetime as dt
import io
import wave

from fastapi.testclient import TestClient

from assistant.db import session_scope
from assistant.services import alerts, broadcasts, meals
from assistant.settings import Settings

BODY = "有人打电话说是医保局要您转账，一定是骗子。不转账，不说验证码。"


def _subscribers(settings: Settings) -> None:
    with session_scope(settings.effective_database_url) as s:
        alerts.subscribe(s, channel="sms", address="+8613900000031", elder_id=None)
        alerts.subscribe(s, channel="sms", address="+8613900000032", elder_id=None)
        alerts.subscribe(s, channel="chat", address="fam-1", elder_id=None)
        alerts.subscribe(s, channel="sms", address="+8613900000033", elder_id=None)
        alerts.unsubscribe(s, addresses={"sms": "+8613900000033"})


def _station(settings: Settings, hour: int) -> str:
    day = meals.local_now(settings).date() + dt.timedelta(days=1)
    tz = meals.station_tz(settings)
    return dt.datetime.combine(day, dt.time(hour, 0), tzinfo=tz).isoformat()


def test_preview_counts_consenting_recipients_and_applies_quiet_hours(
    staff_api: TestClient, settings: Settings
) -> None:
    _subscribers(settings)
    evening = staff_api.post(
        "/api/staff/broadcasts/preview",
        json={
            "body": BODY,
            "channels": ["sms", "chat"],
            "scheduled_at": _station(settings, 22),
        },
    ).json()
    assert {r["label"]: r["count"] for r in evening["recipients"]} == {
        "短信": 2,
        "聊天": 1,
    }
    assert evening["recipients_total"] == 3
    assert evening["quiet_hours"] == "21:00-08:00" and evening["shifted"] is True
    assert evening["send_at_text"].endswith("08:00")
    assert evening["text"].startswith(BODY) and "取消提醒" in evening["text"]
    morning = staff_api.post(
        "/api/staff/broadcasts/preview",
        json={
            "body": BODY,
            "channels": ["call"],
            "scheduled_at": _station(settings, 10),
        },
    ).json()
    assert morning["shifted"] is False and morning["send_at_text"].endswith("10:00")
    assert morning["recipients_total"] == 0


def test_spoken_preview_is_real_audio(staff_api: TestClient) -> None:
    response = staff_api.post("/api/staff/broadcasts/speech", json={"body": "不转账。"})
    assert (
        response.status_code == 200 and response.headers["content-type"] == "audio/wav"
    )
    with wave.open(io.BytesIO(response.content)) as wav:
        assert wav.getnframes() > wav.getframerate() // 2  # over half a second


def test_schedule_then_delivery_counts_per_channel(
    staff_api: TestClient, settings: Settings
) -> None:
    _subscribers(settings)
    created = staff_api.post(
        "/api/staff/broadcasts",
        json={
            "body": BODY,
            "channels": ["sms", "chat"],
            "scheduled_at": _station(settings, 10),
        },
    ).json()
    assert created["status_label"] == "等待发送" and created["by_channel"] == []
    with session_scope(settings.effective_database_url) as s:
        later = dt.datetime.fromisoformat(created["scheduled_at"]) + dt.timedelta(
            minutes=1
        )
        assert broadcasts.dispatch_due(s, now=later) == [created["id"]]
    [listed] = staff_api.get("/api/staff/broadcasts").json()
    counts = {c["label"]: c["total"] for c in listed["by_channel"]}
    assert counts == {"短信": 2, "聊天": 1} and listed["status_label"] == "已发出"
    [entry] = staff_api.get("/api/staff/audit").json()
    assert entry["action_label"] == "安排提醒" and "发给 3 人" in entry["detail"]
