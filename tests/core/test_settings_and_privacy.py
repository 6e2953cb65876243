from __future__ import annotations

import pytest

from assistant.cli import settings_table
from assistant.privacy import mask_name, mask_phone
from assistant.settings import Settings


def test_settings_read_prefixed_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_DUTY_PHONE", "010-12345678")
    monkeypatch.setenv("ASSISTANT_SERVICE_DIRECTORY", '{"急救": "120"}')
    settings = Settings()
    assert settings.duty_phone == "010-12345678"
    assert settings.service_directory == {"急救": "120"}


def test_default_database_is_sqlite_under_var(tmp_path) -> None:
    settings = Settings(var_dir=tmp_path)
    assert settings.effective_database_url == f"sqlite:///{tmp_path / 'assistant.db'}"


def test_every_setting_is_documented() -> None:
    for name, info in Settings.model_fields.items():
        assert info.description, f"setting {name} has no description"
    table = settings_table()
    assert table.count("\n| `ASSISTANT_") == len(Settings.model_fields)


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("+8613912345678", "***5678"),
        ("010-6512 3456", "***3456"),
        (None, "-"),
        ("12", "***"),
    ],
)
def test_mask_phone(phone: str | None, masked: str) -> None:
    assert mask_phone(phone) == masked


def test_mask_name() -> None:
    assert mask_name("张桂兰") == "张**"
    assert mask_name("李") == "李"


def test_readme_settings_table_is_current() -> None:
    from assistant.settings import PROJECT_ROOT

    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("<!-- settings-table -->\n", 1)[1].split(
        "<!-- /settings-table -->"
    )[0]
    assert section.strip() == settings_table().strip(), (
        "README settings table is stale: run python -m assistant settings-doc"
    )
