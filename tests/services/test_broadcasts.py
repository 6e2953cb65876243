"""Anti-fraud broadcasts: consent honoured, fan-out into the outbox, chat hand-over, staff API."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from assistant.app import create_app
from assistant.db import OutboxMessage, session_scope, utcnow
from assistant.notify.twilio_sender import TwilioSender
from assistant.services import alerts, broadcasts
from assistant.settings import Settings
from assistant.worker.outbox import OutboxWorker
from bench.sim.twilio_api import TwilioApi
from tests.utils.staff import same_origin_client, staff_users


def subscribe_three(db_url: str) -> None:
    with session_scope(db_url) as session:
        alerts.subscribe(
            session, channel="sms", address="+8613900000001", elder_id=None
        )
        alerts.subscribe(
            session, channel="call", address="+8613900000002", elder_id=None
        )
        alerts.subscribe(session, channel="chat", address="fam-1", elder_id=None)
        alerts.subscribe(
            session, channel="sms", address="+8613900000003", elder_id=None
        )
        alerts.unsubscribe(session, addresses={"sms": "+8613900000003"})


def outbox_rows(db_url: str) -> list[OutboxMessage]:
    with session_scope(db_url) as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_due_broadcast_reaches_only_active_subscribers_on_its_channels(
    db_url: str,
) -> None:
    subscribe_three(db_url)
    with session_scope(db_url) as session:
        broadcast = broadcasts.schedule(
            session,
            body="冒充医保局要转账的都是骗子。",
            channels=["sms", "chat"],
            created_by="t",
        )
        later = broadcasts.schedule(
            session,
            body="明天再提醒。",
            channels=["sms"],
            created_by="t",
            scheduled_at=utcnow() + dt.timedelta(hours=1),
        )
        assert broadcasts.dispatch_due(session) == [broadcast.id]
        assert later.status == "scheduled"
        assert broadcasts.dispatch_due(session) == []  # never sent twice
    rows = outbox_rows(db_url)
    assert {(r.channel, r.recipient) for r in rows} == {
        ("sms", "+8613900000001"),
        ("chat", "fam-1"),
    }
    assert all(r.body.startswith("冒充医保局") and "取消提醒" in r.body for r in rows)


@pytest.mark.parametrize(
    ("body", "channels"),
    [("", ["sms"]), ("x" * 301, ["sms"]), ("提醒", []), ("提醒", ["fax"])],
)
def test_bad_broadcasts_are_refused(
    db_url: str, body: str, channels: list[str]
) -> None:
    with session_scope(db_url) as session, pytest.raises(ValueError):
        broadcasts.schedule(session, body=body, channels=channels, created_by="t")


def test_worker_sends_sms_but_leaves_chat_rows_for_the_page(
    db_url: str, settings: Settings, fake_twilio: TwilioApi
) -> None:
    subscribe_three(db_url)
    with session_scope(db_url) as session:
        broadcasts.schedule(
            session, body="不说验证码。", channels=["sms", "chat"], created_by="t"
        )
        broadcasts.dispatch_due(session)
    worker = OutboxWorker(settings, TwilioSender(settings), stop_event=asyncio.Event())
    asyncio.run(worker.run(burst=True))
    by_channel = {r.channel: r for r in outbox_rows(db_url)}
    assert by_channel["sms"].status == "sent"
    assert by_channel["chat"].status == "pending"
    with session_scope(db_url) as session:
        handed = broadcasts.collect_chat(session, user_id="fam-1")
        assert [m.body.startswith("不说验证码") for m in handed] == [True]
    with session_scope(db_url) as session:
        assert broadcasts.collect_chat(session, user_id="fam-1") == []


# A server-side chat connector: the only caller that may name the chat user.
CONNECTOR = {"Authorization": "Bearer connector-key"}


@pytest.fixture()
def client(settings: Settings) -> Iterator[TestClient]:
    settings = settings.model_copy(
        update={
            "staff_users": staff_users("tester", "pw"),
            "run_workers": False,
            "chat_api_key": "connector-key",
        }
    )
    with same_origin_client(create_app(settings)) as test_client:
        yield test_client


def test_staff_schedule_and_track_and_chat_inbox(
    client: TestClient, db_url: str
) -> None:
    assert (
        client.post(
            "/api/staff/broadcasts", json={"body": "x", "channels": ["sms"]}
        ).status_code
        == 401
    )
    client.post("/api/staff/login", json={"username": "tester", "password": "pw"})
    subscribe_three(db_url)
    assert (
        client.post(
            "/api/staff/broadcasts", json={"body": "提醒", "channels": ["fax"]}
        ).status_code
        == 422
    )
    naive = client.post(
        "/api/staff/broadcasts",
        json={
            "body": "提醒",
            "channels": ["sms"],
            "scheduled_at": "2030-01-01T09:00:00",
        },
    )
    assert naive.status_code == 422
    created = client.post(
        "/api/staff/broadcasts",
        json={"body": "陌生电话要钱，先挂断。", "channels": ["chat"]},
    )
    assert created.status_code == 201
    with session_scope(db_url) as session:
        broadcasts.dispatch_due(session)
    listed = client.get("/api/staff/broadcasts").json()
    assert listed[0]["status"] == "sent" and listed[0]["deliveries"] == {"pending": 1}
    inbox = client.get(
        "/api/chat/inbox", params={"user_id": "fam-1"}, headers=CONNECTOR
    ).json()
    assert [m["text"][:9] for m in inbox["messages"]] == ["陌生电话要钱，先挂断"[:9]]
    assert (
        client.get(
            "/api/chat/inbox", params={"user_id": "fam-1"}, headers=CONNECTOR
        ).json()["messages"]
        == []
    )
    assert client.get("/api/staff/broadcasts").json()[0]["deliveries"] == {"sent": 1}
    assert (
        client.get("/api/chat/inbox", params={"user_id": "bad id"}).status_code == 422
    )
