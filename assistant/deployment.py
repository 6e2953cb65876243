"""What a deployment must have before the app starts: real secrets, real staff hashes.

Placeholder secrets are refused whenever the app can be reached from beyond this
machine, that is when it listens on a non-loopback address or its public URL is
not a loopback one, and in production whatever the addresses; the environment
name alone never excuses them. Production also needs a duty roster and Twilio
credentials, or an emergency could reach nobody. Each refusal names the setting.
"""

from __future__ import annotations

import ipaddress
import logging
from urllib.parse import urlsplit

from assistant.services.staff_accounts import (
    foreign_hash_staff_users,
    plaintext_staff_users,
)
from assistant.settings import Settings

logger = logging.getLogger(__name__)

# Settings whose default is a placeholder that must be replaced before exposure.
# A new shared secret is one more name here (a test checks none is forgotten).
SECRET_SETTINGS: tuple[str, ...] = ("session_secret", "rasa_token", "action_token")
PLACEHOLDER_PREFIXES = ("change-me", "local-")
MIN_SECRET_CHARS = 16
TWILIO_SETTINGS = ("twilio_account_sid", "twilio_auth_token", "twilio_from_number")


class DeploymentError(ValueError):
    """The settings are not safe (or not complete) for how the app is deployed."""


def is_loopback_host(host: str) -> bool:
    """Whether ``host`` (a name or address) only reaches this machine."""
    host = host.strip().strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # 0.0.0.0 is not loopback either: it listens everywhere


def is_exposed(settings: Settings) -> bool:
    """Whether the app can be reached from beyond this machine."""
    public_host = urlsplit(settings.public_url).hostname or ""
    return not (is_loopback_host(settings.app_host) and is_loopback_host(public_host))


def env_name(setting: str) -> str:
    """The environment variable of a setting."""
    return f"ASSISTANT_{setting.upper()}"


def placeholder_secrets(settings: Settings) -> list[str]:
    """Secret settings still at their default, a placeholder, or too short."""
    weak = []
    for name in SECRET_SETTINGS:
        value = str(getattr(settings, name))
        default = Settings.model_fields[name].default
        if (
            value == default
            or value.startswith(PLACEHOLDER_PREFIXES)
            or len(value) < MIN_SECRET_CHARS
        ):
            weak.append(name)
    return weak


def deployment_problems(settings: Settings) -> list[str]:
    """Every reason the app must not start with ``settings`` (empty: fine)."""
    problems = []
    strict = settings.environment == "production" or is_exposed(settings)
    where = (
        "in production"
        if settings.environment == "production"
        else f"when the app is reachable beyond loopback (ASSISTANT_APP_HOST="
        f"{settings.app_host}, ASSISTANT_PUBLIC_URL={settings.public_url})"
    )
    if strict:
        for name in placeholder_secrets(settings):
            problems.append(
                f"{env_name(name)} is a placeholder; set a random value of at least "
                f"{MIN_SECRET_CHARS} characters {where}"
            )
        for name in plaintext_staff_users(settings):
            problems.append(
                f"ASSISTANT_STAFF_USERS holds a plain password for {name!r}; put an "
                "argon2 hash from `python -m assistant staff hash` there " + where
            )
    for name in foreign_hash_staff_users(settings):
        problems.append(
            f"ASSISTANT_STAFF_USERS: the value for {name!r} is not an argon2 hash; "
            "make one with `python -m assistant staff hash`"
        )
    if settings.environment == "production":
        if not any(p.get("phone") for p in settings.duty_roster):
            problems.append(
                "ASSISTANT_DUTY_ROSTER is empty: production needs at least one duty "
                'person with a phone, as JSON [{"name": "...", "phone": "+86..."}]'
            )
        for name in TWILIO_SETTINGS:
            if not getattr(settings, name):
                problems.append(
                    f"{env_name(name)} is not set: production sends emergency alerts "
                    "through Twilio"
                )
    return problems


def check_deployment(settings: Settings) -> None:
    """Raise ``DeploymentError`` listing every problem; warn about local shortcuts."""
    problems = deployment_problems(settings)
    if problems:
        raise DeploymentError(
            "refusing to start:\n" + "\n".join(f"  - {p}" for p in problems)
        )
    if plaintext_staff_users(settings):
        logger.warning(
            "ASSISTANT_STAFF_USERS holds %d plain password(s): accepted on loopback "
            "only; use `python -m assistant staff hash`",
            len(plaintext_staff_users(settings)),
        )
