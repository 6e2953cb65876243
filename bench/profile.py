"""``python -m bench.profile``: where a turn's time goes, under the chat load.

Runs the load scenario's chat users against a bench stack while py-spy samples
the Rasa servers and the app, then prints the functions that took the most of
each process's busy samples. py-spy is a profiling tool, not a dependency:
``pip install -r requirements/profile.txt`` into any environment (it attaches to
processes of either venv) and pass its path with ``--py-spy`` if it is not on
PATH. This is how the findings of issue 10 were made (README "Capacity").
"""

from __future__ import annotations

import argparse
import collections
import random
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from bench.load import _binding_codes, _warm_up, bench_stack, run_phase
from bench.scenario import User, policy_questions

# leaf frames of threads that only wait (py-spy counts some waits as busy)
WAITING = (
    "_worker (concurrent/futures/thread.py",
    "Condition.wait",
    "Queue.get",
    "wait (threading",
    "select (selectors",
    "Event.wait",
    "TMonitor.run",
)


def summary(raw: Path, top: int) -> list[str]:
    """The ``top`` functions by share of busy samples (inclusive) in a raw py-spy file."""
    total, inclusive = 0, collections.Counter[str]()
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        if not stack or any(frames[-1].startswith(w) for w in WAITING):
            continue
        total += int(count)
        for frame in {re.sub(r":\d+\)", ")", f) for f in frames[1:]}:
            inclusive[frame] += int(count)
    return [
        f"{n / total * 100:5.1f}%  {frame}" for frame, n in inclusive.most_common(top)
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=45)
    parser.add_argument("--profile", default="default")
    parser.add_argument("--py-spy", default=shutil.which("py-spy") or "py-spy")
    parser.add_argument("--top", type=int, default=60)
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()))
    args = parser.parse_args()
    questions = policy_questions()
    with (
        tempfile.TemporaryDirectory() as tmp,
        bench_stack(Path(tmp), args.profile) as (stack, pids),
    ):
        _warm_up(stack, questions)
        codes = _binding_codes(stack, args.users)
        users = [
            User(f"p{i}", codes[i], random.Random(i), questions)
            for i in range(args.users)
        ]
        spies = {}
        for name, group in pids.items():
            for pid in group:
                out = args.out / f"profile-{name}-{pid}.txt"
                spies[out] = subprocess.Popen(
                    [args.py_spy, "record", "-p", str(pid), "-s", "-r", "50"]
                    + ["-d", str(int(args.seconds - 5)), "-f", "raw", "-o", str(out)],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
        result = run_phase(
            stack, pids, users, seconds=args.seconds, calls=0, timeout_s=30
        )
        for spy in spies.values():
            spy.wait()
    print(
        f"{result['turns_per_s']} turns/s, p50 {result['p50_ms']} ms, "
        f"p95 {result['p95_ms']} ms; CPU s per turn {result['cpu_s_per_turn']}"
    )
    for out in spies:
        if out.exists():
            print(f"\n== {out.name}")
            print("\n".join(summary(out, args.top)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
