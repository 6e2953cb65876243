"""Signed webhooks: voice, status, and the gather fallback end to end."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from assistant.db import (
    PhoneCall,
    session_scope,
)
from assistant.settings import Settings
from bench.sim.hotline import AUTH_TOKEN, CALLER, Hotline, run_hotline
from connectors.telephone import prompts
from connectors.telephone.twilio_auth import stream_token
from tests.telephone.helpers import key_of, path_of, plays, said
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
    given = {
        p.get("name"): p.get("value") for p in ET.fromstring(body).iter("Parameter")
    }
    assert given["caller"] == CALLER and given["call_sid"] == params["CallSid"]
    token = stream_token(stream_line.settings, given)  # signed, with an expiry
    assert token is not None and token.key == given["token"]
    assert "<Hangup" not in body


def test_a_stream_that_keeps_dropping_goes_on_in_gather_mode(
    stream_line: Hotline,
) -> None:
    params = new_call()
    body = stream_line.post("/twilio/voice", params).text
    for _ in range(3):  # Twilio follows the Redirect each time the stream drops
        assert "<Connect>" in body
        [redirect] = ET.fromstring(body).iter("Redirect")
        body = stream_line.post(path_of(redirect.text or ""), params).text
    assert "<Connect>" not in body and "<Gather" in body
    assert said(body) == [key_of(stream_line, prompts.greeting(stream_line.settings))]


def test_gather_greets_with_our_own_mandarin_audio(gather_line: Hotline) -> None:
    response = gather_line.post("/twilio/voice", new_call())
    assert response.status_code == 200
    body = response.text
    assert '<Gather action="' in body and 'input="speech dtmf"' in body
    assert 'language="zh-CN"' in body and "<Say" not in body
    assert said(body) == [key_of(gather_line, prompts.greeting(gather_line.settings))]
    audio = httpx.get(plays(body)[0], timeout=10)
    assert audio.status_code == 200 and audio.headers["content-type"] == "audio/wav"
    samples, rate = read_wav(audio.content)
    assert rate == 22050 and samples.size / rate > 5
    assert httpx.get(gather_line.base + "/twilio/audio/..%2Fx.wav").status_code == 404


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
