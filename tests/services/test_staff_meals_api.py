"""Meal administration through the staff API: lists, kitchen list, CSV, delivered,
cancel with the elder told, unverified orders confirmed by phone."""

from __future__ import annotations

import csv
import datetime as dt
import io

from fastapi.testclient import TestClient
from sqlalchemy import select

from assistant.db import Elder, OutboxMessage, session_scope
from assistant.services import meals
from assistant.settings import Settings


def _book(settings: Settings) -> dict[str, int]:
    tomorrow = meals.local_now(settings).date() + dt.timedelta(days=1)
    with session_scope(settings.effective_database_url) as s:
        known = Elder(name="李桂芬", phone="+8613900000011", station="东区驿站")
        unverified = Elder(name="赵大爷", phone="+8613900000012", verified=False)
        s.add_all([known, unverified])
        s.flush()
        ids = {}
        for key, elder, meal, count, mode, diet, channel in (
            ("a", known, "lunch", 2, "delivery", "少盐", "phone"),
            ("b", known, "dinner", 1, "dine_in", None, "phone"),
            ("c", unverified, "lunch", 1, "delivery", "无", "web"),
        ):
            order = meals.create_order(
                session=s,
                elder_id=elder.id,
                user_id=f"user-{key}",
                channel=channel,
                day=tomorrow,
                meal=meal,
                count=count,
                mode=mode,
                diet=diet,
            )
            ids[key] = order.id
        return ids


def test_day_view_groups_and_counts(staff_api: TestClient, settings: Settings) -> None:
    ids = _book(settings)
    tomorrow = meals.local_now(settings).date() + dt.timedelta(days=1)
    view = staff_api.get("/api/staff/meals", params={"day": str(tomorrow)}).json()
    assert view["day_label"].startswith("明天")
    lunch, dinner = view["meals"]
    assert (lunch["meal_label"], dinner["meal_label"]) == ("午餐", "晚餐")
    assert {s["station"] for s in lunch["stations"]} == {"东区驿站", "未分配驿站"}
    flagged = [
        o for s in lunch["stations"] for o in s["orders"] if o["needs_confirmation"]
    ]
    assert [o["id"] for o in flagged] == [ids["c"]]
    kitchen = {k["meal_label"]: k for k in view["kitchen"]}
    assert kitchen["午餐"]["portions"] == 3 and kitchen["晚餐"]["portions"] == 1
    assert {m["label"]: m["portions"] for m in kitchen["午餐"]["by_mode"]} == {
        "送餐到家": 3
    }
    assert {d["diet"]: d["portions"] for d in kitchen["午餐"]["by_diet"]} == {
        "少盐": 2,
        "无特殊要求": 1,
    }
    today = staff_api.get("/api/staff/meals").json()
    assert today["meals"] == [] and today["day_label"].startswith("今天")


def test_csv_export_has_bom_and_the_booked_rows(
    staff_api: TestClient, settings: Settings
) -> None:
    _book(settings)
    response = staff_api.get("/api/staff/meals/export.csv")
    assert response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["日期", "餐次", "驿站"]
    assert sorted((r[1], r[3], r[6]) for r in rows[1:]) == [
        ("午餐", "李桂芬", "2"),
        ("午餐", "赵大爷", "1"),
        ("晚餐", "李桂芬", "1"),
    ]


def test_delivered_confirm_and_cancel_with_the_elder_told(
    staff_api: TestClient, settings: Settings
) -> None:
    ids = _book(settings)
    done = staff_api.post(f"/api/staff/meals/{ids['a']}/delivered").json()
    assert done["status_label"] == "已送达" and done["delivered_by"] == "tester"
    confirmed = staff_api.post(f"/api/staff/meals/{ids['c']}/confirm").json()
    assert confirmed["needs_confirmation"] is False
    bad = staff_api.post(f"/api/staff/meals/{ids['c']}/cancel", json={"reason": " "})
    assert bad.status_code == 422
    cancelled = staff_api.post(
        f"/api/staff/meals/{ids['c']}/cancel", json={"reason": "厨房停电"}
    ).json()
    assert cancelled["status_label"] == "已取消" and cancelled["told"] == 2
    again = staff_api.post(f"/api/staff/meals/{ids['c']}/cancel", json={"reason": "x"})
    assert again.status_code == 409
    with session_scope(settings.effective_database_url) as s:
        told = s.scalars(
            select(OutboxMessage).where(OutboxMessage.related_kind == "meal_order")
        ).all()
        assert {(m.channel, m.recipient) for m in told} == {
            ("sms", "+8613900000012"),
            ("chat", "user-c"),
        }
        assert all("厨房停电" in m.body and "010-88886666" in m.body for m in told)
    trail = staff_api.get("/api/staff/audit", params={"target_kind": "meal_order"})
    assert [a["action_label"] for a in trail.json()] == [
        "取消",
        "电话确认",
        "送达/用餐",
    ]
    assert staff_api.post("/api/staff/meals/999/delivered").status_code == 404
