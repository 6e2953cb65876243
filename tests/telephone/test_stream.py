"""The media stream end to end: real WebSocket, real espeak-ng audio, Vosk with the
Korean model standing in for a Chinese one (the mechanics are what is checked)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from assistant.db import Emergency, OutboxMessage, PhoneCall, session_scope
from bench.sim.caller import TwilioMediaClient
from bench.sim.hotline import CALLER, DUTY, FROM_NUMBER, Hotline, run_hotline
from connectors.telephone import prompts
from connectors.telephone.twilio_auth import stream_params
from tests.telephone.conftest import ONE_CALLER_MANY_TESTS
from tests.telephone.helpers import (
    changed,
    dial,
    locked_database,
    phone_audio,
    received,
)
from tests.utils.waiting import await_until
from voice.audio import resample
from voice.tts import TtsEngine

SILENCE = np.zeros(8000, dtype=np.int16)


@pytest.fixture(scope="module")
def line(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hotline]:
    with run_hotline(
        tmp_path_factory.mktemp("stream"),
        asr_model_lang="zh",
        phone_playback_speed=5.0,
        phone_no_input_s=0.6,
        phone_no_input_elder_s=0.6,
        **ONE_CALLER_MANY_TESTS,
    ) as hotline:
        assert hotline.services.mode == "stream" and hotline.services.understands_speech
        yield hotline


@pytest.fixture(scope="module")
def speech(line: Hotline) -> np.ndarray:
    tts = TtsEngine(line.settings)
    spoken = tts.synth_blocking("我想订一份午饭，送到家里。", tts.params(elder=False))
    return resample(spoken.samples, src_rate=spoken.rate, dst_rate=8000)


_n = iter(range(10**6))


def client(
    line: Hotline, *, params: dict[str, str] | None = None, **kw: object
) -> TwilioMediaClient:
    """A simulated caller with the stream parameters our TwiML would give."""
    sid = f"CA{next(_n):032d}"
    if params is None:
        params = stream_params(line.settings, call_sid=sid, caller=CALLER)
    return TwilioMediaClient(line.stream_url, call_sid=sid, params=params, **kw)  # type: ignore[arg-type]


def db_rows(line: Hotline, model: Any, **where: Any) -> list[Any]:
    with session_scope(line.settings.effective_database_url) as session:
        return list(session.query(model).filter_by(**where).all())


def call_row(line: Hotline, sid: str) -> PhoneCall | None:
    with session_scope(line.settings.effective_database_url) as session:
        return session.query(PhoneCall).filter_by(call_sid=sid).one_or_none()


async def ended(line: Hotline, sid: str) -> dict[str, object]:
    """The call's figures, once the app has closed the call."""

    def stats() -> dict[str, object] | None:
        return next((s for s in line.services.history if s["call_sid"] == sid), None)

    found: dict[str, object] = await await_until(stats, what=f"end of call {sid}")
    return found


async def test_greeting_streams_paced_ulaw_frames_then_a_mark(line: Hotline) -> None:
    async with client(line) as twilio:
        await twilio.start()
        await twilio.wait_marks(1)
        frames = [f for _, f in twilio.got.media]
        assert len(frames) > 100 and all(len(f) == 160 for f in frames)
        span = twilio.got.media[-1][0] - twilio.got.media[0][0]
        expected = len(frames) * 0.02 / line.settings.phone_playback_speed
        # paced, not dumped: a lower bound only (a busy machine is slower, never
        # faster); how late frames leave is a figure of ``make bench``
        assert span > expected * 0.7
        await twilio.stop()
    stats = await ended(line, twilio.call_sid)
    assert stats["tasks_left"] == 0
    row = call_row(line, twilio.call_sid)
    assert row is not None and row.mode == "stream" and row.caller_phone == CALLER


async def test_stream_without_valid_token_is_refused(line: Hotline) -> None:
    forged = {"caller": CALLER, "call_sid": "CA1", "expires": "9999999999"}
    async with client(line, params={**forged, "token": "0" * 64}) as twilio:
        await twilio.start()
        await asyncio.wait_for(twilio.closed_by_server.wait(), 10)
        assert twilio.got.media == []
    assert call_row(line, twilio.call_sid) is None


