"""Schemathesis over the app's own OpenAPI schema: no generated request gets a 5xx.

Against a real running stack of its own (Rasa server with the trained model,
app, SQLite), logged in as staff and as a chat connector so the generated
requests reach past authentication. Schemathesis runs as its own CLI (its
pytest plugin does not support this pytest); examples per operation are
bounded to keep the run near a minute or two, and the figures are printed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from assistant.settings import PROJECT_ROOT
from bench.sim.stack import Stack, start_stack

pytestmark = pytest.mark.integration

MAX_EXAMPLES = 12
RELAXED_LIMITS = {
    "ASSISTANT_CHAT_RATE_LIMIT": "100000/minute",
    "ASSISTANT_VOICE_RATE_LIMIT": "100000/minute",
    "ASSISTANT_CODE_RATE_LIMIT": "100000/minute",
    "ASSISTANT_CODE_IP_RATE_LIMIT": "100000/minute",
    "ASSISTANT_NEW_SESSION_RATE_LIMIT": "100000/minute",
    "ASSISTANT_VERIFICATION_SMS_RATE_LIMIT": "100000/minute",
}


@pytest.fixture(scope="module")
def fuzz_stack(
    tmp_path_factory: pytest.TempPathFactory, trained_model: Path
) -> Iterator[Stack]:
    running = start_stack(
        tmp_path_factory.mktemp("schemathesis"),
        model=trained_model,
        extra_env=RELAXED_LIMITS,
    )
    yield running
    running.stop()


def test_no_generated_request_gets_a_server_error(
    fuzz_stack: Stack, tmp_path: Path
) -> None:
    with closing(fuzz_stack.staff_client()) as staff:
        cookie = "; ".join(f"{k}={v}" for k, v in staff.cookies.items())
    headers = {
        **fuzz_stack.connector_headers,
        "Origin": fuzz_stack.app_url,
        "Cookie": cookie,
    }
    report = tmp_path / "report.json"
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "run",
        f"{fuzz_stack.app_url}/openapi.json",
        "--checks",
        "not_a_server_error",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        "8",
        "--workers",
        "1",
        "--request-timeout",
        "60",
        # Logging out would end the staff session the other operations run in.
        "--exclude-path",
        "/api/staff/logout",
        "--report",
        "json",
        "--report-json-path",
        str(report),
    ]
    for name, value in headers.items():
        command += ["--header", f"{name}: {value}"]
    # cwd: schemathesis keeps a cache folder where it runs; not in the project.
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
    )
    failures = done.stdout[done.stdout.find("FAILURES") :]
    summary = json.loads(report.read_text()) if report.exists() else {}
    print(figures(summary) if summary else done.stdout[-3000:])
    unauthenticated = summary.get("warnings", {}).get("missing_auth", [])
    assert not [op for op in unauthenticated if "/api/staff/" in op], unauthenticated
    assert done.returncode == 0, failures[:12000] + done.stderr[-3000:]


def figures(report: dict) -> str:
    """Operations, examples and failures from schemathesis's JSON report."""
    cases = report.get("test_cases", {})
    return (
        f"schemathesis: {report.get('operations', {}).get('tested')} operations, "
        f"{cases.get('generated')} examples, {cases.get('with_failures')} failures "
        f"in {report.get('running_time', 0):.0f} s"
    )
