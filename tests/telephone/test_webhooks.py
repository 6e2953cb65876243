"""Signed webhooks: voice, status, and the gather fallback end to end."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from assistant.db import (
    CallbackRequest,
    Elder,
    Emergency,
    OutboxMessage,
    PhoneCall,
    session_scope,
)
from assistant.settings import Settings
from bench.sim.hotline import AUTH_TOKEN, CALLER, DUTY, Hotline, run_hotline
from connectors.telephone import prompts
from connectors.telephone.twilio_auth import call_token
from voice.audio import read_wav

_n = iter(range(10**6))


def new_call() -> dict[str, str]:
    return {
        "CallSid": f"CA{next(_n):032d}",
        "From": CALLER,
        "To": "+8610000000",
        "AccountSid": "AC" + "0" * 32,
        "CallStatus": "ringing",
    }


def plays(twiml: str) -> list[str]:
    return re.findall(r"<Play>([^<]+)</Play>", twiml)


def said(line: Hotline, twiml: str) -> str:
    """Which of our prompts a TwiML response plays (by its audio key)."""
    [url] = plays(twiml)
    return url.rsplit("/", 1)[-1].removesuffix(".wav")


def key_of(line: Hotline, text: str, elder: bool = True) -> str:
    tts = line.services.tts
    return tts.key(text, tts.params(elder=elder))


@pytest.fixture(scope="module")
def stream_line(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hotline]:
    with run_hotline(
        tmp_path_factory.mktemp("stream-hooks"), asr_model_lang="zh"
    ) as line:
        yield line


def test_unsigned_and_tampered_requests_are_refused(gather_line: Hotline) -> None:
    params = new_call()
    assert gather_line.post("/twilio/voice", params, signed=False).status_code == 403
    good = gather_line.sign("/twilio/voice", params)
    tampered = {**params, "From": "+8613800000000"}
    assert (
        gather_line.post("/twilio/voice", tampered, signature=good).status_code == 403
    )
    assert gather_line.post("/twilio/status", params, signed=False).status_code == 403
    assert gather_line.post("/twilio/gather", params, signed=False).status_code == 403
    with session_scope(gather_line.settings.effective_database_url) as session:
        assert (
            session.query(PhoneCall).filter_by(call_sid=params["CallSid"]).count() == 0
        )


def test_stream_mode_connects_a_media_stream_with_parameters(
    stream_line: Hotline,
) -> None:
    params = new_call()
    response = stream_line.post("/twilio/voice", params)
    assert response.status_code == 200
    body = response.text
    ws = stream_line.base.replace("http://", "ws://") + "/twilio/stream"
    assert f'<Connect><Stream url="{ws}">' in body
    assert f'<Parameter name="caller" value="{CALLER}" />' in body
    assert f'<Parameter name="call_sid" value="{params["CallSid"]}" />' in body
    token = call_token(stream_line.settings, params["CallSid"])
    assert f'<Parameter name="token" value="{token}" />' in body
    assert "<Hangup" not in body and "<Redirect" in body


def test_gather_greets_with_our_own_mandarin_audio(gather_line: Hotline) -> None:
    response = gather_line.post("/twilio/voice", new_call())
    assert response.status_code == 200
    body = response.text
    assert '<Gather action="' in body and 'input="speech dtmf"' in body
    assert 'language="zh-CN"' in body and "<Say" not in body
    assert said(gather_line, body) == key_of(
        gather_line, prompts.greeting(gather_line.settings)
    )
    audio = httpx.get(plays(body)[0], timeout=10)
    assert audio.status_code == 200 and audio.headers["content-type"] == "audio/wav"
    samples, rate = read_wav(audio.content)
    assert rate == 22050 and samples.size / rate > 5
    assert httpx.get(gather_line.base + "/twilio/audio/..%2Fx.wav").status_code == 404


def test_gather_speech_goes_through_the_dialogue(gather_line: Hotline) -> None:
    gather_line.rasa.requests.clear()
    call = new_call()
    gather_line.post("/twilio/voice", call)
    params = {**call, "SpeechResult": "我想订明天的午饭", "Confidence": "0.9"}
    response = gather_line.post("/twilio/gather?n=0", params)
    assert response.status_code == 200
    [turn] = gather_line.rasa.requests
    assert turn["message"] == "我想订明天的午饭" and turn["sender"] == call["CallSid"]
    assert (
        turn["metadata"]["channel"] == "phone"
        and turn["metadata"]["elder_mode"] is True
    )
    assert said(gather_line, response.text) == key_of(
        gather_line, "好的，您说：我想订明天的午饭"
    )


def test_gather_keypad_2_records_the_emergency(gather_line: Hotline) -> None:
    call = {**new_call(), "From": "+8613700001111"}
    with session_scope(gather_line.settings.effective_database_url) as session:
        elder = Elder(
            name="张桂兰",
            phone=call["From"],
            address="幸福里3号",
            family_contacts=[{"name": "女儿", "phone": "+8613600002222"}],
            elder_mode=False,
        )
        session.add(elder)
    assert gather_line.post("/twilio/voice", call).status_code == 200
    response = gather_line.post("/twilio/gather", {**call, "Digits": "2"})
    assert response.status_code == 200
    assert said(gather_line, response.text) == key_of(
        gather_line, prompts.emergency_recorded(gather_line.settings), elder=False
    )
    with session_scope(gather_line.settings.effective_database_url) as session:
        [row] = session.query(Emergency).filter_by(user_id=call["CallSid"]).all()
        assert row.channel == "phone" and row.caller_phone == call["From"]
        assert row.elder_id is not None and row.location == "幸福里3号"
        alerts = (
            session.query(OutboxMessage)
            .filter_by(related_kind="emergency", related_id=row.id)
            .all()
        )
        assert {a.recipient for a in alerts} == {DUTY, "+8613600002222"}


def test_gather_silence_reprompts_then_offers_a_person(gather_line: Hotline) -> None:
    call = new_call()
    heard = []
    n = 0
    for _ in range(5):
        response = gather_line.post(f"/twilio/gather?n={n}", call)
        assert response.status_code == 200 and "<Hangup" not in response.text
        heard.append(said(gather_line, response.text))
        n = int(re.search(r"/twilio/gather\?n=(\d+)", response.text).group(1))  # type: ignore[union-attr]
    expected = [key_of(gather_line, t) for t in prompts.REPROMPTS]
    offer = key_of(gather_line, prompts.offer_person(gather_line.settings))
    assert heard == [*expected, offer, offer]


def test_gather_keypad_0_dials_the_duty_number(gather_line: Hotline) -> None:
    call = new_call()
    response = gather_line.post("/twilio/gather", {**call, "Digits": "0"})
    assert f'<Dial callerId="+8610000000">{DUTY}</Dial>' in response.text
    assert len(plays(response.text)) == 1
    with session_scope(gather_line.settings.effective_database_url) as session:
        row = session.query(PhoneCall).filter_by(call_sid=call["CallSid"]).one()
        assert row.transferred_to == DUTY


def test_without_a_duty_number_a_callback_is_requested(gather_line: Hotline) -> None:
    call = new_call()
    gather_line.services.settings.duty_phone = ""
    try:
        response = gather_line.post("/twilio/gather", {**call, "Digits": "0"})
    finally:
        gather_line.services.settings.duty_phone = DUTY
    assert "<Dial" not in response.text
    with session_scope(gather_line.settings.effective_database_url) as session:
        [row] = session.query(CallbackRequest).filter_by(user_id=call["CallSid"]).all()
        assert row.channel == "phone" and row.phone == CALLER


def test_status_callback_is_recorded(gather_line: Hotline) -> None:
    call = new_call()
    gather_line.post("/twilio/voice", call)
    status = {**call, "CallStatus": "completed", "CallDuration": "42"}
    assert gather_line.post("/twilio/status", status).status_code == 204
    with session_scope(gather_line.settings.effective_database_url) as session:
        row = session.query(PhoneCall).filter_by(call_sid=call["CallSid"]).one()
        assert row.status == "completed"
        assert row.events[-1]["kind"] == "status" and row.events[-1]["duration"] == "42"


def test_health_reports_the_mode(gather_line: Hotline) -> None:
    from voice import health

    info = health(gather_line.settings)
    assert info["phone"]["mode"] == "gather" and "no Chinese" in info["phone"]["reason"]


def test_gather_9_slows_down_and_star_repeats(gather_line: Hotline) -> None:
    call = new_call()
    menu = gather_line.post("/twilio/gather", {**call, "Digits": "7"})
    assert said(gather_line, menu.text) == key_of(gather_line, prompts.KEYPAD_MENU)
    slow = gather_line.post("/twilio/gather", {**call, "Digits": "9"})
    tts = gather_line.services.tts
    slower = tts.params(
        elder=True, overrides=gather_line.services.slower(call["CallSid"])
    )
    assert slower.rate < tts.params(elder=True).rate
    assert said(gather_line, slow.text) == tts.key(
        prompts.slower() + prompts.KEYPAD_MENU, slower
    )
    again = gather_line.post("/twilio/gather", {**call, "Digits": "*"})
    assert said(gather_line, again.text) == said(gather_line, slow.text)


def test_the_app_factory_serves_the_hotline(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from assistant.app import create_app

    settings = Settings.model_validate(
        {"var_dir": tmp_path, "twilio_auth_token": AUTH_TOKEN, "run_workers": False}
    )
    with TestClient(create_app(settings)) as http:
        body = http.get("/health").json()
        assert body["phone"]["mode"] == "gather", body
        assert body["asr"]["ok"] is False, body
        assert http.post("/twilio/voice", data=new_call()).status_code == 403
