"""The load scenario of ``make bench``: many chat users at once, then the same with
phone calls alongside, for the default profile (``make run``) and the production
profile (``make run-prod``; skipped with the reason when PostgreSQL or Redis is
not reachable). ``python -m bench.load`` (``make bench-load``) runs it alone:
about 2 minutes of traffic per profile.

Each simulated user is its own browser session (the app's HttpOnly
``chat_session`` cookie, kept by its own HTTP client), pauses 0.5-2 s after
each reply, and has short conversations from ``bench.scenario``: greetings,
policy questions, meal bookings, fraud checks and hand-offs. Reported:
turns/s, latency percentiles, errors, and CPU seconds per turn of the app's and
Rasa's process trees (psutil), with the machine's load average before and
after, since the cores are shared.

Rate limits: the bench stack is configured explicitly (``BENCH_LIMITS``) so
that no bench user is throttled. The defaults (20 messages a minute per
session, 30 new sessions a minute and 30 binding-code tries an hour per IP
address) are right for real people, but 50 simulated users on one loopback
address, each writing every 1-2 s, would hit them and the bench would measure
429s instead of capacity. The limiter still runs on every request (its cost is
measured); a 429 would count as an error.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from assistant.production import ensure_database, service_problems
from assistant.rasa_project import ensure_model
from assistant.settings import PROJECT_ROOT, Settings, get_settings
from bench.procstats import CpuMeter, load_average
from bench.scenario import User, policy_questions
from bench.sim.stack import Stack, start_stack
from bench.sim.twilio_api import TwilioApi

# Limits for the bench stack: far above what its users do (a user writes at
# most ~48 messages a minute), so none is throttled; see the module docstring.
BENCH_LIMITS = {
    "ASSISTANT_CHAT_RATE_LIMIT": "600/minute",
    "ASSISTANT_NEW_SESSION_RATE_LIMIT": "1000/minute",
    "ASSISTANT_CODE_RATE_LIMIT": "100/minute",
    "ASSISTANT_CODE_IP_RATE_LIMIT": "10000/hour",
}
PHONE_AUTH_TOKEN = "bench-auth-token-0123456789abcdef"
THINK_S = (0.5, 2.0)
GROWTH_TURNS = 52
GROWTH_USERS = 3
# the production profile's bench database: this name plus a random suffix
PG_BENCH_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/assistant_bench"
RESULTS = PROJECT_ROOT / "bench" / "results.json"


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


@dataclass
class Turns:
    """What the users saw: one entry per message sent."""

    latencies: list[float] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    throttled: int = 0
    last_done: float = 0.0

    def record(self, kind: str, seconds: float) -> None:
        self.latencies.append(seconds)
        self.kinds.append(kind)
        self.last_done = time.monotonic()


def _ms(values: list[float], pct: float) -> float:
    return round(percentile(values, pct) * 1000, 1) if values else 0.0


async def _chat_user(
    app_url: str, user: User, end_at: float, turns: Turns, timeout_s: float
) -> None:
    """One browser session: conversations with pauses until ``end_at``."""
    async with httpx.AsyncClient(base_url=app_url, timeout=timeout_s) as client:
        await asyncio.sleep(user.rng.uniform(*THINK_S))
        while time.monotonic() < end_at:
            kind = user.pick()

            async def say(text: str, kind: str = kind) -> str:
                started = time.monotonic()
                try:
                    response = await client.post("/api/chat", json={"text": text})
                except httpx.HTTPError as exc:
                    turns.errors.append(f"{type(exc).__name__}: {exc}")
                    raise _Abandon from exc
                elapsed = time.monotonic() - started
                if response.status_code != 200:
                    turns.throttled += response.status_code == 429
                    turns.errors.append(f"{response.status_code} {response.text[:120]}")
                    raise _Abandon
                turns.record(kind, elapsed)
                reply = " ".join(
                    m.get("text") or "" for m in response.json()["messages"]
                )
                await asyncio.sleep(user.rng.uniform(*THINK_S))
                return reply

            try:
                await user.converse(kind, say)
            except _Abandon:
                await asyncio.sleep(user.rng.uniform(*THINK_S))


class _Abandon(Exception):
    """A turn failed: the user starts over with a new conversation."""


def _binding_codes(stack: Stack, count: int) -> list[str]:
    """Elders registered by staff, one per user (bookings need one)."""
    with closing(stack.staff_client()) as client:
        codes = []
        for i in range(count):
            response = client.post("/api/staff/elders", json={"name": f"测试{i}"})
            response.raise_for_status()
            codes.append(response.json()["binding_code"])
    return codes


def _warm_up(stack: Stack, questions: list[str]) -> None:
    """Load what the first turns would load (knowledge model, TF graphs, caches of
    the process) so the measurement starts from a running service."""
    with httpx.Client(base_url=stack.app_url, timeout=120) as client:
        for text in ["你好", questions[0], questions[1], "我要找工作人员", "再见"]:
            client.post("/api/chat", json={"text": text}).raise_for_status()


def _summary(turns: Turns, seconds: float) -> dict[str, Any]:
    by_kind: dict[str, list[float]] = {}
    for kind, latency in zip(turns.kinds, turns.latencies, strict=True):
        by_kind.setdefault(kind, []).append(latency)
    return {
        "turns": len(turns.latencies),
        "turns_per_s": round(len(turns.latencies) / seconds, 1) if seconds else 0.0,
        "p50_ms": _ms(turns.latencies, 50),
        "p95_ms": _ms(turns.latencies, 95),
        "p99_ms": _ms(turns.latencies, 99),
        "errors": len(turns.errors),
        "throttled_429": turns.throttled,
        "error_samples": turns.errors[:5],
        "by_kind": {
            kind: {"turns": len(v), "p50_ms": _ms(v, 50), "p95_ms": _ms(v, 95)}
            for kind, v in sorted(by_kind.items())
        },
    }


async def _chat_load(
    stack: Stack, users: list[User], seconds: float, timeout_s: float
) -> tuple[Turns, float]:
    turns = Turns()
    started = time.monotonic()
    await asyncio.gather(
        *(
            _chat_user(stack.app_url, user, started + seconds, turns, timeout_s)
            for user in users
        )
    )
    return turns, max(turns.last_done, started + 1) - started


def run_phase(
    stack: Stack,
    meter_pids: dict[str, list[int]],
    users: list[User],
    *,
    seconds: float,
    calls: int,
    timeout_s: float,
) -> dict[str, Any]:
    """One measured phase: the chat users, and ``calls`` phone calls if > 0."""
    meter = CpuMeter(meter_pids)
    load_before = load_average()
    phone: subprocess.Popen[str] | None = None
    if calls:
        phone = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bench.phone_load",
                "--url",
                stack.app_url.replace("http://", "ws://") + "/twilio/stream",
                "--calls",
                str(calls),
                "--seconds",
                str(seconds),
                "--auth-token",
                PHONE_AUTH_TOKEN,
            ],
            cwd=PROJECT_ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
    meter.start()
    turns, elapsed = asyncio.run(_chat_load(stack, users, seconds, timeout_s))
    spent = meter.stop()
    result = _summary(turns, elapsed)
    result["users"] = len(users)
    result["seconds"] = round(elapsed, 1)
    n = max(1, result["turns"])
    result["cpu_s_per_turn"] = {k: round(v / n, 4) for k, v in spent.items()}
    result["cpu_cores_busy"] = {k: round(v / elapsed, 2) for k, v in spent.items()}
    result["memory_mb"] = meter.memory_mb()
    result["load_average_before"] = load_before
    result["load_average_after"] = load_average()
    if phone is not None:
        out, _ = phone.communicate(timeout=seconds + 120)
        try:
            result["phone"] = json.loads(out.strip().splitlines()[-1])
        except (ValueError, IndexError):
            result["phone"] = {"error": f"phone callers failed: {out[-300:]}"}
    return result


def conversation_growth(stack: Stack) -> dict[str, Any]:
    """How a turn's cost grows with the conversation: turn 5 against turn 50.

    A few users, one at a time on an otherwise idle stack, each a long
    conversation of small talk and a custom action (checking meals: the action
    call carries the conversation's events); the median latency over turns 4-6
    and 49-51.
    """
    per_turn: dict[int, list[float]] = {}
    texts = ["你好", "我订了哪些餐", "谢谢你", "今天天气怎么样"]
    with httpx.Client(base_url=stack.app_url, timeout=60) as client:
        for _ in range(GROWTH_USERS):
            client.cookies.clear()
            for turn in range(1, GROWTH_TURNS + 1):
                started = time.perf_counter()
                client.post(
                    "/api/chat", json={"text": texts[turn % len(texts)]}
                ).raise_for_status()
                per_turn.setdefault(turn, []).append(time.perf_counter() - started)

    def around(turn: int) -> float:
        values = [v for t in (turn - 1, turn, turn + 1) for v in per_turn[t]]
        return round(statistics.median(values) * 1000, 1)

    return {
        "turn_5_ms": around(5),
        "turn_50_ms": around(50),
        "ratio": round(around(50) / around(5), 2),
        "users": GROWTH_USERS,
    }


def production_problems() -> list[str]:
    """Why the production profile cannot run here (PostgreSQL or Redis missing)."""
    return service_problems(Settings(profile="production", database_url=PG_BENCH_URL))


@contextmanager
def _bench_database(profile: str) -> Iterator[str | None]:
    """A throw-away PostgreSQL database for the production profile (None: SQLite)."""
    if profile != "production":
        yield None
        return
    url = f"{PG_BENCH_URL}_{uuid.uuid4().hex[:8]}"
    ensure_database(url)
    try:
        yield url
    finally:
        from assistant.db.session import get_engine

        get_engine(url).dispose()
        admin = create_engine(
            make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT"
        )
        with admin.connect() as conn:
            name = make_url(url).database
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def bench_stack(
    tmp: Path, profile: str, *, rasa_servers: int | None = None
) -> Iterator[tuple[Stack, dict[str, list[int]]]]:
    """A stack for the bench; its process ids grouped as ``app`` and ``rasa``.

    default: one Rasa server and one app process on SQLite, as ``make run``.
    production: as ``make run-prod`` (``PRODUCTION_PROFILE``) on a throw-away
    PostgreSQL database. ``rasa_servers`` overrides the profile (experiments).
    """
    shape = Settings(profile=profile)  # type: ignore[arg-type]
    twilio = TwilioApi().start()
    env = {
        **BENCH_LIMITS,
        "ASSISTANT_TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
        "ASSISTANT_TWILIO_AUTH_TOKEN": PHONE_AUTH_TOKEN,
        "ASSISTANT_TWILIO_FROM_NUMBER": "+15005550006",
        "ASSISTANT_TWILIO_API_BASE": twilio.url,
        "ASSISTANT_PHONE_MODE": "stream",  # keypad callers: no ASR model needed
        "ASSISTANT_MEAL_CAPACITY": "100000",  # every simulated booking fits
        "ASSISTANT_LOG_LEVEL": "WARNING",
    }
    if profile == "production":
        env["ASSISTANT_RATE_LIMIT_STORAGE_URL"] = shape.rate_limit_storage_url
    model = ensure_model(get_settings())
    try:
        with _bench_database(profile) as database_url:
            stack = start_stack(
                tmp,
                model=model,
                extra_env=env,
                database_url=database_url,
                lock_store_url=shape.rasa_lock_store_url,
                rasa_servers=rasa_servers or shape.rasa_servers,
                app_workers=shape.app_workers,
            )
            try:
                pids: dict[str, list[int]] = {"app": [], "rasa": []}
                for process in stack.processes:
                    assert process.pid is not None
                    kind = "rasa" if process.name.startswith("rasa") else "app"
                    pids[kind].append(process.pid)
                yield stack, pids
            finally:
                stack.stop()
    finally:
        twilio.stop()


def run_profile(
    profile: str, *, users: int, seconds: float, calls: int, growth: bool = True
) -> dict[str, Any]:
    """Chat load, then chat load with phone calls, then turn 5 against turn 50."""
    questions = policy_questions()
    with (
        tempfile.TemporaryDirectory() as tmp,
        bench_stack(Path(tmp), profile) as (
            stack,
            pids,
        ),
    ):
        _warm_up(stack, questions)
        codes = _binding_codes(stack, users)
        seed = int(time.time())

        def people(tag: str) -> list[User]:
            return [
                User(f"{tag}{i}", codes[i], random.Random(seed + i), questions)
                for i in range(users)
            ]

        result: dict[str, Any] = {"profile": profile}
        result["chat"] = run_phase(
            stack, pids, people("a"), seconds=seconds, calls=0, timeout_s=30
        )
        if calls:
            result["chat_with_calls"] = run_phase(
                stack, pids, people("b"), seconds=seconds, calls=calls, timeout_s=30
            )
        if growth:
            result["growth"] = conversation_growth(stack)
    return result


def headline(result: dict[str, Any]) -> dict[str, Any]:
    """The ``load`` contract of ARCHITECTURE.md for the default profile's chat run."""
    chat = result["chat"]
    return {
        "users": chat["users"],
        "turns_per_s": chat["turns_per_s"],
        "p50_ms": chat["p50_ms"],
        "p95_ms": chat["p95_ms"],
        "p99_ms": chat["p99_ms"],
        "errors": chat["errors"],
    }


def print_load_table(load: dict[str, Any]) -> None:
    """The load table: one row per profile and phase."""
    head = (
        f"{'profile / phase':<30}{'users':>6}{'turns/s':>9}{'p50 ms':>9}{'p95 ms':>9}"
        f"{'p99 ms':>9}{'errors':>7}{'app cpu/turn':>13}{'rasa cpu/turn':>14}"
        f"{'load avg':>10}"
    )
    print(head)
    print("-" * len(head))
    for profile in load.get("profiles", []):
        for phase in ("chat", "chat_with_calls"):
            row = profile.get(phase)
            if not row:
                continue
            cpu = row["cpu_s_per_turn"]
            print(
                f"{profile['profile'] + ' / ' + phase:<30}{row['users']:>6}"
                f"{row['turns_per_s']:>9}{row['p50_ms']:>9}{row['p95_ms']:>9}"
                f"{row['p99_ms']:>9}{row['errors']:>7}"
                f"{cpu.get('app', 0) * 1000:>11.1f}ms{cpu.get('rasa', 0) * 1000:>12.1f}ms"
                f"{row['load_average_before'][0]:>10}"
            )
            phone = row.get("phone")
            if phone and "calls" in phone:
                print(
                    f"{'':<4}{phone['calls']} calls: keypress→audio p95 "
                    f"{phone['keypress_to_audio_p95_ms']} ms, frames on time "
                    f"{phone['frames_on_time_pct']}% ({phone['frames_out']} frames), "
                    f"errors {phone['errors']}"
                )
        growth = profile.get("growth")
        if growth:
            print(
                f"{'':<4}turn 5: {growth['turn_5_ms']} ms, turn 50: "
                f"{growth['turn_50_ms']} ms (×{growth['ratio']})"
            )
    for name, reason in load.get("skipped", {}).items():
        print(f"{name}: skipped ({reason})")


def bench_load(
    *,
    users: int = 50,
    seconds: float = 60,
    calls: int = 20,
    profiles: tuple[str, ...] = ("default", "production"),
) -> dict[str, Any]:
    """Every profile's figures, the default's chat run as the headline."""
    load: dict[str, Any] = {"profiles": [], "skipped": {}, "rate_limits": BENCH_LIMITS}
    for profile in profiles:
        if profile == "production" and (problems := production_problems()):
            load["skipped"][profile] = "; ".join(problems)
            continue
        try:
            load["profiles"].append(
                run_profile(profile, users=users, seconds=seconds, calls=calls)
            )
        except (RuntimeError, TimeoutError, httpx.HTTPError) as exc:
            load["skipped"][profile] = f"failed: {exc!r}"
    for profile_result in load["profiles"][:1]:
        load.update(headline(profile_result))
    return load


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--profiles", default="default,production")
    parser.add_argument(
        "--json",
        type=Path,
        default=RESULTS,
        help="results file; its load section is replaced (default bench/results.json)",
    )
    args = parser.parse_args()
    load = bench_load(
        users=args.users,
        seconds=args.seconds,
        calls=args.calls,
        profiles=tuple(args.profiles.split(",")),
    )
    print_load_table(load)
    results = json.loads(args.json.read_text()) if args.json.exists() else {}
    results["load"] = load
    args.json.write_text(json.dumps(results, ensure_ascii=False, indent=2))
    print(f"\nload section written to {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
