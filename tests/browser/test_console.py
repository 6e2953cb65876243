"""The staff console and the family chat in real Chromium against a running stack.

One stack for the module (real Rasa, real app, SQLite, the local Twilio API
server, a duty roster), so emergencies alert someone and chat bookings land in
the kitchen list. Every view is saved under var/screenshots/ for a person to look at.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from assistant.db import Elder, MealOrder, UserBinding, session_scope
from assistant.services import emergencies, meals
from assistant.settings import PROJECT_ROOT
from bench.sim.stack import STAFF_PASSWORD, STAFF_USER, Stack

pytestmark = pytest.mark.integration

SHOTS = PROJECT_ROOT / "var" / "screenshots"
ROSTER = [{"name": "值班甲", "phone": "+8613800000001"}]


@pytest.fixture(scope="module")
def cstack(alert_stack: Stack) -> Stack:
    """The console's stack: alerts to the local Twilio API, settings below."""
    return alert_stack


STACK_ENV = {
    "ASSISTANT_DUTY_ROSTER": json.dumps(ROSTER),
    "ASSISTANT_DUTY_PHONE": "010-88886666",
    "ASSISTANT_OUTBOX_POLL_S": "0.2",
    "ASSISTANT_STATION_NAME": "幸福里驿站",
}


@pytest.fixture()
def staff_page(browser: Browser, cstack: Stack) -> Iterator[Page]:
    context = browser.new_context(
        locale="zh-CN", viewport={"width": 1280, "height": 800}
    )
    page = context.new_page()
    page.goto(cstack.app_url + "/staff")
    expect(page.locator("#login-view")).to_be_visible()
    page.fill("input[name=username]", STAFF_USER)
    page.fill("input[name=password]", STAFF_PASSWORD)
    page.click("#login button[type=submit]")
    expect(page.locator("#console-view")).to_be_visible()
    yield page
    context.close()


def shot(page: Page, name: str, *, full: bool = True) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    if full:  # from the top, so the sticky header sits where a person sees it
        page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SHOTS / f"console-{name}.png"), full_page=full)


def bound_elder(stack: Stack, user: str, **fields: object) -> int:
    """An elder profile and a web chat user bound to it (as a binding code would)."""
    with session_scope(stack.db_url) as session:
        elder = Elder(**fields)
        session.add(elder)
        session.flush()
        session.add(UserBinding(channel="web", user_id=user, elder_id=elder.id))
        return int(elder.id)


def test_login_page(page: Page, cstack: Stack) -> None:
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(cstack.app_url + "/staff")
    expect(page.locator("#login-view")).to_be_visible()
    shot(page, "01-login", full=False)


def test_emergency_reaches_the_board_alarm_until_acknowledged(
    staff_page: Page, cstack: Stack
) -> None:
    page = staff_page
    expect(page.locator("#board-open")).to_contain_text("现在没有待处理的紧急求助")
    bound_elder(
        cstack,
        "fam-emergency",
        name="王秀英",
        phone="+8613911112222",
        address="幸福里小区3号楼2单元401",
        station="幸福里驿站",
        family_contacts=[
            {"name": "王强", "phone": "+8613700000001", "relation": "儿子"}
        ],
    )
    messages = cstack.chat("fam-emergency", "救命啊我妈摔倒了起不来")
    assert messages
    card = page.locator("#board-open .card").first
    expect(card).to_be_visible(timeout=5_000)  # polled, no reload
    expect(card).to_contain_text("摔倒")
    expect(card).to_contain_text("王秀英")
    expect(card).to_contain_text("幸福里小区3号楼2单元401")
    expect(card).to_contain_text("139****2222")
    expect(page.locator("body")).to_have_attribute("data-alarm", "on")
    page.wait_for_function(
        "window.consoleAlarm.beeps > 0 && window.consoleAlarm.audible"
    )
    expect(page.locator("#alarm-banner")).to_be_visible()
    expect(card.locator(".alerts")).to_contain_text("短信", timeout=10_000)
    card.get_by_role("button", name="显示完整号码").first.click()
    expect(card).to_contain_text("+8613911112222")
    card.locator("details.timeline summary").click()
    shot(page, "02-board-alarm")

    card.get_by_role("button", name="确认接警").click()
    expect(card.locator(".status")).to_contain_text("已确认")
    expect(card.locator(".status")).to_contain_text(STAFF_USER)
    expect(page.locator("body")).to_have_attribute("data-alarm", "off")
    assert page.evaluate("window.consoleAlarm.on") is False
    expect(page.locator("#alarm-banner")).to_be_hidden()
    shot(page, "03-board-acknowledged")

    card.get_by_role("button", name="处理完毕").click()
    page.fill("#dialog textarea[name=note]", "已联系儿子，送医院检查")
    shot(page, "04-board-resolve-note", full=False)
    page.click("#dialog-ok")
    expect(page.locator("#board-open")).to_contain_text("现在没有待处理的紧急求助")
    closed = page.locator("#board-closed tr", has_text="已联系儿子，送医院检查")
    expect(closed).to_contain_text("王秀英")
    expect(closed).to_contain_text(STAFF_USER)


