"""Fixtures for service tests: a migrated SQLite database and the local Twilio API server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.db import upgrade_database
from assistant.settings import Settings
from bench.sim.twilio_api import TwilioApi


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
