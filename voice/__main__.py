"""``python -m voice``: say, transcribe, and manage Vosk models.

python -m voice say "您好" -o out.wav [--elder] [--rate 8000]
python -m voice transcribe in.wav
python -m voice models install small-cn [--from-file model.zip] | list | remove NAME
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.settings import get_settings

if TYPE_CHECKING:
    pass


def _say(args: argparse.Namespace) -> int:
    from voice.tts import TtsEngine, TtsError

    engine = TtsEngine(get_settings())
    params = engine.params(elder=args.elder)
    start = time.perf_counter()
    try:
        data = engine.wav_file_blocking(args.text, params, rate=args.rate)
    except TtsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    Path(args.output).write_bytes(data)
    from voice.audio import read_wav

    samples, rate = read_wav(data)
    print(
        f"{args.output}: voice {params.voice}, rate {params.rate} wpm, {rate} Hz, "
        f"{samples.size / rate:.2f} s, made in {time.perf_counter() - start:.2f} s"
    )
    return 0


def _transcribe(args: argparse.Namespace) -> int:
    from voice.asr import AsrEngine
    from voice.transcribe import transcribe_file

    engine = AsrEngine(get_settings())
    if not engine.load():
        print(f"error: {engine.error}", file=sys.stderr)
        return 2
    start = time.perf_counter()
    events = transcribe_file(engine, Path(args.input))
    for event in events:
        print(
            json.dumps(
                {
                    "text": event.text,
                    "confidence": event.confidence,
                    "end_s": round(event.at_s, 2),
                },
                ensure_ascii=False,
            )
        )
    print(f"({time.perf_counter() - start:.2f} s)", file=sys.stderr)
    return 0


def _models(args: argparse.Namespace) -> int:
    from voice import models

    settings = get_settings()
    if args.action == "list":
        for entry in models.CATALOG.values():
            print(
                f"{entry.name:9} {entry.folder:26} {entry.size_mb:>5} MB  {entry.url}"
            )
        rows = models.installed(settings)
        print("installed:" if rows else "installed: none")
        for row in rows:
            mark = "*" if row["active"] else " "
            print(f" {mark} {row['name']:9} {row['lang'] or '?':3} {row['path']}")
        return 0
    if not args.name:
        print("error: give a model name", file=sys.stderr)
        return 2
    try:
        if args.action == "install":
            from_file = Path(args.from_file) if args.from_file else None
            path = models.install(settings, name=args.name, from_file=from_file)
            print(f"installed {args.name} into {path} (now active)")
        elif not models.remove(settings, name=args.name):
            print(f"{args.name} is not installed", file=sys.stderr)
            return 1
        else:
            print(f"removed {args.name}")
    except models.ModelError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m voice")
    sub = parser.add_subparsers(dest="command", required=True)
    say = sub.add_parser("say", help="synthesise Mandarin speech to a WAV file")
    say.add_argument("text")
    say.add_argument("-o", "--output", required=True)
    say.add_argument("--elder", action="store_true", help="slower, clearer speech")
    say.add_argument(
        "--rate", type=int, default=None, help="resample to this rate (Hz)"
    )
    say.set_defaults(func=_say)
    tr = sub.add_parser("transcribe", help="recognise a 16-bit WAV file")
    tr.add_argument("input")
    tr.set_defaults(func=_transcribe)
    mod = sub.add_parser("models", help="install, list or remove Vosk models")
    mod.add_argument("action", choices=["install", "list", "remove"])
    mod.add_argument("name", nargs="?")
    mod.add_argument("--from-file", help="install from a downloaded ZIP")
    mod.set_defaults(func=_models)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    status: int = args.func(args)
    return status


if __name__ == "__main__":
    sys.exit(main())
