"""Reading what the hotline sent: TwiML documents and media-stream audio."""

from __future__ import annotations

import sqlite3
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

from bench.sim.caller import TwilioMediaClient
from bench.sim.hotline import Hotline
from voice.audio import ulaw_frames


def plays(twiml: str) -> list[str]:
    """URLs of every ``<Play>``, in order (inside a Gather or not)."""
    return [el.text or "" for el in ET.fromstring(twiml).iter("Play")]


def audio_key(url: str) -> str:
    return url.rsplit("/", 1)[-1].removesuffix(".wav")


def key_of(line: Hotline, text: str, *, elder: bool = True, **voice: Any) -> str:
    """The audio key our TTS gives ``text`` (what a ``<Play>`` URL ends with)."""
    tts = line.services.tts
    return tts.key(text, tts.params(elder=elder, overrides=voice or None))


def said(twiml: str) -> list[str]:
    """Audio keys of what a TwiML document plays."""
    return [audio_key(url) for url in plays(twiml)]


def dial(twiml: str) -> ET.Element:
    """The one ``<Dial>`` of a document."""
    [element] = list(ET.fromstring(twiml).iter("Dial"))
    return element


def gather(twiml: str) -> ET.Element:
    [element] = list(ET.fromstring(twiml).iter("Gather"))
    return element


def path_of(url: str) -> str:
    """``/path?query`` of an action URL, to post to as Twilio would."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


async def phone_audio(line: Hotline, text: str, **voice: Any) -> bytes:
    """The μ-law frames the hotline sends for ``text`` (elder voice), joined."""
    audio = await line.services.tts.phone_audio(
        text, elder=True, overrides=voice or None, rate=8000
    )
    return b"".join(ulaw_frames(audio, rate=8000))


def received(twilio: TwilioMediaClient) -> bytes:
    """Every audio frame the caller received so far, joined."""
    return b"".join(frame for _, frame in twilio.got.media)


@contextmanager
def locked_database(line: Hotline) -> Iterator[None]:
    """Hold SQLite's write lock (as a long transaction elsewhere would)."""
    path = line.settings.effective_database_url.removeprefix("sqlite:///")
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("BEGIN EXCLUSIVE")
        yield
    finally:
        conn.rollback()
        conn.close()


@contextmanager
def changed(settings: Any, **values: Any) -> Iterator[None]:
    """Change settings of a running hotline for one test."""
    before = {name: getattr(settings, name) for name in values}
    for name, value in values.items():
        setattr(settings, name, value)
    try:
        yield
    finally:
        for name, value in before.items():
            setattr(settings, name, value)
