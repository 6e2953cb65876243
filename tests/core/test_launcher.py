"""The launcher's process supervision with real child processes."""

from __future__ import annotations

import os
import signal
import sys

from assistant.launcher import ManagedProcess, supervise
from bench.sim.stack import free_port


def http_server(tmp_path) -> ManagedProcess:
    port = free_port()
    return ManagedProcess(
        name="web",
        command=[sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        health_url=f"http://127.0.0.1:{port}/",
        log_path=tmp_path / "web.log",
    )


def test_dead_process_is_reported_and_restarted(tmp_path, capsys) -> None:
    process = http_server(tmp_path)
    process.start()
    try:
        process.wait_healthy(20)
        assert process.proc is not None
        os.killpg(process.proc.pid, signal.SIGKILL)
        process.proc.wait()
        supervise([process], stop_after_s=3, handle_signals=False)
        assert process.restarts == 1
        assert "web exited with code" in capsys.readouterr().out
    finally:
        process.stop()
    assert process.proc is not None and process.proc.poll() is not None


def test_stop_ends_the_whole_process_group(tmp_path) -> None:
    process = http_server(tmp_path)
    process.start()
    process.wait_healthy(20)
    process.stop()
    assert process.proc is not None and process.proc.returncode is not None
    assert not process.healthy()