async def test_keypad_2_records_emergency_at_once_and_answers(line: Hotline) -> None:
    async with client(line) as twilio:
        await twilio.start()
        await twilio.wait(lambda: len(twilio.got.media) > 20)
        await twilio.dtmf("2")
        await twilio.wait(lambda: bool(twilio.got.clears))  # greeting cut short
        before = len(twilio.got.media)
        await twilio.wait(lambda: len(twilio.got.media) > before + 10)
        with session_scope(line.settings.effective_database_url) as session:
            rows = session.query(Emergency).filter_by(user_id=twilio.call_sid).all()
            assert len(rows) == 1
            assert rows[0].channel == "phone" and rows[0].caller_phone == CALLER
            assert [e.kind for e in rows[0].events] == ["reported", "notified"]
            alerts = (
                session.query(OutboxMessage)
                .filter_by(related_kind="emergency", related_id=rows[0].id)
                .all()
            )
            assert {(a.channel, a.recipient) for a in alerts} == {
                ("sms", DUTY),
                ("call", DUTY),
            }
        await twilio.stop()
    assert (await ended(line, twilio.call_sid))["tasks_left"] == 0


async def test_utterance_goes_through_the_dialogue_and_reply_is_spoken(
    line: Hotline, speech: np.ndarray
) -> None:
    line.rasa.requests.clear()
    async with client(line) as twilio:
        await twilio.start()
        await twilio.wait_marks(1)
        sent = await twilio.audio(np.concatenate([speech, SILENCE, SILENCE]), speed=4)
        await twilio.wait_marks(2)
        await twilio.stop()
    [turn] = line.rasa.requests
    assert turn["sender"] == twilio.call_sid and turn["message"]
    assert turn["metadata"] == {
        "channel": "phone",
        "caller_phone": CALLER,
        "call_sid": twilio.call_sid,
        "elder_mode": True,
    }
    stats = await ended(line, twilio.call_sid)
    assert stats["frames_in"] == sent and stats["malformed"] == 0
    assert stats["latencies_s"] and stats["tasks_left"] == 0


async def test_caller_talking_over_the_greeting_gets_clear(
    line: Hotline, speech: np.ndarray
) -> None:
    async with client(line) as twilio:
        await twilio.start()
        await twilio.wait(lambda: len(twilio.got.media) > 5)
        await twilio.audio(speech[:8000], speed=1)  # real time, while it plays
        await twilio.wait(lambda: bool(twilio.got.clears), timeout=5)
        assert "reply-1" not in twilio.got.marks  # the greeting never finished
        await twilio.stop()


async def test_silence_gets_three_reprompts_then_a_person_is_offered(
    line: Hotline,
) -> None:
    async with client(line) as twilio:
        await twilio.start()
        await twilio.wait_marks(5, timeout=40)
        assert not twilio.closed_by_server.is_set()  # never hangs up
        await twilio.stop()
    row = call_row(line, twilio.call_sid)
    assert row is not None
    assert [e["n"] for e in row.events if e["kind"] == "reprompt"][:4] == [1, 2, 3, 4]


async def test_keypad_0_transfers_with_dial(line: Hotline) -> None:
    line.twilio.requests.clear()
    async with client(line) as twilio:
        await twilio.start()
        await twilio.dtmf("0")
        await twilio.wait(lambda: bool(line.twilio.requests))
        await twilio.stop()
    [update] = line.twilio.requests
    assert update["path"].endswith(f"/Calls/{twilio.call_sid}.json")
    to_duty = dial(update["form"]["Twiml"])
    assert to_duty.text == DUTY and to_duty.get("callerId") == FROM_NUMBER
    assert to_duty.get("timeout") == str(line.settings.phone_dial_timeout_s)
    assert "/twilio/dial?" in to_duty.get("action", "")
    # the announcement went out on the stream before the call moved on
    assert await phone_audio(line, prompts.transferring()) in received(twilio)
    await ended(line, twilio.call_sid)
    # recorded by the same job that updated the call
    row = await await_until(
        lambda: (r := call_row(line, twilio.call_sid)) and r.transferred_to and r
    )
    assert row.transferred_to == DUTY


