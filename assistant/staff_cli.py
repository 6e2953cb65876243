"""``python -m assistant staff ...``: manage staff console accounts.

``staff hash`` prints an argon2 hash for ``ASSISTANT_STAFF_USERS`` in ``.env``;
``staff add NAME`` / ``staff remove NAME`` / ``staff list`` manage the accounts
kept in the database. Passwords are asked for twice without echo, or read from
one line of standard input with ``--password-stdin`` (for scripts).
"""

from __future__ import annotations

import argparse
import getpass
import sys

from assistant.settings import Settings


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the ``staff`` command and its sub-commands."""
    staff = sub.add_parser("staff", help="manage staff console accounts")
    actions = staff.add_subparsers(dest="staff_command", required=True)
    hash_cmd = actions.add_parser("hash", help="print an argon2 hash for .env")
    add = actions.add_parser("add", help="add a database account")
    add.add_argument("name")
    add.add_argument(
        "--replace", action="store_true", help="set a new password for an account"
    )
    remove = actions.add_parser("remove", help="remove an account; ends its sessions")
    remove.add_argument("name")
    actions.add_parser("list", help="list the database accounts")
    for command in (hash_cmd, add):
        command.add_argument(
            "--password-stdin",
            action="store_true",
            help="read the password from one line of standard input",
        )


def read_password(*, from_stdin: bool) -> str:
    """The new password: one stdin line, or typed twice at a prompt."""
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("password: ")
        if getpass.getpass("again: ") != password:
            raise SystemExit("the two passwords differ; nothing changed")
    if not password:
        raise SystemExit("an empty password is not allowed; nothing changed")
    return password


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Carry out one ``staff`` sub-command; the process exit code."""
    from assistant.db import session_scope, upgrade_database
    from assistant.services import staff_accounts

    if args.staff_command == "hash":
        password = read_password(from_stdin=args.password_stdin)
        print(staff_accounts.hash_password(password))
        return 0
    url = settings.effective_database_url
    upgrade_database(url)
    with session_scope(url) as session:
        if args.staff_command == "list":
            for name in staff_accounts.list_users(session):
                print(name)
            return 0
        if args.staff_command == "remove":
            if not staff_accounts.remove_user(session, name=args.name):
                where = (
                    "it is defined in ASSISTANT_STAFF_USERS: remove it there and "
                    "restart the app"
                    if staff_accounts.in_settings(
                        settings, staff_accounts.normalise_name(args.name)
                    )
                    else "no database account has that name"
                )
                print(f"!! {args.name!r} not removed: {where}", file=sys.stderr)
                return 1
            print(f"removed {args.name!r}; their sessions have ended")
            return 0
        password = read_password(from_stdin=args.password_stdin)
        try:
            name = staff_accounts.add_user(
                session,
                settings,
                name=args.name,
                password=password,
                replace=args.replace,
            )
        except staff_accounts.StaffAccountError as exc:
            print(f"!! {exc}", file=sys.stderr)
            return 1
        print(f"{'updated' if args.replace else 'added'} {name!r}")
        return 0
