"""Gather mode end to end: the caller answers each TwiML document at the action URL
it names, as Twilio does, with real signatures; our own audio is played."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from assistant.db import (
    CallbackRequest,
    Elder,
    Emergency,
    EmergencyEvent,
    OutboxMessage,
    PhoneCall,
)
from assistant.db import session_scope as db
from assistant.services.emergencies import EmergencyReport
from bench.sim.hotline import CALLER, DUTY, FROM_NUMBER, Hotline
from connectors.telephone import prompts
from tests.telephone.helpers import (
    changed,
    dial,
    gather,
    key_of,
    locked_database,
    path_of,
    said,
)
from tests.utils.waiting import wait_until

_n = iter(range(10**6))


def new_call(caller: str = CALLER) -> dict[str, str]:
    return {
        "CallSid": f"CAG{next(_n):031d}",
        "From": caller,
        "To": FROM_NUMBER,
        "AccountSid": "AC" + "0" * 32,
        "CallStatus": "in-progress",
    }


def answer(line: Hotline, twiml: str, call: dict[str, str], **fields: str) -> str:
    """The caller's answer to ``twiml``, posted to its Gather's action URL."""
    response = line.post(path_of(gather(twiml).get("action", "")), {**call, **fields})
    assert response.status_code == 200, response.text
    return response.text


def call_in(line: Hotline, call: dict[str, str]) -> str:
    response = line.post("/twilio/voice", call)
    assert response.status_code == 200, response.text
    return response.text


@pytest.fixture()
def no_duty_phone(gather_line: Hotline) -> Iterator[None]:
    with changed(gather_line.settings, duty_phone=""):
        yield


def rows(line: Hotline, model: Any, call: dict[str, str]) -> list[Any]:
    with db(line.settings.effective_database_url) as session:
        return list(session.query(model).filter_by(user_id=call["CallSid"]).all())


def call_row(line: Hotline, call: dict[str, str], **where: Any) -> PhoneCall | None:
    with db(line.settings.effective_database_url) as session:
        query = session.query(PhoneCall).filter_by(call_sid=call["CallSid"], **where)
        return query.one_or_none()


def test_speech_goes_through_the_dialogue_with_the_signed_caller(
    gather_line: Hotline,
) -> None:
    gather_line.rasa.requests.clear()
    call = new_call()
    reply = answer(
        gather_line, call_in(gather_line, call), call, SpeechResult="我想订明天的午饭"
    )
    [turn] = gather_line.rasa.requests
    assert turn["message"] == "我想订明天的午饭" and turn["sender"] == call["CallSid"]
    assert turn["metadata"] == {
        "channel": "phone",
        "caller_phone": CALLER,
        "call_sid": call["CallSid"],
        "elder_mode": True,
    }
    assert said(reply) == [key_of(gather_line, "好的，您说：我想订明天的午饭")]


def test_keypad_2_records_the_emergency_in_the_callers_voice(
    gather_line: Hotline,
) -> None:
    call = new_call("+8613700001111")
    with db(gather_line.settings.effective_database_url) as session:
        session.add(
            Elder(
                name="张桂兰",
                phone=call["From"],
                address="幸福里3号",
                family_contacts=[{"name": "女儿", "phone": "+8613600002222"}],
                elder_mode=False,
            )
        )
    reply = answer(gather_line, call_in(gather_line, call), call, Digits="2")
    report = EmergencyReport(rows(gather_line, Emergency, call)[0].id, alerted=2)
    text = prompts.emergency(gather_line.settings, report) + prompts.press_0()
    assert "已通知" in text
    assert said(reply) == [key_of(gather_line, text, elder=False)]
    [row] = rows(gather_line, Emergency, call)
    assert row.channel == "phone" and row.caller_phone == call["From"]
    assert row.elder_id is not None and row.location == "幸福里3号"
    with db(gather_line.settings.effective_database_url) as session:
        alerts = (
            session.query(OutboxMessage)
            .filter_by(related_kind="emergency", related_id=row.id)
            .all()
        )
        assert {a.recipient for a in alerts} == {DUTY, "+8613600002222"}


def test_silence_reprompts_then_offers_a_person(gather_line: Hotline) -> None:
    call = new_call()
    twiml = call_in(gather_line, call)
    heard = []
    for _ in range(5):
        twiml = answer(gather_line, twiml, call)
        assert "<Hangup" not in twiml
        heard += said(twiml)
    expected = [key_of(gather_line, t) for t in prompts.REPROMPTS]
    offer = key_of(gather_line, prompts.offer_person(gather_line.settings))
    assert heard == [*expected, offer, offer]
    with db(gather_line.settings.effective_database_url) as session:
        row = session.query(PhoneCall).filter_by(call_sid=call["CallSid"]).one()
        assert [e["n"] for e in row.events if e["kind"] == "reprompt"] == [
            1,
            2,
            3,
            4,
            5,
        ]


def test_keypad_0_dials_the_duty_phone_with_a_timeout_and_fallback(
    gather_line: Hotline,
) -> None:
    call = new_call()
    twiml = answer(gather_line, call_in(gather_line, call), call, Digits="0")
    to_duty = dial(twiml)
    assert to_duty.text == DUTY and to_duty.get("callerId") == FROM_NUMBER
    assert to_duty.get("timeout") == str(gather_line.settings.phone_dial_timeout_s)
    assert "/twilio/dial?" in to_duty.get("action", "")
    assert said(twiml) == [key_of(gather_line, prompts.transferring())]
    row = wait_until(lambda: call_row(gather_line, call, transferred_to=DUTY))
    assert [e["reason"] for e in row.events if e["kind"] == "transfer"] == ["keypad"]


@pytest.mark.parametrize("status", ["no-answer", "busy", "failed"])
def test_unanswered_dial_records_a_callback_and_says_so(
    gather_line: Hotline, status: str
) -> None:
    call = new_call()
    twiml = answer(gather_line, call_in(gather_line, call), call, Digits="0")
    action = path_of(dial(twiml).get("action", ""))
    unsigned = gather_line.post(
        action, {**call, "DialCallStatus": status}, signed=False
    )
    assert (
        unsigned.status_code == 403 and rows(gather_line, CallbackRequest, call) == []
    )
    after = gather_line.post(action, {**call, "DialCallStatus": status})
    assert after.status_code == 200
    [row] = rows(gather_line, CallbackRequest, call)
    assert row.phone == CALLER and status in row.reason and "keypad" in row.reason
    text = prompts.duty_unanswered(gather_line.settings, recorded=True)
    assert said(after.text) == [key_of(gather_line, text)]
    assert gather(after.text) is not None  # the line stays open


def test_answered_dial_ends_the_call(gather_line: Hotline) -> None:
    call = new_call()
    twiml = answer(gather_line, call_in(gather_line, call), call, Digits="0")
    action = path_of(dial(twiml).get("action", ""))
    after = gather_line.post(action, {**call, "DialCallStatus": "completed"})
    assert "<Hangup" in after.text and rows(gather_line, CallbackRequest, call) == []


def test_without_a_duty_phone_a_callback_is_requested(
    gather_line: Hotline, no_duty_phone: None
) -> None:
    call = new_call()
    twiml = answer(gather_line, call_in(gather_line, call), call, Digits="0")
    assert "<Dial" not in twiml
    [row] = rows(gather_line, CallbackRequest, call)
    assert row.channel == "phone" and row.phone == CALLER and row.reason == "keypad"
    assert said(twiml) == [key_of(gather_line, prompts.callback_promised())]


def test_9_slows_down_and_star_repeats(gather_line: Hotline) -> None:
    call = new_call()
    menu = answer(gather_line, call_in(gather_line, call), call, Digits="7")
    assert said(menu) == [key_of(gather_line, prompts.KEYPAD_MENU)]
    slow = answer(gather_line, menu, call, Digits="9")
    rate = gather_line.settings.tts_rate_elder - 15
    assert said(slow) == [
        key_of(gather_line, prompts.slower() + prompts.KEYPAD_MENU, rate=rate)
    ]
    slower = answer(gather_line, slow, call, Digits="9")  # each press slower again
    assert said(slower) == [
        key_of(gather_line, prompts.slower() + prompts.KEYPAD_MENU, rate=rate - 15)
    ]
    again = answer(gather_line, slower, call, Digits="*")
    assert said(again) == [key_of(gather_line, prompts.KEYPAD_MENU, rate=rate - 15)]


def test_digits_the_dialogue_asks_for_are_collected_and_sent_as_text(
    gather_line: Hotline,
) -> None:
    call = new_call()
    gather_line.rasa.reply = [
        {"text": "请输入电话号码，按井号结束。", "custom": {"input": "digits"}}
    ]
    try:
        ask = answer(gather_line, call_in(gather_line, call), call, SpeechResult="订餐")
    finally:
        gather_line.rasa.reply = None
    keys = gather(ask)
    assert keys.get("finishOnKey") == "#" and keys.get("numDigits") is None
    assert keys.get("timeout") == str(int(gather_line.settings.phone_digits_pause_s))
    gather_line.rasa.requests.clear()
    answer(gather_line, ask, call, Digits="13912345678#")
    [turn] = gather_line.rasa.requests  # a number, not the keypad menu
    assert turn["message"] == "13912345678"
    assert turn["metadata"]["caller_phone"] == CALLER


def test_keypad_2_with_nobody_to_alert_says_so_and_puts_the_caller_through(
    gather_line: Hotline,
) -> None:
    call = new_call("+8613700003333")  # no elder, no family
    with changed(gather_line.settings, duty_roster=[]):
        reply = answer(gather_line, call_in(gather_line, call), call, Digits="2")
    [row] = rows(gather_line, Emergency, call)
    assert row.unalertable is True
    text = prompts.emergency(gather_line.settings, EmergencyReport(row.id, 0))
    assert "已通知" not in text and "没法通知到人" in text and "120" in text
    assert said(reply) == [key_of(gather_line, text + prompts.transferring())]
    assert dial(reply).text == DUTY


def test_a_second_call_from_the_same_number_joins_the_open_emergency(
    gather_line: Hotline,
) -> None:
    first, second = new_call("+8613700004444"), new_call("+8613700004444")
    with changed(gather_line.settings, emergency_join_minutes=5.0):
        answer(gather_line, call_in(gather_line, first), first, Digits="2")
        reply = answer(gather_line, call_in(gather_line, second), second, Digits="2")
    [row] = rows(gather_line, Emergency, first)
    assert rows(gather_line, Emergency, second) == []
    with db(gather_line.settings.effective_database_url) as session:
        events = session.query(EmergencyEvent).filter_by(emergency_id=row.id).all()
        assert [e.kind for e in events][-1] == "repeated"
        alerts = session.query(OutboxMessage).filter_by(related_id=row.id).all()
        assert len(alerts) == 2  # the duty phone was paged once, not twice
    joined = EmergencyReport(row.id, alerted=1, joined=True)
    text = prompts.emergency(gather_line.settings, joined) + prompts.press_0()
    assert "已通知过了" in text
    assert said(reply) == [key_of(gather_line, text)]


# --- faults: the caller always gets 120 advice and a person ---------------------


def test_database_locked_at_call_start_gives_120_and_the_duty_phone(
    gather_line: Hotline,
) -> None:
    call = new_call()
    with changed(gather_line.settings, phone_db_timeout_s=0.5):
        with locked_database(gather_line):
            twiml = call_in(gather_line, call)
            advice = prompts.system_down(gather_line.settings)
            assert said(twiml) == [key_of(gather_line, advice + prompts.transferring())]
            to_duty = dial(twiml)
            assert to_duty.text == DUTY
            assert "reason=database_down" in to_duty.get("action", "")
            # nobody answers, and the call-back cannot be written either: said so
            action = path_of(to_duty.get("action", ""))
            after = gather_line.post(action, {**call, "DialCallStatus": "no-answer"})
            text = prompts.duty_unanswered(gather_line.settings, recorded=False)
            assert said(after.text) == [key_of(gather_line, text)]


def test_database_locked_without_a_duty_phone_promises_nothing_it_cannot_keep(
    gather_line: Hotline, no_duty_phone: None
) -> None:
    with changed(gather_line.settings, phone_db_timeout_s=0.5):
        with locked_database(gather_line):
            twiml = call_in(gather_line, new_call())
    advice = prompts.system_down(gather_line.settings)
    failed = prompts.callback_failed(gather_line.settings)
    assert "<Dial" not in twiml
    assert said(twiml) == [key_of(gather_line, advice + failed)]


def said_while_dialogue_down(line: Hotline, words: str) -> tuple[dict[str, str], str]:
    """A call in which ``words`` are said while Rasa fails; the call and the reply."""
    call = new_call()
    twiml = call_in(line, call)
    line.rasa.fail = True
    try:
        return call, answer(line, twiml, call, SpeechResult=words)
    finally:
        line.rasa.fail = False


def test_dialogue_down_an_emergency_said_is_recorded_by_the_guard(
    gather_line: Hotline,
) -> None:
    call, reply = said_while_dialogue_down(gather_line, "救命 我摔倒了")
    [row] = rows(gather_line, Emergency, call)
    assert row.emergency_type == "fall" and row.utterance == "救命 我摔倒了"
    assert row.caller_phone == CALLER
    recorded = prompts.emergency(gather_line.settings, EmergencyReport(row.id, 1))
    assert said(reply) == [key_of(gather_line, recorded + prompts.transferring())]
    assert dial(reply).text == DUTY


def test_dialogue_down_plain_words_get_120_and_the_duty_phone(
    gather_line: Hotline,
) -> None:
    call, reply = said_while_dialogue_down(gather_line, "我想问问补贴")
    assert rows(gather_line, Emergency, call) == []
    advice = prompts.system_down(gather_line.settings) + prompts.transferring()
    assert said(reply) == [key_of(gather_line, advice)]
    assert "reason=dialogue_down" in dial(reply).get("action", "")
