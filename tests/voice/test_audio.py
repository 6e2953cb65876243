from __future__ import annotations

import asyncio
import time
import warnings

import numpy as np
import pytest

from voice.audio import (
    PACED_LEAD,
    paced,
    pcm16_to_ulaw,
    read_wav,
    resample,
    rms,
    ulaw_frames,
    ulaw_to_pcm16,
    wav_bytes,
)

ALL_SAMPLES = np.arange(-32768, 32768, dtype=np.int16)


def test_ulaw_matches_g711_reference_values() -> None:
    # G.711 μ-law: silence is 0xFF, full scale is 0x80 / 0x00
    pcm = np.array([0, -1, 32767, -32768, 8, -8], dtype=np.int16)
    assert pcm16_to_ulaw(pcm.tobytes()) == bytes([0xFF, 0x7E, 0x80, 0x00, 0xFE, 0x7E])
    decoded = np.frombuffer(ulaw_to_pcm16(bytes([0xFF, 0x7F, 0x80, 0x00])), "<i2")
    assert decoded.tolist() == [0, 0, 32124, -32124]


def test_ulaw_matches_audioop_byte_for_byte() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        audioop = pytest.importorskip("audioop")
    assert pcm16_to_ulaw(ALL_SAMPLES.tobytes()) == audioop.lin2ulaw(
        ALL_SAMPLES.tobytes(), 2
    )
    codes = bytes(range(256))
    assert ulaw_to_pcm16(codes) == audioop.ulaw2lin(codes, 2)


def test_ulaw_round_trip_error_is_small() -> None:
    back = np.frombuffer(ulaw_to_pcm16(pcm16_to_ulaw(ALL_SAMPLES.tobytes())), "<i2")
    err = np.abs(back.astype(np.int32) - ALL_SAMPLES.astype(np.int32))
    assert err.max() <= 1024  # largest μ-law step, at full scale
    assert err[32768 - 100 : 32768 + 100].max() <= 8  # fine steps near silence


def tone(freq: float, rate: int, seconds: float = 0.5) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return (np.sin(2 * np.pi * freq * t) * 10000).astype(np.int16)


def test_resample_keeps_band_and_filters_aliases() -> None:
    kept = resample(tone(1000, 22050), src_rate=22050, dst_rate=8000)
    assert kept.size == 4000
    assert rms(kept.tobytes()) > 6000
    # 6 kHz is above the 4 kHz Nyquist limit of 8 kHz audio: must not fold back
    alias = resample(tone(6000, 22050), src_rate=22050, dst_rate=8000)
    assert rms(alias[200:-200].tobytes()) < 100


def test_wav_round_trip_and_frames() -> None:
    samples = tone(440, 8000, 0.05)
    back, rate = read_wav(wav_bytes(samples, 8000))
    assert rate == 8000 and np.array_equal(back, samples)
    frames = list(ulaw_frames(b"\x00" * 330))
    assert [len(f) for f in frames] == [160, 160, 160]
    assert frames[-1][10:] == b"\xff" * 150


async def test_paced_frames_follow_a_20ms_clock() -> None:
    frames = [b"x" * 160] * (PACED_LEAD + 15)
    start = time.perf_counter()
    stamps = [time.perf_counter() - start async for _ in paced(frames)]
    assert stamps[PACED_LEAD] < 0.01  # the lead goes out at once
    assert 0.27 <= stamps[-1] <= 0.4  # then one frame per 20 ms: 14 × 20 ms
    clocked = stamps[PACED_LEAD:]
    gaps = [b - a for a, b in zip(clocked, clocked[1:], strict=False)]
    assert 0.015 < sum(gaps) / len(gaps) < 0.03
    await asyncio.sleep(0)
