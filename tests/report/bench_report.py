"""Benchmark: `ccotel report` over a big synthetic history (not a test; run by hand).

    .venv/bin/python tests/report/bench_report.py [SESSIONS] [TURNS_PER_SESSION]

Writes SESSIONS sessions of TURNS_PER_SESSION tool-using turns into a temporary CLAUDE_CONFIG_DIR, runs
`ccotel report --json` as a child process and prints its wall time, peak memory (max RSS) and the
transcript bytes read. Memory should stay roughly flat as SESSIONS grows: the report streams one
session at a time and keeps aggregates only.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from report.cc_lines import Session, bash, edit, grep, read


def build(root: Path, sessions: int, turns: int) -> int:
    size = 0
    for number in range(sessions):
        session = Session(f"{number:08d}-0000-4000-8000-000000000000", cwd=f"/home/user/project{number % 7}")
        for turn in range(turns):
            context = 20_000 + 3_000 * turn
            session.tool_turn(
                f"work on task {turn % 5} of the backlog",
                [grep("needle"), read(f"/src/m{turn}.py"), edit(f"/src/m{turn}.py"), bash("pytest -q")],
                input_tokens=50,
                output_tokens=400,
                cache_read=context,
                cache_write_5m=2_000,
            )
        size += session.write(root, f"-home-user-project{number % 7}").stat().st_size
    return size


def main() -> None:
    sessions = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    turns = int(sys.argv[2]) if len(sys.argv) > 2 else 40
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        size = build(root, sessions, turns)
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "ccotel.commands", "report", "--json"],
            env={**os.environ, "CLAUDE_CONFIG_DIR": str(root), "HOME": scratch},
            capture_output=True,
            text=True,
        )
        elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(
        f"{sessions} sessions x {turns} turns, {size / 1e6:.1f} MB of transcripts: "
        f"{elapsed:.2f} s, {size / 1e6 / elapsed:.1f} MB/s, peak RSS {peak_kb / 1024:.0f} MB"
    )


if __name__ == "__main__":
    main()
