"""The launcher with real child processes: supervision, stop signals, taken ports."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import psutil
import pytest

from assistant.launcher import ManagedProcess, supervise
from assistant.settings import PROJECT_ROOT
from bench.sim.stack import free_port
from tests.utils.waiting import wait_until

# A child that starts a grandchild in its own process group, records both pids,
# and never becomes healthy: the launcher is still in its health wait.
SLOW_SERVER = textwrap.dedent(
    """
    import os, subprocess, sys, time
    grandchild = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    with open(sys.argv[1] + ".part", "w") as out:
        out.write(f"{os.getpid()} {grandchild.pid}")
    os.rename(sys.argv[1] + ".part", sys.argv[1])
    time.sleep(600)
    """
)

# The launcher's own start-up and stop path, on two slow children.
LAUNCHER = textwrap.dedent(
    """
    import sys
    from assistant.launcher import ManagedProcess, serve

    slow, pid_dir, port = sys.argv[1], sys.argv[2], sys.argv[3]

    def prepare():
        return [
            ManagedProcess(
                name=name,
                command=[sys.executable, "-c", slow, f"{pid_dir}/{name}.pids"],
                health_url=f"http://127.0.0.1:{port}/",
                health_timeout_s=600,
                die_with_parent=True,
            )
            for name in ("rasa", "app")
        ]

    raise SystemExit(serve(prepare))
    """
)


def http_server(tmp_path: Path) -> ManagedProcess:
    port = free_port()
    return ManagedProcess(
        name="web",
        command=[sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        health_url=f"http://127.0.0.1:{port}/",
        log_path=tmp_path / "web.log",
    )


def gone(pid: int) -> bool:
    """No such process any more (a zombie awaiting its reaper counts as gone)."""
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_dead_process_is_reported_and_restarted(tmp_path: Path, capsys) -> None:
    process = http_server(tmp_path)
    process.start()
    try:
        process.wait_healthy(20)
        assert process.proc is not None
        os.killpg(process.proc.pid, signal.SIGKILL)
        process.proc.wait()
        supervise([process], stop_after_s=3)
        assert process.restarts == 1
        assert "web exited with code" in capsys.readouterr().out
    finally:
        process.stop()
    assert process.proc is not None and process.proc.poll() is not None


def test_stop_ends_the_whole_process_group(tmp_path: Path) -> None:
    process = http_server(tmp_path)
    process.start()
    process.wait_healthy(20)
    process.stop()
    assert process.proc is not None and process.proc.returncode is not None
    assert not process.healthy()


def test_stop_kills_a_group_that_ignores_sigterm(tmp_path: Path) -> None:
    stubborn = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
    stubborn += "print('ready', flush=True); time.sleep(600)"
    process = ManagedProcess(
        name="stubborn",
        command=[sys.executable, "-c", stubborn],
        health_url="http://127.0.0.1:9/",
        log_path=tmp_path / "stubborn.log",
    )
    process.start()
    wait_until(lambda: "ready" in (tmp_path / "stubborn.log").read_text(), 30)
    process.stop(grace_s=0.5)
    assert process.pid is not None and gone(process.pid)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_stop_signal_during_the_health_wait_leaves_no_child(
    tmp_path: Path, signum: int
) -> None:
    launcher = subprocess.Popen(
        [sys.executable, "-c", LAUNCHER, SLOW_SERVER, str(tmp_path), str(free_port())],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    pid_files = [tmp_path / "rasa.pids", tmp_path / "app.pids"]
    try:
        wait_until(lambda: all(p.exists() for p in pid_files), 60, "children started")
        pids = [int(pid) for p in pid_files for pid in p.read_text().split()]
        assert not any(gone(pid) for pid in pids)
        launcher.send_signal(signum)
        output, _ = launcher.communicate(timeout=60)
    finally:
        if launcher.poll() is None:
            launcher.kill()
    assert launcher.returncode == 128 + signum, output
    assert "stopping" in output
    wait_until(
        lambda: all(gone(pid) for pid in pids), 30, "children and grandchildren gone"
    )


def test_children_die_with_a_killed_launcher(tmp_path: Path) -> None:
    """Even SIGKILL, which no handler sees, leaves no child server behind."""
    launcher = subprocess.Popen(
        [sys.executable, "-c", LAUNCHER, SLOW_SERVER, str(tmp_path), str(free_port())],
        cwd=PROJECT_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    pid_files = [tmp_path / "rasa.pids", tmp_path / "app.pids"]
    try:
        wait_until(lambda: all(p.exists() for p in pid_files), 60, "children started")
    finally:
        launcher.kill()
        launcher.wait(30)
    pairs = [[int(pid) for pid in p.read_text().split()] for p in pid_files]
    try:
        wait_until(lambda: all(gone(child) for child, _ in pairs), 30, "children gone")
    finally:  # grandchildren are out of reach of the parent-death signal
        for pid in (pid for pair in pairs for pid in pair):
            if not gone(pid):
                os.kill(pid, signal.SIGKILL)


def test_a_stop_signal_during_training_stops_rasa_train(tmp_path: Path) -> None:
    """``make run`` on a fresh var/: Ctrl-C while the Rasa model trains leaves nothing."""
    launcher = subprocess.Popen(
        [sys.executable, "-m", "assistant", "run"],
        cwd=PROJECT_ROOT,
        env={**os.environ, **_fresh_env(tmp_path)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:

        def trainer() -> psutil.Process | None:
            for child in psutil.Process(launcher.pid).children(recursive=True):
                try:
                    if "train" in child.cmdline():
                        return child
                except psutil.NoSuchProcess:
                    continue
            return None

        wait_until(trainer, 120, "rasa train started")
        started = psutil.Process(launcher.pid).children(recursive=True)
        launcher.send_signal(signal.SIGINT)
        output, _ = launcher.communicate(timeout=60)
    finally:
        if launcher.poll() is None:
            launcher.kill()
    assert launcher.returncode == 128 + signal.SIGINT, output
    wait_until(lambda: all(gone(p.pid) for p in started), 30, "training stopped")


def _fresh_env(tmp_path: Path, **ports: int) -> dict[str, str]:
    return {
        "ASSISTANT_ENVIRONMENT": "local",
        "ASSISTANT_VAR_DIR": str(tmp_path),
        "ASSISTANT_DATABASE_URL": f"sqlite:///{tmp_path / 'assistant.db'}",
        "ASSISTANT_APP_PORT": str(ports.get("app", free_port())),
        "ASSISTANT_RASA_PORT": str(ports.get("rasa", free_port())),
    }


@pytest.mark.parametrize("taken", ["app", "rasa"])
def test_a_taken_port_is_reported_with_its_process_and_nothing_starts(
    tmp_path: Path, taken: str
) -> None:
    port = free_port()
    holder = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until(
            lambda: any(
                c.laddr.port == port and c.status == psutil.CONN_LISTEN
                for c in psutil.Process(holder.pid).net_connections()
            ),
            30,
            "the holder listens",
        )
        env = _fresh_env(tmp_path, **{taken: port})
        done = subprocess.run(
            [sys.executable, "-m", "assistant", "run"],
            cwd=PROJECT_ROOT,
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        holder.terminate()
        holder.wait(30)
    assert done.returncode == 1
    setting = "ASSISTANT_APP_PORT" if taken == "app" else "ASSISTANT_RASA_PORT"
    assert f"port {port} ({setting}" in done.stderr
    assert f"pid {holder.pid}" in done.stderr and "http.server" in done.stderr
    assert "nothing was started" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "assistant.db").exists()  # not even migrated
    assert not (tmp_path / "rasa").exists()  # no training, no endpoints
