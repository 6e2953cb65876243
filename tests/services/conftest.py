"""Fixtures for service tests: a migrated SQLite database and the local Twilio API server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from assistant.app import create_app
from assistant.db import upgrade_database
from assistant.settings import Settings
from bench.sim.twilio_api import TwilioApi
from tests.utils.staff import login, same_origin_client, staff_users


@pytest.fixture()
def db_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'test.db'}"
    upgrade_database(url)
    return url


@pytest.fixture()
def fake_twilio() -> Iterator[TwilioApi]:
    fake = TwilioApi().start()
    yield fake
    fake.stop()


@pytest.fixture()
def settings(db_url: str, fake_twilio: TwilioApi) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=db_url,
        twilio_account_sid="AC" + "0" * 32,
        twilio_auth_token="test-token",
        twilio_from_number="+15005550006",
        twilio_api_base=fake_twilio.url,
        duty_roster=[
            {"name": "甲", "phone": "+8613800000001"},
            {"name": "乙", "phone": "+8613800000002"},
        ],
        outbox_backoff_s=0.0,
        outbox_poll_s=0.01,
    )


@pytest.fixture()
def staff_api(settings: Settings, tmp_path: Path) -> Iterator[TestClient]:
    """The app without workers, with a logged-in same-origin staff client."""
    conf = settings.model_copy(
        update={
            "staff_users": staff_users(),
            "run_workers": False,
            "var_dir": tmp_path,
            "duty_phone": "010-88886666",
        }
    )
    with same_origin_client(create_app(conf)) as client:
        login(client)
        yield client