async def test_garbage_wrong_rate_and_hangup_mid_reply_leave_nothing_running(
    line: Hotline,
) -> None:
    async with client(line, sample_rate="44100x") as twilio:
        await twilio.send("not json")
        await twilio.send(b"\x00\x01binary")
        await twilio.send(
            {"event": "media", "media": {"payload": "AAAA"}}
        )  # before start
        await twilio.start()
        await twilio.send("[1, 2]")
        await twilio.send({"event": "media", "media": {"payload": "@@not base64@@"}})
        await twilio.send({"event": "media", "media": {"payload": "/w=="}})  # 1 byte
        await twilio.send({"event": "media", "media": "nonsense"})
        await twilio.send({"event": "dtmf", "dtmf": {}})
        await twilio.wait(lambda: len(twilio.got.media) > 5)
        await twilio.ws.close()  # caller hangs up mid-greeting
    stats = await ended(line, twilio.call_sid)
    assert stats["malformed"] == 4 and stats["frames_in"] == 1
    assert stats["tasks_left"] == 0 and not line.services.calls


async def test_without_a_chinese_model_speech_gets_the_keypad_menu(
    line: Hotline, speech: np.ndarray
) -> None:
    line.rasa.requests.clear()
    line.services.asr.lang = "ko"
    try:
        async with client(line) as twilio:
            await twilio.start()
            await twilio.wait_marks(1)
            await twilio.audio(np.concatenate([speech, SILENCE, SILENCE]), speed=4)
            await twilio.wait_marks(2)
            await twilio.stop()
    finally:
        line.services.asr.lang = "zh"
    assert line.rasa.requests == []


async def moved_on_after_key(line: Hotline, key: str) -> TwilioMediaClient:
    """A call that presses ``key`` and stays until the hotline moves it (Dial)."""
    line.twilio.requests.clear()
    async with client(line) as twilio:
        await twilio.start()
        await twilio.dtmf(key)
        await twilio.wait(lambda: bool(line.twilio.of_kind("call_update")))
        await twilio.stop()
    return twilio


async def test_dialogue_down_gives_120_and_the_duty_phone(line: Hotline) -> None:
    line.rasa.fail = True
    try:
        twilio = await moved_on_after_key(line, "1")
    finally:
        line.rasa.fail = False
    assert line.rasa.requests[-1]["message"] == "我要订餐"
    advice = prompts.system_down(line.settings) + prompts.transferring()
    assert await phone_audio(line, advice) in received(twilio)
    [update] = line.twilio.of_kind("call_update")
    assert dial(update["form"]["Twiml"]).text == DUTY
    assert "reason=dialogue_down" in dial(update["form"]["Twiml"]).get("action", "")


async def test_reply_voice_settings_and_handoff_from_the_dialogue(
    line: Hotline,
) -> None:
    line.twilio.requests.clear()
    line.rasa.reply = [
        {
            "text": "好的，帮您找工作人员。",
            "custom": {"handoff": True, "voice": {"rate": 120}},
        }
    ]
    try:
        async with client(line) as twilio:
            await twilio.start()
            await twilio.dtmf("3")
            await twilio.wait(lambda: bool(line.twilio.requests))
            await twilio.stop()
    finally:
        line.rasa.reply = None
    assert line.rasa.requests[-1]["message"] == "我想咨询政策"
    to_duty = dial(line.twilio.requests[-1]["form"]["Twiml"])
    assert to_duty.text == DUTY and "reason=dialogue" in to_duty.get("action", "")
    # the reply and the announcement, at the rate the dialogue asked for
    spoken = "好的，帮您找工作人员。" + prompts.transferring()
    assert await phone_audio(line, spoken, rate=120) in received(twilio)
    transfers = await await_until(
        lambda: [
            e["reason"]
            for e in getattr(call_row(line, twilio.call_sid), "events", [])
            if e["kind"] == "transfer"
        ]
    )
    assert transfers == ["dialogue"]  # not "keypad": the dialogue handed off


async def refused(line: Hotline, params: dict[str, str]) -> bool:
    """Whether a stream opened with ``params`` is closed without a word."""
    async with TwilioMediaClient(
        line.stream_url, call_sid=params["call_sid"], params=params
    ) as twilio:
        await twilio.start()
        await asyncio.wait_for(twilio.closed_by_server.wait(), 10)
    return twilio.got.media == []


async def test_a_stream_token_opens_one_stream_only(line: Hotline) -> None:
    params = stream_params(line.settings, call_sid="CA" + "7" * 32, caller=CALLER)
    async with client(line, params=params) as twilio:
        await twilio.start()
        await twilio.wait(lambda: len(twilio.got.media) > 5)
        await twilio.stop()
    assert await refused(line, params)  # replayed
    tampered = {**params, "caller": "+8613800000000"}  # someone else's number
    assert await refused(line, {**tampered, "call_sid": "CA" + "8" * 32})


