"""`ccotel backfill` as a process: the same spans as the hook, shared state, resumable, paced, opt-outs honoured."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import time
from pathlib import Path

from conftest import TRANSCRIPTS
from otlp_sink import OtlpSink
from runtime_support import (
    CCOTEL,
    SAMPLES,
    LiveSession,
    assert_each_once,
    assert_silent_success,
    hook_env,
    reference,
    renamed_lines,
    run_hook,
    sample_main,
)

DAY = 86400


def _config_dir(root: Path, copies_of_03: int = 0) -> dict[str, list[Path]]:
    """Every sample (plus extra copies of 03 under new session ids) as one Claude config dir, files a day old.
    Returns session id -> its files (main first)."""
    sessions: dict[str, list[Path]] = {}
    plan = [(sample, sample_main(sample).stem) for sample in SAMPLES if not sample.startswith("04")]
    plan += [("03-spotter-v2.1.38-tool-heavy", f"0303{i:04d}-0000-4000-8000-000000000000") for i in range(copies_of_03)]
    plan += [(sample, sample_main(sample).stem) for sample in SAMPLES if sample.startswith("04")]  # the big one last
    for sample, session_id in plan:
        source = sample_main(sample)
        project = root / "projects" / source.parent.name
        project.mkdir(parents=True, exist_ok=True)
        main = project / f"{session_id}.jsonl"
        if session_id == source.stem:
            shutil.copyfile(source, main)
        else:  # another session like it, not a copy of it (a copy's turns are not exported twice)
            main.write_bytes(b"".join(renamed_lines(source.read_bytes().splitlines(keepends=True), session_id,
                                                    session_id)))
        files = [main]
        subagents = source.parent / source.stem / "subagents"
        if subagents.is_dir():
            target = project / session_id / "subagents"
            shutil.copytree(subagents, target)
            files += sorted(target.glob("agent-*.jsonl"))
        sessions[session_id] = files
    old = time.time() - DAY
    for order, files in enumerate(sessions.values()):  # backfill goes oldest first: this order
        for path in files:
            os.utime(path, (old + order, old + order))
    return sessions


def _expected(sessions: dict[str, list[Path]]) -> dict[str, bytes]:
    expected: dict[str, bytes] = {}
    for session_id, files in sessions.items():
        expected.update(reference(session_id, files, "tester"))
    return expected


def _backfill(env: dict[str, str], *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(CCOTEL), "backfill", *args], capture_output=True, text=True, env=env,
                          timeout=timeout, check=False)


def _env(sink: OtlpSink, tmp_path: Path, **extra: str) -> dict[str, str]:
    return hook_env(sink.endpoint, tmp_path / "state", CCOTEL_USER_ID="tester",
                    CLAUDE_CONFIG_DIR=str(tmp_path / "claude"), **extra)


def test_backfill_sends_every_session_once_and_the_hook_then_sends_nothing(
    tmp_path: Path, otlp_sink: OtlpSink
) -> None:
    sessions = _config_dir(tmp_path / "claude")
    env = _env(otlp_sink, tmp_path)
    result = _backfill(env)
    assert result.returncode == 0, result.stderr
    expected = _expected(sessions)
    assert len(expected) == 13 + 4 + 13 + 339  # samples 01-04: API calls + tool uses + prompts (+1 subagent)
    assert assert_each_once(otlp_sink, expected) == 0
    last = result.stderr.strip().splitlines()[-1]
    full_bar = "[" + "#" * 24 + "]"
    assert last.startswith(f"backfill {full_bar} 4/4 files, {len(expected)} spans mapped, {len(expected)} sent (")
    assert "spans/s" in last and result.stdout == ""
    for session_id, files in sessions.items():  # the live hook on the same sessions: nothing new
        payload = {"session_id": session_id, "transcript_path": str(files[0]), "cwd": str(tmp_path)}
        for event in ("Stop", "SubagentStop", "SessionEnd"):
            assert_silent_success(run_hook({**payload, "hook_event_name": event}, env))
    assert _backfill(env).returncode == 0  # and a second backfill sends nothing either
    assert assert_each_once(otlp_sink, expected) == 0


def test_backfill_of_a_live_session_then_the_hook_continues_it(tmp_path: Path, otlp_sink: OtlpSink) -> None:
    session = LiveSession("04-spotter-v2.1.39-subagent-compaction", tmp_path / "claude")
    env = _env(otlp_sink, tmp_path)
    session.write_until(session.turn_starts[2])  # two turns on disk, the session still running
    assert _backfill(env).returncode == 0
    before = {span.span_id for span in otlp_sink.spans}
    assert before
    session.write_until(len(session.main_lines))
    assert_silent_success(run_hook(session.payload("Stop"), env))
    assert_silent_success(run_hook(session.payload("SessionEnd"), env))
    assert assert_each_once(otlp_sink, reference(session.session_id, session.files(), "tester")) == 0


def test_dry_run_writes_and_sends_nothing(tmp_path: Path, otlp_sink: OtlpSink) -> None:
    sessions = _config_dir(tmp_path / "claude")
    result = _backfill(_env(otlp_sink, tmp_path), "--dry-run")
    assert result.returncode == 0
    assert f"4/4 files (dry run), {len(_expected(sessions))} spans would be sent" in result.stderr
    assert otlp_sink.spans == [] and not (tmp_path / "state").exists()


def test_project_and_since_filters(tmp_path: Path, otlp_sink: OtlpSink) -> None:
    sessions = _config_dir(tmp_path / "claude")
    env = _env(otlp_sink, tmp_path)
    assert _backfill(env, "--project", "SPOTTER-dov", "--since", "2000-01-01").returncode == 0
    spotter = "4d5611e5-241a-462a-8d15-5122611a9569"
    assert assert_each_once(otlp_sink, reference(spotter, sessions[spotter], "tester")) == 0
    tomorrow = time.strftime("%Y-%m-%d", time.gmtime(time.time() + DAY))
    result = _backfill(env, "--since", tomorrow)
    assert result.returncode == 0 and "0/0 files" in result.stderr
    bad = _backfill(env, "--since", "last week")
    assert bad.returncode == 2 and "is not a date" in bad.stderr


def test_a_project_that_opted_out_is_skipped(tmp_path: Path, otlp_sink: OtlpSink) -> None:
    sessions = _config_dir(tmp_path / "claude")
    project = tmp_path / "work" / "music"
    (project / ".claude").mkdir(parents=True)
    (project / ".claude" / "settings.local.json").write_text(json.dumps({"env": {"CCOTEL_ENABLED": "false"}}))
    sniffly = "fed8ce56-bc79-401f-a83e-af084253362f"
    main = sessions[sniffly][0]
    lines = []
    for line in main.read_bytes().splitlines():
        row = json.loads(line)
        if "cwd" in row:
            row["cwd"] = str(project)
        lines.append(json.dumps(row).encode())
    main.write_bytes(b"\n".join(lines) + b"\n")
    os.utime(main, (time.time() - DAY, time.time() - DAY))
    result = _backfill(_env(otlp_sink, tmp_path))
    assert result.returncode == 0 and ", 1 skipped" in result.stderr
    del sessions[sniffly]
    assert assert_each_once(otlp_sink, _expected(sessions)) == 0


def test_collector_down_stops_with_one_readable_line_and_keeps_the_batches(tmp_path: Path) -> None:
    _config_dir(tmp_path / "claude")
    with OtlpSink() as sink:
        sink.status = 503
        result = _backfill(_env(sink, tmp_path), "--retries", "1")
        assert result.returncode == 1
        assert result.stderr.strip().splitlines()[-1].startswith("ccotel backfill: HTTP 503; stopped.")
        assert "retrying in 1 s" in result.stderr
        assert len(list((tmp_path / "state" / "spool").glob("*.batch"))) == 1


def test_an_interrupted_backfill_resumes_without_duplicates(tmp_path: Path, otlp_sink: OtlpSink) -> None:
    """Killed at random points (paced to 50 spans/s so it is killed at work), then run to the end."""
    rng = random.Random(7)
    sessions = _config_dir(tmp_path / "claude", copies_of_03=12)
    env = _env(otlp_sink, tmp_path)
    killed = 0
    for _ in range(8):
        process = subprocess.Popen([str(CCOTEL), "backfill", "--rate", "50"], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL, env=env)
        if killed == 0:  # the first kill comes once delivery has begun, however slow the machine is today
            deadline = time.monotonic() + 60
            while not otlp_sink.span_ids() and process.poll() is None and time.monotonic() < deadline:
                time.sleep(0.02)
        time.sleep(rng.uniform(0.3, 1.0))
        if process.poll() is not None:
            process.wait()
            break
        process.send_signal(signal.SIGKILL)
        process.wait()
        killed += 1
        if killed == 1:
            after_first_kill = len(set(otlp_sink.span_ids()))
    # a killed run's last request may still be in the sink's handler (a loaded machine): let it settle first
    settled = time.monotonic() + 10
    received_before_the_end = -1
    while len(otlp_sink.spans) != received_before_the_end and time.monotonic() < settled:
        received_before_the_end = len(otlp_sink.spans)
        time.sleep(1.0)
    started = time.monotonic()
    result = _backfill(env, "--rate", "50")
    assert result.returncode == 0, result.stderr
    expected = _expected(sessions)
    resends = assert_each_once(otlp_sink, expected)
    print(f"\nbackfill: killed {killed} times; {resends} byte-identical resends")
    assert killed >= 3 and 0 < after_first_kill < len(expected)  # killed while at work
    # pacing: the last run sent what was left at no more than 50 spans/s (its last batch goes at once)
    sent_last = len(otlp_sink.spans) - received_before_the_end
    assert time.monotonic() - started >= (sent_last - 339) / 50 - 0.1


def test_missing_projects_dir_is_one_readable_line(tmp_path: Path, otlp_sink: OtlpSink) -> None:
    result = _backfill(_env(otlp_sink, tmp_path), "--projects-dir", str(tmp_path / "nowhere"))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [f"ccotel backfill: --projects-dir: {tmp_path / 'nowhere'} "
                                                  "is not a directory"]
    assert TRANSCRIPTS.is_dir()


def test_progress_shows_a_bar_with_counts_and_rate(tmp_path: Path, otlp_sink: OtlpSink) -> None:
    sessions = _config_dir(tmp_path / "claude")
    result = _backfill(_env(otlp_sink, tmp_path))
    assert result.returncode == 0, result.stderr
    last = result.stderr.strip().splitlines()[-1]
    files = len(sessions)  # one main transcript per session; subagent files are read with it
    sent = len(set(otlp_sink.span_ids()))
    assert last.startswith(f"backfill [{'#' * 24}] {files}/{files} files, {sent} spans mapped, {sent} sent (")
    assert last.endswith(" spans/s), 0 skipped")
