"""Placeholder secrets, plain staff passwords and incomplete production settings are refused."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.app import create_app
from assistant.deployment import (
    SECRET_SETTINGS,
    DeploymentError,
    check_deployment,
    env_name,
    is_exposed,
)
from assistant.settings import PROJECT_ROOT, Settings
from bench.sim.stack import free_port
from tests.utils.staff import staff_users

STRONG = {name: f"{name}-0123456789abcdef" for name in SECRET_SETTINGS}
PRODUCTION_READY = {
    "environment": "production",
    "duty_roster": [{"name": "王", "phone": "+8613800000001"}],
    "twilio_account_sid": "AC" + "0" * 32,
    "twilio_auth_token": "twilio-token",
    "twilio_from_number": "+15005550006",
    **STRONG,
}
EXPOSURES = {
    "listens-everywhere": {"app_host": "0.0.0.0", "environment": "local"},
    "public-url": {"public_url": "https://station.example", "environment": "test"},
    "listens-on-lan": {"app_host": "192.168.1.20", "environment": "test"},
    "production-on-loopback": {"environment": "production"},
}


def make(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.mark.parametrize("exposure", EXPOSURES.values(), ids=EXPOSURES.keys())
@pytest.mark.parametrize("secret", SECRET_SETTINGS)
def test_each_placeholder_secret_is_refused_when_reachable(
    exposure: dict[str, object], secret: str
) -> None:
    values = {
        **PRODUCTION_READY,
        **exposure,
        secret: Settings.model_fields[secret].default,
    }
    with pytest.raises(DeploymentError) as refused:
        check_deployment(make(**values))
    assert env_name(secret) in str(refused.value)
    others = set(SECRET_SETTINGS) - {secret}
    assert not any(env_name(name) in str(refused.value) for name in others)


@pytest.mark.parametrize("weak", ["", "short", "change-me-please-0123456789"])
def test_empty_short_or_placeholder_like_secrets_are_refused(weak: str) -> None:
    with pytest.raises(DeploymentError, match="ASSISTANT_SESSION_SECRET"):
        check_deployment(
            make(**{**STRONG, "app_host": "0.0.0.0", "session_secret": weak})
        )


def test_loopback_local_use_keeps_the_placeholders() -> None:
    settings = make(environment="local")
    assert not is_exposed(settings)
    check_deployment(settings)
    check_deployment(make(environment="test", public_url="http://localhost:8000"))


def test_a_complete_production_configuration_starts() -> None:
    check_deployment(make(**PRODUCTION_READY, public_url="https://station.example"))


@pytest.mark.parametrize(
    ("missing", "named"),
    [
        ({"duty_roster": []}, "ASSISTANT_DUTY_ROSTER"),
        ({"duty_roster": [{"name": "王"}]}, "ASSISTANT_DUTY_ROSTER"),
        ({"twilio_account_sid": ""}, "ASSISTANT_TWILIO_ACCOUNT_SID"),
        ({"twilio_auth_token": ""}, "ASSISTANT_TWILIO_AUTH_TOKEN"),
        ({"twilio_from_number": ""}, "ASSISTANT_TWILIO_FROM_NUMBER"),
    ],
)
def test_production_needs_a_duty_roster_and_twilio(
    missing: dict[str, object], named: str
) -> None:
    with pytest.raises(DeploymentError) as refused:
        check_deployment(make(**{**PRODUCTION_READY, **missing}))
    assert named in str(refused.value)
    assert str(refused.value).count("\n  - ") == 1  # only that one


def test_plain_staff_passwords_are_refused_beyond_loopback_and_warned_locally(
    caplog: pytest.LogCaptureFixture,
) -> None:
    plain = {"staff_users": {"王": "just-a-password"}}
    with pytest.raises(DeploymentError, match="ASSISTANT_STAFF_USERS.*plain password"):
        check_deployment(make(**STRONG, app_host="0.0.0.0", **plain))
    with pytest.raises(DeploymentError, match="ASSISTANT_STAFF_USERS"):
        check_deployment(make(**PRODUCTION_READY, **plain))
    check_deployment(make(**STRONG, app_host="0.0.0.0", staff_users=staff_users()))
    with caplog.at_level(logging.WARNING, logger="assistant.deployment"):
        check_deployment(make(**plain))
    assert "plain password" in caplog.text
    assert "just-a-password" not in caplog.text


def test_a_hash_that_is_not_argon2_is_refused_everywhere() -> None:
    bcrypt = "$2b$12$" + "a" * 53
    with pytest.raises(DeploymentError, match="not an argon2 hash"):
        check_deployment(make(staff_users={"王": bcrypt}))


def test_the_app_refuses_to_start_when_exposed_with_placeholders(
    tmp_path: Path,
) -> None:
    with pytest.raises(DeploymentError, match="ASSISTANT_SESSION_SECRET"):
        create_app(make(app_host="0.0.0.0", var_dir=tmp_path))


def test_make_run_refuses_plainly_and_starts_nothing(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "ASSISTANT_ENVIRONMENT": "production",
        "ASSISTANT_VAR_DIR": str(tmp_path),
        "ASSISTANT_DATABASE_URL": f"sqlite:///{tmp_path / 'assistant.db'}",
        "ASSISTANT_APP_PORT": str(free_port()),
        "ASSISTANT_RASA_PORT": str(free_port()),
        "ASSISTANT_DUTY_ROSTER": "[]",
    }
    done = subprocess.run(
        [sys.executable, "-m", "assistant", "run"],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env=env,
        timeout=120,
    )
    assert done.returncode == 2
    for named in ("ASSISTANT_SESSION_SECRET", "ASSISTANT_DUTY_ROSTER"):
        assert named in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "assistant.db").exists()  # not even migrated
    assert not (tmp_path / "logs").exists()


def test_every_secret_with_a_default_is_checked() -> None:
    """A new ``*_token`` / ``*_secret`` setting with a default must join SECRET_SETTINGS."""
    for name, info in Settings.model_fields.items():
        if name.endswith(("_token", "_secret")) and info.default not in ("", None):
            assert name in SECRET_SETTINGS, f"{name} has a default but is not checked"
