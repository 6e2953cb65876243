"""Audio plumbing: G.711 μ-law, resampling, WAV files and 20 ms frame pacing.

``audioop`` is deprecated (removed in Python 3.13) and resamples without an
anti-alias filter, so the codec here is a numpy table that matches the standard
G.711 μ-law (and ``audioop.lin2ulaw``) byte for byte, and resampling uses soxr.
"""

from __future__ import annotations

import asyncio
import functools
import io
import wave
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import numpy as np

PHONE_RATE = 8000
FRAME_MS = 20
# Frames sent ahead of the clock so the far end never runs dry when this process
# is briefly descheduled; costs nothing on barge-in, as ``clear`` drops them.
PACED_LEAD = 10
_BIAS = 0x84
_CLIP = 8159
_SEG_END = np.array([0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF])


@functools.cache
def _encode_table() -> np.ndarray:
    """μ-law byte for every 16-bit sample, indexed by the sample as uint16."""
    pcm = np.arange(-32768, 32768, dtype=np.int32) >> 2  # 14-bit, as G.711 works
    mask = np.where(pcm < 0, 0x7F, 0xFF)
    mag = np.minimum(np.abs(pcm), _CLIP) + (_BIAS >> 2)
    seg = np.searchsorted(_SEG_END, mag)  # first segment end >= magnitude
    mant = (mag >> np.minimum(seg + 1, 8)) & 0x0F
    uval = np.where(seg >= 8, 0x7F, (seg << 4) | mant)
    table = (uval ^ mask).astype(np.uint8)
    # reorder so that index = sample viewed as uint16
    return np.concatenate([table[32768:], table[:32768]])


@functools.cache
def _decode_table() -> np.ndarray:
    """16-bit sample for every μ-law byte."""
    u = ~np.arange(256, dtype=np.int32) & 0xFF
    exponent = (u >> 4) & 0x07
    mantissa = u & 0x0F
    t = ((mantissa << 3) + _BIAS) << exponent
    return np.where(u & 0x80, _BIAS - t, t - _BIAS).astype(np.int16)


def pcm16_to_ulaw(pcm: bytes | np.ndarray) -> bytes:
    """Encode little-endian 16-bit PCM to G.711 μ-law bytes (one per sample)."""
    samples = np.frombuffer(pcm, dtype="<i2") if isinstance(pcm, bytes) else pcm
    return bytes(_encode_table()[samples.astype(np.int16).view(np.uint16)])


def ulaw_to_pcm16(data: bytes) -> bytes:
    """Decode G.711 μ-law bytes to little-endian 16-bit PCM."""
    codes = np.frombuffer(data, dtype=np.uint8)
    return _decode_table()[codes].astype("<i2").tobytes()


def resample(samples: np.ndarray, *, src_rate: int, dst_rate: int) -> np.ndarray:
    """Resample 16-bit mono samples with soxr (band-limited, no aliasing).

    Returns:
        int16 samples at ``dst_rate``.
    """
    if src_rate == dst_rate or samples.size == 0:
        return samples.astype(np.int16)
    import soxr  # imported lazily: no work at import time

    floats = samples.astype(np.float32) / 32768.0
    out = soxr.resample(floats, src_rate, dst_rate, quality="HQ")
    return np.clip(np.round(out * 32768.0), -32768, 32767).astype(np.int16)


def rms(pcm: bytes) -> float:
    """Root mean square level of 16-bit PCM (0 for empty input)."""
    samples = np.frombuffer(pcm[: len(pcm) // 2 * 2], dtype="<i2")
    if samples.size == 0:
        return 0.0
    return float(np.sqrt(np.mean(samples.astype(np.float64) ** 2)))


def read_wav(source: Path | bytes) -> tuple[np.ndarray, int]:
    """Read a 16-bit WAV (mono, or the first channel) into int16 samples.

    Raises:
        ValueError: not a 16-bit PCM WAV file.
    """
    handle = io.BytesIO(source) if isinstance(source, bytes) else open(source, "rb")
    with handle, wave.open(handle, "rb") as wav:
        if wav.getsampwidth() != 2:
            raise ValueError("only 16-bit PCM WAV is supported")
        rate, channels = wav.getframerate(), wav.getnchannels()
        samples = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
    return samples[::channels].copy(), rate


def wav_bytes(samples: np.ndarray, rate: int) -> bytes:
    """16-bit mono WAV file contents for ``samples``."""
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(samples.astype("<i2").tobytes())
    return out.getvalue()


def ulaw_frames(data: bytes, *, rate: int = PHONE_RATE) -> Iterator[bytes]:
    """Split μ-law audio into 20 ms frames; the last one is padded with silence."""
    size = rate * FRAME_MS // 1000
    for start in range(0, len(data), size):
        frame = data[start : start + size]
        yield frame + b"\xff" * (size - len(frame))


async def paced(
    frames: list[bytes],
    *,
    frame_s: float = FRAME_MS / 1000,
    clock: Callable[[], float] | None = None,
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
) -> AsyncIterator[bytes]:
    """Yield frames on a 20 ms clock anchored at the first one (no drift).

    The first ``PACED_LEAD`` frames go out at once so the far end never runs dry.
    ``clock`` and ``sleep`` default to the running loop's; a test passes a virtual
    clock to check the schedule without waiting on real time.
    """
    now = clock or asyncio.get_running_loop().time
    start = now()
    for index, frame in enumerate(frames):
        due = start + max(0, index - PACED_LEAD) * frame_s
        delay = due - now()
        if delay > 0:
            await sleep(delay)
        yield frame
