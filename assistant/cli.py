"""Command line of the assistant core: ``python -m assistant <command>``."""

from __future__ import annotations

import argparse
import logging

from assistant import staff_cli
from assistant.settings import PROJECT_ROOT, Settings, get_settings


def settings_table() -> str:
    """Markdown table of every setting, for the README."""
    rows = ["| variable | default | what it is |", "|---|---|---|"]
    for name, info in Settings.model_fields.items():
        default = info.get_default(call_default_factory=True)
        shown = (
            ""
            if default in ("", None)
            else str(default).replace(str(PROJECT_ROOT), ".")
        )
        rows.append(f"| `ASSISTANT_{name.upper()}` | `{shown}` | {info.description} |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m assistant")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser(
        "run", help="train if needed, start Rasa and the app, supervise them"
    )
    sub.add_parser("migrate", help="bring the database to the newest schema")
    train = sub.add_parser("train", help="train the Rasa model if its inputs changed")
    train.add_argument("--force", action="store_true")
    sub.add_parser("settings-doc", help="print the settings table for the README")
    staff_cli.add_parser(sub)
    args = parser.parse_args(argv)

    settings = get_settings()
    logging.basicConfig(
        level=settings.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # Alembic announces each of its plugins at INFO on import: noise for a CLI.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    if args.command == "run":
        from assistant.launcher import run

        run(settings)
    elif args.command == "migrate":
        from assistant.db import upgrade_database

        upgrade_database(settings.effective_database_url)
    elif args.command == "train":
        from assistant.rasa_project import ensure_model

        print(ensure_model(settings, force=args.force))
    elif args.command == "settings-doc":
        print(settings_table())
    elif args.command == "staff":
        return staff_cli.run(args, settings)
    return 0
