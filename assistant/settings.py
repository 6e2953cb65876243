"""All configuration, read once from ``ASSISTANT_*`` environment variables and ``.env``.

Every field carries a description: the README's settings table is generated from
them (``python -m assistant settings-doc``), so a setting without one is a bug.
Sections are grouped by the concern that owns them.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Settings for the app, the launcher, the workers and the CLIs."""

    model_config = SettingsConfigDict(
        env_prefix="ASSISTANT_", env_file=".env", extra="ignore"
    )

    # --- core -----------------------------------------------------------------
    environment: Literal["local", "test", "production"] = Field(
        "local", description="Deployment kind; production refuses placeholder secrets."
    )
    var_dir: Path = Field(
        PROJECT_ROOT / "var",
        description="Folder for generated state: SQLite files, indexes, models, audio cache.",
    )
    database_url: str = Field(
        "",
        description="SQLAlchemy URL of the app database; empty means SQLite at var/assistant.db. "
        "Use postgresql+psycopg://user@host/db in production.",
    )
    public_url: str = Field(
        "http://127.0.0.1:8000",
        description="Base URL that browsers and Twilio reach; Twilio signatures are checked against it.",
    )
    app_host: str = Field("127.0.0.1", description="Address the app listens on.")
    app_port: int = Field(8000, description="Port the app listens on.")
    log_level: str = Field("INFO", description="Python logging level.")

    # --- Rasa -----------------------------------------------------------------
    rasa_url: str = Field(
        "http://127.0.0.1:5005", description="Base URL of the Rasa server."
    )
    rasa_port: int = Field(5005, description="Port the launcher starts Rasa on.")
    rasa_token: str = Field(
        "local-rasa-token",
        description="Token for Rasa's HTTP API (--auth-token); change it in production.",
    )
    rasa_timeout_s: float = Field(
        20.0, description="Seconds to wait for Rasa to answer one chat turn."
    )
    rasa_lock_store_url: str = Field(
        "",
        description="redis://host:port/db for Rasa's Redis lock store (several Rasa servers); "
        "empty means the in-memory lock store.",
    )
    max_message_chars: int = Field(
        1000, description="Longest chat message accepted; longer ones get 422."
    )

    # --- people and numbers the station fills in -------------------------------
    station_name: str = Field("社区养老服务驿站", description="Name said to callers.")
    duty_phone: str = Field(
        "",
        description="Phone number of the station's duty staff, given on hand-off; "
        "empty means the assistant says a staff member will call back.",
    )
    service_directory: dict[str, str] = Field(
        default_factory=lambda: {"急救": "120", "报警": "110", "反诈": "96110"},
        description="Public numbers the assistant may name, as JSON {label: number}. "
        "Replies take numbers only from here or from duty_phone.",
    )
    staff_users: dict[str, str] = Field(
        default_factory=dict,
        description='Staff console logins as JSON {"name": "password"}; '
        "empty allows no staff login.",
    )
    session_secret: str = Field(
        "change-me-local-session-secret",
        description="Secret that signs staff login cookies; production refuses the default.",
    )

    # --- Twilio -----------------------------------------------------------------
    twilio_account_sid: str = Field(
        "", description="Twilio account SID; empty disables sending."
    )
    twilio_auth_token: str = Field(
        "", description="Twilio auth token; also checks webhook signatures."
    )
    twilio_from_number: str = Field(
        "", description="Our Twilio number used as the sender of SMS and calls."
    )
    twilio_api_base: str = Field(
        "",
        description="Override of Twilio's API base URL (tests point it at a local server).",
    )

    @field_validator("var_dir")
    @classmethod
    def _absolute_var_dir(cls, value: Path) -> Path:
        return value if value.is_absolute() else PROJECT_ROOT / value

    @property
    def effective_database_url(self) -> str:
        """The database URL, defaulting to SQLite under ``var_dir``."""
        return self.database_url or f"sqlite:///{self.var_dir / 'assistant.db'}"

    def check_production(self) -> None:
        """Refuse placeholder secrets outside local and test use."""
        if self.environment != "production":
            return
        if self.session_secret.startswith("change-me") or self.rasa_token.startswith(
            "local-"
        ):
            raise ValueError(
                "ASSISTANT_SESSION_SECRET and ASSISTANT_RASA_TOKEN must be set in production"
            )


@functools.cache
def get_settings() -> Settings:
    """The process-wide settings (tests build their own ``Settings``)."""
    return Settings()