def test_unalertable_emergency_is_red(staff_page: Page, cstack: Stack) -> None:
    with session_scope(cstack.db_url) as session:
        emergency = emergencies.record_emergency(
            session,
            user_id="CA-nobody",
            channel="phone",
            utterance="9",
            emergency_type=None,
        )
        nobody = cstack.settings.model_copy(update={"duty_roster": []})
        emergencies.queue_alerts(session, nobody, emergency.id)
    red = staff_page.locator("#board-open .card.red")
    expect(red).to_contain_text("无人收到通知", timeout=5_000)
    expect(red).to_contain_text("按了 9 键")
    shot(staff_page, "05-board-unalertable")
    staff_page.set_viewport_size({"width": 768, "height": 1024})
    shot(staff_page, "06-board-tablet-768")
    red.get_by_role("button", name="确认接警").click()
    expect(staff_page.locator("body")).to_have_attribute("data-alarm", "off")


def test_kitchen_totals_match_chat_bookings_and_csv(
    staff_page: Page, cstack: Stack
) -> None:
    bound_elder(
        cstack, "fam-meal-1", name="李桂芬", station="东区驿站", address="东区5号"
    )
    bound_elder(cstack, "fam-meal-2", name="赵德明", station="幸福里驿站")
    bound_elder(
        cstack, "fam-meal-3", name="孙玉珍", phone="+8613900000088", verified=False
    )
    for user, text in (
        ("fam-meal-1", "明天中午送两份少盐的到家"),
        ("fam-meal-2", "明天晚上到驿站吃一份，没有忌口"),
        ("fam-meal-3", "明天中午到驿站吃一份，没有忌口"),
    ):
        reply = " ".join(m["text"] for m in cstack.chat(user, text))
        assert "对吗" in reply, reply
        assert "订好了" in " ".join(m["text"] for m in cstack.chat(user, "对"))
    tomorrow = meals.local_now(cstack.settings).date() + dt.timedelta(days=1)
    with session_scope(cstack.db_url) as session:
        booked = session.scalars(
            select(MealOrder).where(
                MealOrder.meal_date == tomorrow, MealOrder.status == "booked"
            )
        ).all()
        expected = {
            meal: sum(o.count for o in booked if o.meal_type == meal)
            for meal in {o.meal_type for o in booked}
        }
    assert expected == {"lunch": 3, "dinner": 1}
    page = staff_page
    page.get_by_role("tab", name="订餐").click()
    page.locator("#meal-days").get_by_role("button", name="明天").click()
    for meal, total in expected.items():
        expect(page.locator(f"#kitchen tr[data-meal={meal}] td.total")).to_have_text(
            str(total)
        )
    expect(page.locator("#kitchen")).to_contain_text("少盐：2 份")
    expect(page.locator("#meal-groups")).to_contain_text("东区驿站")
    flagged = page.locator("#meal-groups tr.flag", has_text="孙玉珍")
    expect(flagged).to_contain_text("请打电话确认")
    shot(page, "07-meals-tomorrow")
    response = page.request.get(
        cstack.app_url + "/api/staff/meals/export.csv?day=" + tomorrow.isoformat()
    )
    assert response.body().startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.body().decode("utf-8-sig"))))
    assert sorted((r[1], r[3], r[6]) for r in rows[1:]) == [
        ("午餐", "孙玉珍", "1"),
        ("午餐", "李桂芬", "2"),
        ("晚餐", "赵德明", "1"),
    ]
    row = page.locator("#meal-groups tr", has_text="赵德明")
    row.get_by_role("button", name="标记已用餐").click()
    expect(row).to_contain_text("已用餐")
    page.locator("#meal-groups tr", has_text="李桂芬").get_by_role(
        "button", name="取消订单"
    ).click()
    page.get_by_role("button", name="厨房停电停气").click()
    shot(page, "08-meals-cancel-reason", full=False)
    page.click("#dialog-ok")
    expect(page.locator("#meal-groups tr", has_text="李桂芬")).to_contain_text("已取消")
    expect(page.locator("#kitchen tr[data-meal=lunch] td.total")).to_have_text("1")
    flagged.get_by_role("button", name="已电话确认").click()
    confirmed = page.locator("#meal-groups tr", has_text="孙玉珍")
    expect(confirmed).not_to_contain_text("请打电话确认")
    expect(confirmed.get_by_role("button", name="已电话确认")).to_have_count(0)
    page.set_viewport_size({"width": 768, "height": 1024})
    shot(page, "09-meals-tablet-768")


