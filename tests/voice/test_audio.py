from __future__ import annotations

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


class VirtualClock:
    """Time that moves only when paced() sleeps or the test says so."""

    def __init__(self) -> None:
        self.now = 0.0

    def time(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


async def test_paced_frames_follow_a_20ms_clock() -> None:
    clock = VirtualClock()
    frames = [b"x" * 160] * (PACED_LEAD + 15)
    stamps = [
        clock.now async for _ in paced(frames, clock=clock.time, sleep=clock.sleep)
    ]
    assert stamps[: PACED_LEAD + 1] == [0.0] * (PACED_LEAD + 1)  # the lead at once
    # then one frame per 20 ms: 14 × 20 ms after the lead
    assert stamps[PACED_LEAD:] == pytest.approx([0.02 * i for i in range(15)])


async def test_paced_frames_catch_up_after_a_late_one() -> None:
    """A stall delays the frames due meanwhile, not every frame after it (no drift)."""
    clock = VirtualClock()
    frames = [b"x" * 160] * (PACED_LEAD + 10)
    stamps = []
    async for _ in paced(frames, clock=clock.time, sleep=clock.sleep):
        stamps.append(clock.now)
        if len(stamps) == PACED_LEAD + 2:
            clock.now += 0.05  # the sender stalls for 2.5 frames
    late = stamps[PACED_LEAD + 2 :]
    # frames due at 40 and 60 ms leave at 70 ms; from 80 ms on the clock holds again
    assert late == pytest.approx([0.07, 0.07, 0.08, 0.1, 0.12, 0.14, 0.16, 0.18])