async def test_an_expired_stream_token_is_refused(line: Hotline) -> None:
    old = time.time() - line.settings.phone_stream_token_ttl_s - 5
    params = stream_params(
        line.settings, call_sid="CA" + "6" * 32, caller=CALLER, now=old
    )
    assert await refused(line, params)
    assert call_row(line, params["call_sid"]) is None


async def test_a_socket_without_start_is_closed(line: Hotline) -> None:
    calls_before = len(line.services.history)
    with changed(line.settings, phone_stream_start_timeout_s=0.5):
        async with client(line) as twilio:  # sends "connected", then nothing
            await asyncio.wait_for(twilio.closed_by_server.wait(), 10)
    assert twilio.got.media == []
    await await_until(lambda: len(line.services.history) > calls_before)
    assert line.services.history[-1]["call_sid"] == "-"  # never started
    assert line.services.history[-1]["tasks_left"] == 0


async def test_database_locked_during_a_call_audio_flows_then_120_and_dial(
    line: Hotline,
) -> None:
    """Two calls: B presses 2 while the database is locked. Its emergency write
    waits in a thread, so A's reply keeps streaming meanwhile; B then hears the
    120 advice and is moved to the duty phone; the write lands once the lock goes."""
    line.twilio.requests.clear()
    async with client(line) as b, client(line) as a:
        await b.start()
        await b.wait(lambda: len(b.got.media) > 5)
        await a.start()
        await a.wait(lambda: len(a.got.media) > 5)
        with locked_database(line):
            await b.dtmf("2")
            await b.wait(lambda: bool(b.got.clears))
            waiting = len(b.got.media)
            start = len(a.got.media)
            await a.wait(lambda: len(a.got.media) >= start + 50)
            assert len(b.got.media) == waiting  # B's write still waits on the lock
            await b.wait(lambda: bool(line.twilio.of_kind("call_update")), 20)
        advice = prompts.system_down(line.settings) + prompts.transferring()
        assert await phone_audio(line, advice) in received(b)
        [update] = line.twilio.of_kind("call_update")
        assert update["path"].endswith(f"/Calls/{b.call_sid}.json")
        assert dial(update["form"]["Twiml"]).text == DUTY
        await a.stop()
        await b.stop()
    # the report was not lost: it is written once the database is free again
    emergency = await await_until(
        lambda: db_rows(line, Emergency, user_id=b.call_sid), timeout=40
    )
    assert emergency[0].caller_phone == CALLER


async def test_digits_the_dialogue_asks_for_end_with_hash_or_a_pause(
    line: Hotline,
) -> None:
    with changed(line.settings, phone_digits_pause_s=0.3):
        async with client(line) as twilio:
            await twilio.start()
            assert await keyed_number(line, twilio, "139#") == "139"
            assert await keyed_number(line, twilio, "56") == "56"  # then a pause
            await twilio.stop()


async def keyed_number(line: Hotline, twilio: TwilioMediaClient, keys: str) -> str:
    """Key 1 (meals); the dialogue asks for a number; type ``keys``; what it got."""
    line.rasa.reply = [
        {"text": "请按电话号码，按井号结束。", "custom": {"input": "digits"}}
    ]
    turns = len(line.rasa.requests)
    try:
        await twilio.dtmf("1")
        await await_until(lambda: call_expects_digits(line, twilio))
    finally:
        line.rasa.reply = None
    for key in keys:
        await twilio.dtmf(key)
    await await_until(lambda: len(line.rasa.requests) >= turns + 2)
    assert line.rasa.requests[turns]["message"] == "我要订餐"
    return str(line.rasa.requests[turns + 1]["message"])


def call_expects_digits(line: Hotline, twilio: TwilioMediaClient) -> bool:
    return any(
        c.state is not None
        and c.state.call_sid == twilio.call_sid
        and c.state.expect_digits
        for c in line.services.calls
    )


async def test_a_slow_dialogue_engine_counts_as_down(line: Hotline) -> None:
    line.rasa.delay_s = 3.0
    try:
        with changed(line.settings, phone_rasa_timeout_s=0.5):
            twilio = await moved_on_after_key(line, "3")
    finally:
        line.rasa.delay_s = 0.0
    advice = prompts.system_down(line.settings) + prompts.transferring()
    assert await phone_audio(line, advice) in received(twilio)
