from __future__ import annotations

from pathlib import Path

import numpy as np

from tests.utils.cli import run_module
from voice.audio import read_wav, rms, ulaw_to_pcm16
from voice.tts import TtsEngine

SENTENCE = "您好，今天中午的饭十一点半送到。"


def test_synthesises_mandarin_audio_and_caches_it(tts_engine: TtsEngine) -> None:
    params = tts_engine.params(elder=False)
    first = tts_engine.synth_blocking(SENTENCE, params)
    assert first.rate == 22050 and not first.cached
    assert 2.0 < first.samples.size / first.rate < 8.0
    assert rms(first.samples.tobytes()) > 500  # real speech, not silence
    again = tts_engine.synth_blocking(SENTENCE, params)
    assert again.cached and again.key == first.key
    assert np.array_equal(again.samples, first.samples)


def test_elder_mode_is_slower_and_keyed_separately(tts_engine: TtsEngine) -> None:
    normal = tts_engine.synth_blocking(SENTENCE, tts_engine.params(elder=False))
    elder = tts_engine.synth_blocking(SENTENCE, tts_engine.params(elder=True))
    assert elder.key != normal.key
    assert elder.samples.size > normal.samples.size * 1.15


def test_reply_voice_overrides_are_clamped(tts_engine: TtsEngine) -> None:
    params = tts_engine.params(elder=True, overrides={"rate": 20, "volume": 3})
    assert params.rate == 80 and params.volume == 1.0


async def test_phone_audio_is_8khz_ulaw(tts_engine: TtsEngine) -> None:
    data = await tts_engine.phone_audio("请按二", elder=True)
    pcm = np.frombuffer(ulaw_to_pcm16(data), "<i2")
    speech = tts_engine.synth_blocking("请按二", tts_engine.params(elder=True))
    assert abs(len(data) - speech.samples.size * 8000 / speech.rate) < 80
    assert rms(pcm.tobytes()) > 300
    assert await tts_engine.phone_audio("请按二", elder=True) == data  # from cache


def test_cli_say_writes_wav(tmp_path: Path) -> None:
    out = tmp_path / "x.wav"
    env = {"ASSISTANT_VAR_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    result = run_module("voice", "say", SENTENCE, "--elder", "-o", str(out), env=env)
    assert result.returncode == 0, result.stderr
    samples, rate = read_wav(out)
    assert rate == 22050 and samples.size / rate > 3.0
    assert "sit/cmn-Latn-pinyin" in result.stdout
