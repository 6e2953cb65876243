"""Staff login against the real app and a real SQLite database: lockout, sessions, Unicode."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from itsdangerous import Signer
from sqlalchemy import update

from assistant.app import create_app
from assistant.db import StaffSession, session_scope, upgrade_database, utcnow
from assistant.services import staff_accounts, staff_sessions
from assistant.settings import Settings
from bench.sim.serve import serve_app
from bench.sim.stack import free_port
from tests.utils.services import fresh_postgres_database
from tests.utils.staff import (
    STAFF_PASSWORD,
    STAFF_USER,
    login,
    run_staff_cli,
    same_origin_client,
    staff_app_settings,
)

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture()
def settings(tmp_path: Path) -> Settings:
    return staff_app_settings(tmp_path)


@pytest.fixture()
def client(settings: Settings) -> Iterator[TestClient]:
    with same_origin_client(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture()
def live_url(settings: Settings) -> Iterator[str]:
    """The app served by uvicorn on loopback, so clients have real source addresses."""
    port = free_port()
    with serve_app(create_app(settings), port):
        yield f"http://127.0.0.1:{port}"


def _client_from(url: str, address: str) -> httpx.Client:
    transport = httpx.HTTPTransport(local_address=address)
    return httpx.Client(
        base_url=url, headers={"Origin": url}, transport=transport, timeout=30
    )


def _login_status(client: httpx.Client, password: str) -> httpx.Response:
    body = {"username": STAFF_USER, "password": password}
    return client.post("/api/staff/login", json=body)


def test_eight_wrong_passwords_lock_the_name_for_that_address_only(
    live_url: str, settings: Settings
) -> None:
    with _client_from(live_url, "127.0.0.1") as guesser:
        answers = [_login_status(guesser, f"guess-{i}") for i in range(8)]
        assert [a.status_code for a in answers] == [401] * 4 + [429] * 4
        locked = answers[-1]
        minutes = int(settings.staff_lockout_minutes)
        assert CJK.search(locked.json()["detail"])
        assert f"{minutes}分钟" in locked.json()["detail"]
        assert 0 < int(locked.headers["Retry-After"]) <= minutes * 60
        # The right password is refused too while the lockout lasts.
        right = _login_status(guesser, STAFF_PASSWORD)
        assert right.status_code == 429 and "staff_session" not in right.cookies
    with _client_from(live_url, "127.0.0.2") as colleague:
        assert _login_status(colleague, STAFF_PASSWORD).status_code == 200
        assert colleague.get("/api/staff/me").json() == {"staff": STAFF_USER}
    # Failures live in the database: another worker (or a restart) sees the lockout.
    other_worker = create_app(settings)
    with same_origin_client(other_worker, client=("127.0.0.1", 40000)) as again:
        body = {"username": STAFF_USER, "password": STAFF_PASSWORD}
        assert again.post("/api/staff/login", json=body).status_code == 429


def test_lockout_counts_recent_failures_and_ends_on_time(settings: Settings) -> None:
    now = utcnow()
    key = {"name": "tester", "ip": "10.0.0.9"}
    with session_scope(settings.effective_database_url) as db:
        for minutes_ago in (40, 39, 38, 37):  # four old ones and one new: no lock
            staff_sessions.record_failure(
                db, settings, **key, now=now - dt.timedelta(minutes=minutes_ago)
            )
        staff_sessions.record_failure(db, settings, **key, now=now)
        assert staff_sessions.lockout_remaining(db, settings, **key, now=now) is None
        for _ in range(4):
            staff_sessions.record_failure(db, settings, **key, now=now)
        remaining = staff_sessions.lockout_remaining(db, settings, **key, now=now)
        assert remaining == dt.timedelta(minutes=settings.staff_lockout_minutes)
        later = now + dt.timedelta(minutes=settings.staff_lockout_minutes, seconds=1)
        assert staff_sessions.lockout_remaining(db, settings, **key, now=later) is None


def test_unknown_names_lock_out_like_known_ones(client: TestClient) -> None:
    body = {"username": "nobody", "password": "x"}
    codes = [client.post("/api/staff/login", json=body).status_code for _ in range(6)]
    assert codes == [401] * 4 + [429] * 2


def test_logout_ends_the_session_on_the_server(
    client: TestClient, settings: Settings
) -> None:
    login(client)
    stolen = client.cookies["staff_session"]
    with same_origin_client(client.app) as thief:  # type: ignore[arg-type]
        thief.cookies.set("staff_session", stolen)
        assert thief.get("/api/staff/me").status_code == 200
        assert client.post("/api/staff/logout").json() == {"ok": True}
        assert thief.get("/api/staff/me").status_code == 401
    assert client.get("/api/staff/me").status_code == 401
    with session_scope(settings.effective_database_url) as db:
        assert staff_sessions.count_sessions(db, STAFF_USER) == 0


def _cli(
    settings: Settings, *args: str, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    return run_staff_cli(
        *args,
        database_url=settings.effective_database_url,
        var_dir=settings.var_dir,
        stdin=stdin,
    )


def test_removing_a_member_ends_their_sessions_at_once(
    client: TestClient, settings: Settings
) -> None:
    added = _cli(settings, "add", "王芳", "--password-stdin", stdin="值班 密码\n")
    assert added.returncode == 0, added.stderr
    login(client, "王芳", "值班 密码")
    assert client.get("/api/staff/me").json() == {"staff": "王芳"}
    removed = _cli(settings, "remove", "王芳")
    assert removed.returncode == 0, removed.stderr
    assert client.get("/api/staff/me").status_code == 401
    assert client.post("/api/staff/emergencies/1/ack").status_code == 401


def test_a_new_password_ends_the_old_sessions(
    client: TestClient, settings: Settings
) -> None:
    with session_scope(settings.effective_database_url) as db:
        staff_accounts.add_user(db, settings, name="李明", password="old-password")
    login(client, "李明", "old-password")
    with session_scope(settings.effective_database_url) as db:
        staff_accounts.add_user(
            db, settings, name="李明", password="new-password", replace=True
        )
    assert client.get("/api/staff/me").status_code == 401
    login(client, "李明", "new-password")


def test_a_member_dropped_from_settings_is_logged_out(
    client: TestClient, settings: Settings
) -> None:
    login(client)
    cookie = client.cookies["staff_session"]
    restarted = create_app(settings.model_copy(update={"staff_users": {}}))
    with same_origin_client(restarted) as after_restart:
        after_restart.cookies.set("staff_session", cookie)
        assert after_restart.get("/api/staff/me").status_code == 401


def test_sessions_expire_when_idle_and_after_the_absolute_limit(
    client: TestClient, settings: Settings
) -> None:
    url = settings.effective_database_url
    idle = dt.timedelta(minutes=settings.staff_session_idle_minutes + 1)
    longest = dt.timedelta(hours=settings.staff_session_max_hours, minutes=1)
    for column, age in (("last_seen_at", idle), ("created_at", longest)):
        login(client)
        assert client.get("/api/staff/me").status_code == 200
        with session_scope(url) as db:
            db.execute(update(StaffSession).values({column: utcnow() - age}))
        assert client.get("/api/staff/me").status_code == 401, column


def test_the_cookie_is_a_signed_random_id_and_forgeries_fail(
    client: TestClient, settings: Settings
) -> None:
    response = client.post(
        "/api/staff/login", json={"username": STAFF_USER, "password": STAFF_PASSWORD}
    )
    set_cookie = response.headers["set-cookie"].lower()
    assert "httponly" in set_cookie and "samesite=strict" in set_cookie
    cookie = client.cookies["staff_session"]
    assert STAFF_USER not in cookie
    forged_id = Signer(settings.session_secret, salt="staff-session").sign("made-up")
    wrong_key = Signer("another-secret-entirely", salt="staff-session").sign(
        cookie.rsplit(".", 1)[0]
    )
    for value in ("garbage", forged_id.decode(), wrong_key.decode()):
        with same_origin_client(client.app) as forger:  # type: ignore[arg-type]
            forger.cookies.set("staff_session", value)
            assert forger.get("/api/staff/me").status_code == 401


@pytest.mark.parametrize(
    ("stored", "typed"),
    [
        ("长者服务😀 ñ 密码", "长者服务😀 ñ 密码"),
        ("ｐａｓｓ１２３", "pass123"),  # full-width input-method text, NFKC
        ("pass123", "ｐａｓｓ１２３"),
    ],
)
def test_any_unicode_password_works(
    client: TestClient, settings: Settings, stored: str, typed: str
) -> None:
    with session_scope(settings.effective_database_url) as db:
        staff_accounts.add_user(db, settings, name="张 丽", password=stored)
    refused = client.post(
        "/api/staff/login", json={"username": "张 丽", "password": typed + "x"}
    )
    assert refused.status_code == 401
    login(client, "张 丽", typed)
    assert client.get("/api/staff/me").json() == {"staff": "张 丽"}


def test_a_plain_unicode_password_in_local_settings_is_hashed_not_compared(
    settings: Settings,
) -> None:
    local = settings.model_copy(update={"staff_users": {"赵": "密码ｘ"}})
    with same_origin_client(create_app(local)) as client:
        wrong = client.post(
            "/api/staff/login", json={"username": "赵", "password": "密码"}
        )
        assert wrong.status_code == 401
        login(client, "赵", "密码x")


@pytest.fixture(params=["sqlite", "postgresql"])
def any_db_settings(
    request: pytest.FixtureRequest, settings: Settings
) -> Iterator[Settings]:
    """The test settings on SQLite, then on a throw-away PostgreSQL database."""
    if request.param == "sqlite":
        yield settings
        return
    with fresh_postgres_database() as url:
        upgrade_database(url)
        yield settings.model_copy(update={"database_url": url})


def test_sessions_and_lockout_behave_alike_on_sqlite_and_postgresql(
    any_db_settings: Settings,
) -> None:
    settings, now = any_db_settings, utcnow()
    idle = dt.timedelta(minutes=settings.staff_session_idle_minutes)
    with session_scope(settings.effective_database_url) as db:
        token = staff_sessions.create_session(db, settings, name=STAFF_USER, now=now)
    with session_scope(settings.effective_database_url) as db:
        later = now + idle / 2
        assert (
            staff_sessions.session_staff(db, settings, token, now=later) == STAFF_USER
        )
        too_late = later + idle
        assert staff_sessions.session_staff(db, settings, token, now=too_late) is None
        token = staff_sessions.create_session(db, settings, name=STAFF_USER, now=now)
        staff_sessions.end_session(db, token)
        assert staff_sessions.session_staff(db, settings, token, now=now) is None
        key = {"name": STAFF_USER, "ip": "192.0.2.1"}
        for _ in range(settings.staff_lockout_failures):
            staff_sessions.record_failure(db, settings, **key, now=now)
        assert staff_sessions.lockout_remaining(db, settings, **key, now=now)
        staff_sessions.clear_failures(db, **key)
        assert staff_sessions.lockout_remaining(db, settings, **key, now=now) is None
