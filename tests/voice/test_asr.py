"""Vosk mechanics with the Korean model (it cannot understand Mandarin; the
assertions are about partials, finals, endpointing and frame accounting)."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np

from assistant.settings import Settings
from tests.utils.cli import run_module
from voice import health
from voice.asr import AsrEngine, AsrEvent
from voice.audio import wav_bytes
from voice.status import phone_mode

SILENCE_1S = np.zeros(8000, dtype=np.int16)


def feed(
    engine: AsrEngine, samples: np.ndarray, *, elder: bool = False, chunk: int = 160
) -> tuple[list[AsrEvent], int]:
    stream = engine.stream(sample_rate=8000, elder=elder)
    data = samples.astype("<i2").tobytes()
    events: list[AsrEvent] = []
    for start in range(0, len(data), chunk * 2):
        events.extend(stream.accept(data[start : start + chunk * 2]))
    events.extend(stream.finish())
    return events, stream.samples_in


def voiced_end_s(samples: np.ndarray, threshold: float) -> float:
    """Where the last 20 ms frame louder than ``threshold`` ends."""
    frames = samples[: samples.size // 160 * 160].reshape(-1, 160).astype(np.float64)
    loud = np.flatnonzero(np.sqrt((frames**2).mean(axis=1)) >= threshold)
    return float((loud[-1] + 1) * 160 / 8000)


def with_settings(engine: AsrEngine, **changes: object) -> AsrEngine:
    clone = copy.copy(engine)
    clone.settings = engine.settings.model_copy(update=changes)
    return clone


def test_partials_then_one_final_after_silence(
    asr_engine: AsrEngine, speech_8k: np.ndarray
) -> None:
    audio = np.concatenate([SILENCE_1S[:2000], speech_8k, SILENCE_1S, SILENCE_1S])
    events, samples_in = feed(asr_engine, audio)
    kinds = [e.kind for e in events]
    assert samples_in == audio.size  # no frame dropped
    assert "partial" in kinds and kinds.count("speech_start") == 1
    finals = [e for e in events if e.kind == "final"]
    assert len(finals) == 1 and finals[0].text
    assert kinds.index("partial") < kinds.index("final")
    speech_end = voiced_end_s(audio, asr_engine.settings.asr_vad_rms)
    silence = asr_engine.settings.asr_silence_s
    assert abs(finals[0].at_s - (speech_end + silence)) <= 0.04
    assert finals[0].words and all(0.0 <= w["conf"] <= 1.0 for w in finals[0].words)
    assert finals[0].confidence is not None


def test_elder_mode_waits_longer(asr_engine: AsrEngine, speech_8k: np.ndarray) -> None:
    audio = np.concatenate([speech_8k, SILENCE_1S, SILENCE_1S, SILENCE_1S])
    normal, _ = feed(asr_engine, audio)
    elder, _ = feed(asr_engine, audio, elder=True)
    end_normal = next(e.at_s for e in normal if e.kind == "final")
    end_elder = next(e.at_s for e in elder if e.kind == "final")
    expected = (
        asr_engine.settings.asr_silence_elder_s - asr_engine.settings.asr_silence_s
    )
    assert abs((end_elder - end_normal) - expected) < 0.3


def test_a_pause_shorter_than_the_silence_does_not_split(
    asr_engine: AsrEngine, speech_8k: np.ndarray
) -> None:
    voiced = speech_8k[
        : int(voiced_end_s(speech_8k, asr_engine.settings.asr_vad_rms) * 8000)
    ]
    pause = SILENCE_1S[:4800]  # 0.6 s: Vosk's own endpointer fires, ours must not
    audio = np.concatenate([voiced, pause, voiced, SILENCE_1S, SILENCE_1S])
    events, _ = feed(asr_engine, audio, chunk=800)
    assert [e.kind for e in events].count("final") == 1


def test_silence_only_gives_nothing_and_odd_chunks_are_kept(
    asr_engine: AsrEngine,
) -> None:
    events, samples_in = feed(asr_engine, np.zeros(12345, dtype=np.int16), chunk=333)
    assert events == [] and samples_in == 12345


def test_max_utterance_length_forces_a_final(
    asr_engine: AsrEngine, speech_8k: np.ndarray
) -> None:
    engine = with_settings(asr_engine, asr_max_utterance_s=1.0)
    events, _ = feed(engine, speech_8k, chunk=1600)
    assert [e.kind for e in events].count("final") >= 2


def test_grammar_restricts_the_vocabulary(
    asr_engine: AsrEngine, speech_8k: np.ndarray
) -> None:
    stream = asr_engine.stream(sample_rate=8000, grammar=["네", "아니요"])
    stream.accept(np.concatenate([speech_8k, SILENCE_1S, SILENCE_1S]).tobytes())
    for event in stream.finish():
        assert set(event.text.split()) <= {"네", "아니요", "[unk]"}


def test_missing_and_wrong_models_are_reported_not_raised(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path)
    engine = AsrEngine(settings)
    assert engine.load() is False and "models install" in (engine.error or "")
    info = health(settings)
    assert info["asr"]["ok"] is False and info["phone"]["mode"] == "gather"
    (tmp_path / "bogus").mkdir()
    wrong = Settings(var_dir=tmp_path, asr_model_path=str(tmp_path / "bogus"))
    engine = AsrEngine(wrong)
    assert engine.load() is False and "am/final.mdl" in (engine.error or "")
    assert health(wrong)["asr"]["ok"] is False


def test_mode_selection(voice_settings: Settings) -> None:
    info = health(voice_settings)
    assert info["asr"]["ok"] and not info["asr"]["chinese"]
    assert info["phone"]["mode"] == "gather"  # a Korean model is not enough
    assert phone_mode(voice_settings, chinese_model=True)[0] == "stream"
    stream = voice_settings.model_copy(update={"phone_mode": "stream"})
    assert phone_mode(stream, chinese_model=False) == (
        "stream",
        "configured; no Chinese model: keypad only",
    )


def test_cli_transcribe(
    tmp_path: Path, speech_8k: np.ndarray, voice_settings: Settings
) -> None:
    wav = tmp_path / "in.wav"
    wav.write_bytes(wav_bytes(np.concatenate([speech_8k, SILENCE_1S]), 8000))
    env = {
        "ASSISTANT_VAR_DIR": str(tmp_path),
        "PATH": "/usr/bin:/bin",
        "ASSISTANT_ASR_MODEL_PATH": voice_settings.asr_model_path,
    }
    result = run_module("voice", "transcribe", str(wav), env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    assert '"text"' in result.stdout
    env.pop("ASSISTANT_ASR_MODEL_PATH")
    missing = run_module("voice", "transcribe", str(wav), env=env)
    assert missing.returncode == 2 and "models install" in missing.stderr


def test_health_stays_callable_after_submodules_load(voice_settings: Settings) -> None:
    import voice
    import voice.asr  # noqa: F401
    import voice.status  # noqa: F401

    assert callable(voice.health)
    assert set(voice.health(voice_settings)) == {"asr", "tts", "phone"}