def test_callback_marked_done(staff_page: Page, cstack: Stack) -> None:
    reply = " ".join(m["text"] for m in cstack.chat("fam-callback", "我要找工作人员"))
    assert "010-88886666" in reply
    page = staff_page
    page.get_by_role("tab", name="回电").click()
    row = page.locator("#callbacks-open tr", has_text="要找工作人员")
    expect(row).to_contain_text("分钟")
    shot(page, "10-callbacks")
    row.get_by_role("button", name="已回电").click()
    page.fill("#dialog textarea[name=note]", "已回电，帮他订了明天午饭")
    page.click("#dialog-ok")
    expect(page.locator("#callbacks-open")).to_contain_text("现在没有人等回电")
    page.locator("#callbacks-done-box summary").click()
    expect(page.locator("#callbacks-done")).to_contain_text("已回电，帮他订了明天午饭")


def test_profile_edited_and_binding_code_issued(
    staff_page: Page, cstack: Stack
) -> None:
    page = staff_page
    page.get_by_role("tab", name="老人档案").click()
    page.click("#elder-new")
    page.fill("#dialog input[name=name]", "陈玉兰")
    page.fill("#dialog input[name=phone]", "13912340001")
    page.fill("#dialog input[name=c_name]", "陈明")
    page.fill("#dialog input[name=c_relation]", "儿子")
    page.fill("#dialog input[name=c_phone]", "13700000002")
    page.click("#dialog-ok")
    first_code = page.locator("#dialog .code").inner_text()
    expect(page.locator("#dialog .read-out")).to_contain_text("绑定老人")
    page.click("#dialog-cancel")
    page.fill("#elder-q", "玉兰")
    page.click("#elder-search button[type=submit]")
    row = page.locator("#elder-list tr", has_text="陈玉兰")
    row.get_by_role("button", name="编辑").click()
    page.fill("#dialog input[name=address]", "和平里5号楼")
    page.fill("#dialog input[name=diet_notes]", "糖尿病，少糖")
    page.check("#dialog input[name=alert_consent][value=sms]")
    shot(page, "11-elder-edit", full=False)
    page.click("#dialog-ok")
    expect(row).to_contain_text("和平里5号楼")
    shot(page, "12-elders")
    row.get_by_role("button", name="绑定码").click()
    expect(page.locator("#dialog .code")).to_have_text(first_code)
    page.click("#dialog-ok")  # 换一个新码
    expect(page.locator("#dialog-title")).to_contain_text("新绑定码")
    new_code = page.locator("#dialog .code").inner_text()
    assert new_code != first_code and len(new_code) == 6
    expect(page.locator("#dialog .read-out")).to_contain_text(new_code)
    shot(page, "13-elder-binding-code", full=False)
    page.click("#dialog-ok")
    row.get_by_role("button", name="删除").click()
    expect(page.locator("#dialog-body")).to_contain_text("档案本身")
    shot(page, "14-elder-delete-confirm", full=False)
    page.click("#dialog-cancel")
    with session_scope(cstack.db_url) as session:
        elder = session.scalars(select(Elder).where(Elder.name == "陈玉兰")).one()
        assert (elder.address, elder.diet_notes, elder.binding_code) == (
            "和平里5号楼",
            "糖尿病，少糖",
            new_code,
        )
    page.get_by_role("tab", name="操作记录").click()
    expect(page.locator("#audit-list")).to_contain_text("发绑定码")
    expect(page.locator("#audit-list")).to_contain_text("确认接警")
    shot(page, "15-audit")
    page.get_by_role("tab", name="老人档案").click()
    page.set_viewport_size({"width": 768, "height": 1024})
    expect(page.locator("#elder-list")).to_contain_text("陈玉兰")
    shot(page, "21-elders-tablet-768")


