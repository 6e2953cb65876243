"""Voice fixtures: the Korean Vosk model (loaded once) and real espeak-ng audio."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from assistant.settings import Settings
from bench.sim.models import korean_model_path
from voice.asr import AsrEngine
from voice.audio import resample
from voice.tts import TtsEngine


@pytest.fixture(scope="session")
def voice_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings with the Korean model and a private var dir (cache shared per run)."""
    return Settings(
        var_dir=tmp_path_factory.mktemp("var"),
        asr_model_path=str(korean_model_path()),
        asr_model_lang="ko",
    )


@pytest.fixture(scope="session")
def asr_engine(voice_settings: Settings) -> Iterator[AsrEngine]:
    engine = AsrEngine(voice_settings)
    assert engine.load(), engine.error
    yield engine
    engine.close()


@pytest.fixture(scope="session")
def tts_engine(voice_settings: Settings) -> Iterator[TtsEngine]:
    engine = TtsEngine(voice_settings)
    yield engine
    engine.close()


@pytest.fixture(scope="session")
def speech_8k(tts_engine: TtsEngine) -> np.ndarray:
    """About two seconds of Mandarin from espeak-ng, at 8 kHz."""
    speech = tts_engine.synth_blocking(
        "您好，我想订一份午饭。", tts_engine.params(elder=False)
    )
    return resample(speech.samples, src_rate=speech.rate, dst_rate=8000)
