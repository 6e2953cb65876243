"""Call-backs and elder profiles through the staff API, on a real database."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from assistant.db import AlertSubscription, MealOrder, UserBinding, session_scope
from assistant.services import handoff, meals
from assistant.settings import Settings


def test_callback_waiting_then_done_with_a_note(
    staff_api: TestClient, settings: Settings
) -> None:
    with session_scope(settings.effective_database_url) as s:
        cid = handoff.request_callback(
            s,
            user_id="CA1",
            channel="phone",
            elder_id=None,
            phone="+8613900000021",
            reason="requested: 我要找工作人员",
        ).id
    [waiting] = staff_api.get("/api/staff/callbacks").json()
    assert (
        waiting["reason_label"] == "要找工作人员"
        and waiting["said"] == "我要找工作人员"
    )
    assert waiting["phone"] == "+8613900000021" and waiting["channel_label"] == "电话"
    done = staff_api.post(
        f"/api/staff/callbacks/{cid}/done", json={"note": "已回电，明天送餐"}
    ).json()
    assert done["status"] == "done" and done["handled_by"] == "tester"
    assert staff_api.get("/api/staff/callbacks").json() == []
    [handled] = staff_api.get("/api/staff/callbacks", params={"status": "done"}).json()
    assert handled["note"] == "已回电，明天送餐"
    [entry] = staff_api.get("/api/staff/audit").json()
    assert entry["action_label"] == "已回电" and entry["target_label"] == "回电请求"


def test_profile_search_edit_consent_and_binding_code(staff_api: TestClient) -> None:
    created = staff_api.post(
        "/api/staff/elders",
        json={"name": "陈玉兰", "phone": "13912340001", "alert_consent": ["sms"]},
    ).json()
    assert created["alert_consent"] == ["sms"]
    assert created["binding_code"] in created["binding_sentence"].replace(" ", "")
    staff_api.post("/api/staff/elders", json={"name": "周建国"})
    assert [e["name"] for e in staff_api.get("/api/staff/elders?q=玉兰").json()] == [
        "陈玉兰"
    ]
    assert [e["name"] for e in staff_api.get("/api/staff/elders?q=2340001").json()] == [
        "陈玉兰"
    ]
    edited = staff_api.patch(
        f"/api/staff/elders/{created['id']}",
        json={
            "address": "和平里5号",
            "diet_notes": "糖尿病，少糖",
            "elder_mode": False,
            "alert_consent": ["call"],
            "family_contacts": [
                {"name": "陈明", "phone": "13700000002", "relation": "儿子"}
            ],
        },
    ).json()
    assert edited["alert_consent"] == ["call"] and edited["elder_mode"] is False
    assert edited["family_contacts"][0]["phone"] == "+8613700000002"
    no_phone = staff_api.patch(
        "/api/staff/elders/" + str(created["id"] + 1), json={"alert_consent": ["sms"]}
    )
    assert no_phone.status_code == 422
    reissued = staff_api.post(f"/api/staff/elders/{created['id']}/binding-code").json()
    assert reissued["binding_code"] != created["binding_code"]
    assert "绑定老人" in reissued["binding_sentence"]
    trail = staff_api.get("/api/staff/audit", params={"target_kind": "elder"}).json()
    assert [a["action_label"] for a in trail][:2] == ["发绑定码", "修改"]
    assert "地址" in trail[1]["detail"] and "防诈提醒" in trail[1]["detail"]


def test_delete_says_what_goes_and_what_stays(
    staff_api: TestClient, settings: Settings
) -> None:
    elder = staff_api.post(
        "/api/staff/elders",
        json={"name": "刘淑珍", "phone": "13912340002", "alert_consent": ["sms"]},
    ).json()
    with session_scope(settings.effective_database_url) as s:
        s.add(UserBinding(channel="web", user_id="fam-9", elder_id=elder["id"]))
        meals.create_order(
            session=s,
            elder_id=elder["id"],
            user_id="fam-9",
            channel="web",
            day=meals.local_now(settings).date(),
            meal="lunch",
            count=1,
            mode="dine_in",
            diet=None,
        )
    summary = staff_api.get(f"/api/staff/elders/{elder['id']}/deletion").json()
    assert summary["removes"][0].startswith("档案本身")
    assert any("绑定" in r for r in summary["removes"])
    assert summary["keeps"] == ["1 条订餐记录"]
    assert staff_api.delete(f"/api/staff/elders/{elder['id']}").status_code == 204
    assert staff_api.get(f"/api/staff/elders/{elder['id']}").status_code == 404
    with session_scope(settings.effective_database_url) as s:
        assert s.scalars(select(UserBinding)).all() == []
        assert s.scalars(select(AlertSubscription)).all() == []
        [order] = s.scalars(select(MealOrder)).all()
        assert order.elder_id is None
    [entry] = staff_api.get(
        "/api/staff/audit", params={"target_kind": "elder", "target_id": elder["id"]}
    ).json()[:1]
    assert entry["action_label"] == "删除" and "保留：1 条订餐记录" in entry["detail"]