def test_broadcast_previewed_and_scheduled(staff_page: Page, cstack: Stack) -> None:
    page = staff_page
    page.get_by_role("tab", name="防诈提醒").click()
    expect(page.locator("#quiet-note")).to_contain_text("21:00 到 08:00")
    page.fill(
        "#broadcast textarea[name=body]",
        "有人打电话说是医保局要您转账，一定是骗子。不转账，不说验证码。",
    )
    page.check("#broadcast input[name=when][value=later]")
    tomorrow = meals.local_now(cstack.settings).date() + dt.timedelta(days=1)
    page.fill("#broadcast input[name=at]", f"{tomorrow.isoformat()}T22:30")
    page.click("#broadcast-preview")
    expect(page.locator("#broadcast-recipients")).to_contain_text("共")
    expect(page.locator("#broadcast-when")).to_contain_text("08:00")
    expect(page.locator("#broadcast-when")).to_contain_text("顺延")
    expect(page.locator("#broadcast-text")).to_contain_text("取消提醒")
    page.get_by_role("button", name="▶ 听一听电话里怎么说").click()
    page.wait_for_function(
        "document.getElementById('broadcast-audio').duration > 1", timeout=60_000
    )
    shot(page, "16-broadcast-preview")
    page.click("#broadcast-send")
    expect(page.locator("#broadcast-result")).to_contain_text("已安排")
    row = page.locator("#broadcast-list tr", has_text="医保局")
    expect(row).to_contain_text("等待发送")
    expect(row).to_contain_text("08:00")
    shot(page, "17-broadcasts")
    page.set_viewport_size({"width": 768, "height": 1024})
    shot(page, "22-broadcasts-tablet-768")


def test_other_views(staff_page: Page, cstack: Stack) -> None:
    page = staff_page
    page.get_by_role("tab", name="政策查询").click()
    page.fill("#search input[name=q]", "承德的老年食堂是怎么安排的")
    page.click("#search button[type=submit]")
    expect(page.locator(".hit").first).to_be_visible(timeout=30_000)
    shot(page, "18-policy-search")
    page.get_by_role("tab", name="驿站信息").click()
    expect(page.locator("#station-facts")).to_contain_text("开放时间")
    shot(page, "19-station-facts")


def test_family_chat_policy_answer_shows_its_source(page: Page, cstack: Stack) -> None:
    page.set_viewport_size({"width": 414, "height": 860})
    page.goto(cstack.app_url + "/")
    expect(page.locator("#voice svg")).to_be_visible()
    page.click("#voice")  # headless Chromium has no microphone: it must say so
    failure = page.locator(".row.error .bubble").last
    expect(failure).to_contain_text("打字")
    assert failure.inner_text().count("。") == 1  # one sentence
    page.fill("#text", "承德的老年食堂是怎么安排的")
    page.click("#send")
    source = page.locator(".row.bot .source").first
    expect(source).to_contain_text("来源：《", timeout=60_000)
    source.click()
    expect(page.locator(".row.bot .quote").first).to_be_visible()
    page.click("#bigger")
    page.reload()
    expect(page.locator("body")).to_have_class("large")
    expect(page.locator("#bigger")).to_have_attribute("aria-pressed", "true")
    page.fill("#text", "长期护理保险怎么申请")
    page.click("#send")
    expect(page.locator(".row.bot .source").first).to_contain_text(
        "来源：《", timeout=60_000
    )
    page.locator(".row.bot .source").first.click()
    shot(page, "20-family-chat-source")
