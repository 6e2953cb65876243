"""``python -m assistant staff``: hashes for .env and database accounts, run as a user would."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select

from assistant.app import create_app
from assistant.db import StaffUser, session_scope
from assistant.services import staff_accounts
from assistant.settings import Settings
from tests.utils.staff import login, run_staff_cli, same_origin_client


def staff_cli(
    tmp_path: Path, *args: str, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    return run_staff_cli(
        *args, database_url=url, var_dir=tmp_path, stdin=stdin, env=env
    )


def test_hash_prints_an_argon2_hash_that_logs_in(tmp_path: Path) -> None:
    done = staff_cli(tmp_path, "hash", "--password-stdin", stdin="值班 ｐａｓｓ 1\n")
    assert done.returncode == 0, done.stderr
    [line] = done.stdout.splitlines()
    assert line.startswith("$argon2id$")
    assert "ｐａｓｓ" not in done.stdout and "pass" not in done.stdout
    assert staff_accounts.verify_password(line, "值班 pass 1")  # NFKC
    assert not staff_accounts.verify_password(line, "值班 pass 2")
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=f"sqlite:///{tmp_path / 'app.db'}",
        var_dir=tmp_path,
        run_workers=False,
        staff_users={"值班员": line},
        app_host="0.0.0.0",  # a hash, unlike a plain password, is fine beyond loopback
        session_secret="s" * 32,
        rasa_token="r" * 32,
        action_token="a" * 32,
    )
    with same_origin_client(create_app(settings)) as client:
        login(client, "值班员", "值班 ｐａｓｓ 1")


def test_hash_refuses_an_empty_password(tmp_path: Path) -> None:
    done = staff_cli(tmp_path, "hash", "--password-stdin", stdin="\n")
    assert done.returncode != 0 and "empty" in done.stderr
    assert "$argon2" not in done.stdout


def test_add_list_replace_and_remove_database_accounts(tmp_path: Path) -> None:
    added = staff_cli(tmp_path, "add", "王芳", "--password-stdin", stdin="第一个密码\n")
    assert added.returncode == 0, added.stderr
    again = staff_cli(tmp_path, "add", "王芳", "--password-stdin", stdin="x\n")
    assert again.returncode == 1 and "--replace" in again.stderr
    assert staff_cli(tmp_path, "list").stdout.split() == ["王芳"]
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    with session_scope(url) as db:
        stored = db.scalars(
            select(StaffUser.password_hash).where(StaffUser.name == "王芳")
        ).one()
    assert stored.startswith("$argon2id$") and "第一个密码" not in stored
    replaced = staff_cli(
        tmp_path, "add", "王芳", "--replace", "--password-stdin", stdin="第二个密码\n"
    )
    assert replaced.returncode == 0, replaced.stderr
    with session_scope(url) as db:
        settings = Settings(_env_file=None, database_url=url)  # type: ignore[call-arg]
        for password, ok in (("第一个密码", False), ("第二个密码", True)):
            found = staff_accounts.check_password(
                db, settings, name="王芳", password=password
            )
            assert found is ok
    assert staff_cli(tmp_path, "remove", "王芳").returncode == 0
    missing = staff_cli(tmp_path, "remove", "王芳")
    assert missing.returncode == 1 and "no database account" in missing.stderr
    env = {"ASSISTANT_STAFF_USERS": json.dumps({"王芳": "$argon2id$placeholder"})}
    in_settings = staff_cli(tmp_path, "remove", "王芳", env=env)
    assert in_settings.returncode == 1 and "ASSISTANT_STAFF_USERS" in in_settings.stderr
    assert staff_cli(tmp_path, "list").stdout.split() == []


@pytest.mark.parametrize("name", ["王芳", " 王芳 "])
def test_a_name_defined_in_settings_cannot_be_added(tmp_path: Path, name: str) -> None:
    env = {"ASSISTANT_STAFF_USERS": json.dumps({"王芳": "$argon2id$placeholder"})}
    done = staff_cli(
        tmp_path, "add", name, "--password-stdin", stdin="pw-123\n", env=env
    )
    assert done.returncode == 1 and "ASSISTANT_STAFF_USERS" in done.stderr
