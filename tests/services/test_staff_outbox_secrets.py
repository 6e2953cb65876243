"""Staff read the outbox, but never a verification code in clear."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from assistant.app import create_app
from assistant.db import OutboxMessage, session_scope
from assistant.services.verification import start_verification
from assistant.settings import Settings
from connectors.webchat.messages import VERIFY_SMS
from tests.utils.records import ELDER, add_elder
from tests.utils.staff import login, same_origin_client, staff_users


@pytest.fixture()
def client(settings: Settings) -> Iterator[TestClient]:
    settings = settings.model_copy(
        update={"staff_users": staff_users("tester", "pw"), "run_workers": False}
    )
    with same_origin_client(create_app(settings)) as test_client:
        login(test_client, "tester", "pw")
        yield test_client


def test_the_staff_outbox_masks_the_verification_code(
    settings: Settings, client: TestClient
) -> None:
    with session_scope(settings.effective_database_url) as session:
        add_elder(session)
        assert start_verification(
            session,
            settings,
            channel="web",
            user_id="someone",
            phone=str(ELDER["phone"]),
            sms_template=VERIFY_SMS.replace("{station}", "幸福里驿站"),
        )
    with session_scope(settings.effective_database_url) as session:
        sent = session.scalars(select(OutboxMessage)).one().body
    code = re.search(r"验证码是(\d{6})", sent)
    assert code, sent  # the elder's SMS itself carries the code

    [row] = client.get("/api/staff/outbox").json()
    assert row["related_kind"] == "verification"
    assert code.group(1) not in row["body"]
    assert "验证码是******" in row["body"] and "分钟内有效" in row["body"]
