"""Benchmark: `ccotel report --json` side by side with ccusage 20.0.24 on the same history (a script, not a test).

    .venv/bin/python tests/bench/bench_report_vs_ccusage.py [BIG_MB] [SESSIONS] [TURNS]

Writes one big session (about BIG_MB MB, default 50: long tool results, as a real long session has) and
SESSIONS small sessions of TURNS tool-using turns (default 400 x 6) into a temporary CLAUDE_CONFIG_DIR,
then times, each as a child process with its own peak RSS, three times each, every ccotel run right after a
ccusage run so that both see the same load on a shared machine (the time ratio is the median of the pairs):
- ccusage `daily --offline --json` (it has no cache: every run is a cold run);
- `ccotel report --json` cold (empty store), warm (nothing changed), after one new turn in the big
  session, after one new small session, and with --no-cache;
and checks that the token totals agree with ccusage's, after the cold run and at the end. The children run
without PYTHONDONTWRITEBYTECODE (a shell may set it; no user runs ccotel so, and with it every run would
compile its modules again). Targets (issue 13): cold <= 2x ccusage, warm and one-new-turn <= ccusage, peak
RSS <= ccusage.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))

from report.cc_lines import Session, bash, edit, grep, read  # noqa: E402

REPEAT = 3
CCUSAGE = REPO / "tests" / ".oracle" / "node_modules" / ".bin" / "ccusage"
APPENDED: list[Path] = []
RESULT_TEXT = "line of a long file that the model read while working on the task\n"


def small_session(number: int, turns: int) -> Session:
    session = Session(f"{number:08d}-0000-4000-8000-000000000000", cwd=f"/home/user/project{number % 7}")
    for turn in range(turns):
        session.tool_turn(
            f"work on task {turn % 5} of the backlog",
            [grep("needle"), read(f"/src/m{turn}.py"), edit(f"/src/m{turn}.py"), bash("pytest -q")],
            input_tokens=50,
            output_tokens=400,
            cache_read=20_000 + 3_000 * turn,
            cache_write_5m=2_000,
        )
    return session


def big_turn(session: Session, turn: int, result_bytes: int) -> None:
    session.prompt(f"continue with step {turn} of the migration")
    ids = session.call(
        tools=[read(f"/src/big{turn % 50}.py"), grep("TODO")],
        input_tokens=20,
        output_tokens=600,
        cache_read=60_000 + 50 * turn,
        cache_write_5m=1_500,
    )
    for tool_id in ids:
        session.result(tool_id, RESULT_TEXT * (result_bytes // len(RESULT_TEXT)))
    session.call(text="done with this step", input_tokens=20, output_tokens=200, cache_read=61_500 + 50 * turn)


def build(root: Path, big_mb: float, sessions: int, turns: int) -> tuple[Path, int]:
    big = Session("99999999-0000-4000-8000-000000000000", cwd="/home/user/monolith")
    turn = 0
    result_bytes = 10_000
    while len(big.lines) < 10 or turn * 2.5 * result_bytes < big_mb * 1e6:
        big_turn(big, turn, result_bytes)
        turn += 1
    big_path = big.write(root, "-home-user-monolith")
    size = big_path.stat().st_size
    for number in range(sessions):
        size += small_session(number, turns).write(root, f"-home-user-project{number % 7}").stat().st_size
    return big_path, size


def append_turn(path: Path) -> None:
    """One new turn at the end of the big session, as Claude Code appends it."""
    with path.open("rb") as handle:  # only the end: reading 50 MB here would raise the children's peak RSS
        handle.seek(max(path.stat().st_size - 200_000, 0))
        last = json.loads(handle.read().splitlines()[-1])
    extra = Session(last["sessionId"], cwd=last["cwd"], start=_parse(last["timestamp"]))
    extra._calls = 10**6 + 10 * len(APPENDED)  # new message ids (a turn makes two calls)
    APPENDED.append(path)
    big_turn(extra, 10**6 + len(APPENDED), 2_000)
    parent = last["uuid"]
    for index, line in enumerate(extra.lines):  # new line uuids (Session numbers them from 0: the mapper, like
        # Claude Code's own resume, drops lines whose uuid it has seen), chained after the file's last line
        line["uuid"] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{last['sessionId']}/appended/{len(APPENDED)}/{index}"))
        line["parentUuid"], parent = parent, line["uuid"]
    with path.open("a", encoding="utf-8") as handle:
        for line in extra.lines:
            handle.write(json.dumps(line, separators=(",", ":")) + "\n")


def _parse(stamp: str):
    from datetime import datetime

    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def run_measured(command: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Wall seconds, the child's own peak RSS in MB (wait4), stdout."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if process.returncode != 0:
            raise SystemExit(f"{command[0]} failed: {err.read()[-2000:]}")
        return elapsed, usage.ru_maxrss / 1024, out.read()


def main() -> None:
    if sys.argv[1:2] == ["--build"]:
        path, size = build(Path(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
        print(path, size)
        return
    big_mb = float(sys.argv[1]) if len(sys.argv) > 1 else 50
    sessions = int(sys.argv[2]) if len(sys.argv) > 2 else 400
    turns = int(sys.argv[3]) if len(sys.argv) > 3 else 6
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch) / "claude"
        # built in a child: a child's peak RSS starts at its parent's (fork), so this process stays small
        built = subprocess.run(
            [sys.executable, __file__, "--build", str(root), str(big_mb), str(sessions), str(turns)],
            capture_output=True, text=True, check=True,
        )
        big_path, size = Path(built.stdout.split()[0]), int(built.stdout.split()[1])
        # PYTHONDONTWRITEBYTECODE would make every ccotel run compile its modules again: no user runs like that
        env = {
            **{key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"},
            "CLAUDE_CONFIG_DIR": str(root),
            "HOME": scratch,
            "CCOTEL_STATE_DIR": str(Path(scratch) / "state"),
        }
        ccotel = [sys.executable, "-m", "ccotel.commands", "report", "--json"]
        print(f"history: 1 session of {big_path.stat().st_size / 1e6:.1f} MB + {sessions} x {turns} turns, "
              f"{size / 1e6:.1f} MB in all")
        print(f"ccusage: {CCUSAGE} daily --offline --json;  ccotel: {' '.join(ccotel[2:])}")
        rows: list[tuple[str, float, float, float]] = []
        store = Path(scratch) / "state" / "report.sqlite3"
        ccusage = [str(CCUSAGE), "daily", "--offline", "--json"]
        oracle = json.loads(run_measured(ccusage, env)[2])["totals"]

        def paired(name: str, command: list[str], before: Callable[[], None] = lambda: None) -> tuple[str, str]:
            """REPEAT pairs of (ccusage, ccotel) runs back to back, so both see the same load on a shared machine:
            the fastest of each, the median of the per-pair time ratios, the largest peak RSS of each."""
            ours, theirs = [], []
            for _ in range(REPEAT):
                theirs.append(run_measured(ccusage, env))
                before()
                ours.append(run_measured(command, env))
            ratio = statistics.median(o[0] / t[0] for o, t in zip(ours, theirs, strict=True))
            rows.append(("ccusage (beside it)", min(t[0] for t in theirs), 1.0, max(t[1] for t in theirs)))
            rows.append((name, min(o[0] for o in ours), ratio, max(o[1] for o in ours)))
            return ours[-1][2], theirs[-1][2]  # the last pair: ccusage ran before the change, ccotel after

        paired("ccotel --no-cache", [*ccotel, "--no-cache"])
        cold_run = paired("ccotel cold (empty store)", ccotel, lambda: store.unlink(missing_ok=True))
        cold = json.loads(cold_run[0])["totals"]
        paired("ccotel warm (nothing changed)", ccotel)
        paired("ccotel one new turn (big session)", ccotel, lambda: append_turn(big_path))
        counter = iter(range(sessions, sessions + REPEAT))
        after = json.loads(
            paired(
                "ccotel one new session",
                ccotel,
                lambda: small_session(next(counter), turns).write(root, "-home-user-project-new"),
            )[0]
        )["totals"]
        oracle_after = json.loads(run_measured(ccusage, env)[2])["totals"]
        print(f"{'run':36} {'seconds':>8} {'x ccusage':>9} {'peak MB':>8} {'x ccusage':>9}")
        for index in range(0, len(rows), 2):
            base, ours_row = rows[index], rows[index + 1]
            print(f"{base[0]:36} {base[1]:8.2f} {'':9} {base[3]:8.0f}")
            print(f"{ours_row[0]:36} {ours_row[1]:8.2f} {ours_row[2]:9.2f} {ours_row[3]:8.0f} "
                  f"{ours_row[3] / base[3]:9.2f}")
        names = (("input_tokens", "inputTokens"), ("output_tokens", "outputTokens"),
                 ("cache_creation_tokens", "cacheCreationTokens"), ("cache_read_tokens", "cacheReadTokens"))
        same = all(cold[ours] == oracle[theirs] for ours, theirs in names)
        same_after = all(after[ours] == oracle_after[theirs] for ours, theirs in names)
        print(f"tokens equal to ccusage's: cold run {same}, after {REPEAT} new turns and sessions {same_after}; "
              f"calls {cold['calls']} then {after['calls']}; seconds: fastest of {REPEAT}; x ccusage: median of "
              f"{REPEAT} back-to-back pairs; peak: largest of the runs")


if __name__ == "__main__":
    main()
