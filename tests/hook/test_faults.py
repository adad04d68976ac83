"""The hook under faults: a sick or absent collector, kills at random points, concurrency, a full spool,
poison answers, and opt-outs. Every case checks what the real OTLP endpoint finally received."""

from __future__ import annotations

import gzip
import json
import os
import random
import signal
import socket
import stat
import subprocess
import time
from pathlib import Path

import pytest
from otlp_sink import OtlpSink, decode_request
from runtime_support import (
    HOOK_COMMAND,
    LiveSession,
    assert_each_once,
    assert_silent_success,
    hook_env,
    reference,
    renamed_lines,
    run_hook,
)

SHORT = "03-spotter-v2.1.38-tool-heavy"
BIG = "04-spotter-v2.1.39-subagent-compaction"


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _spool(state_dir: Path) -> list[Path]:
    return sorted((state_dir / "spool").glob("*.batch"))


def test_collector_returning_503_for_several_turns_then_recovering(tmp_path: Path, otlp_sink: OtlpSink) -> None:
    session = LiveSession(BIG, tmp_path / "claude")
    state_dir = tmp_path / "state"
    env = hook_env(otlp_sink.endpoint, state_dir, CCOTEL_USER_ID="tester")
    otlp_sink.status = 503
    starts = session.turn_starts
    for end in starts[1:]:
        session.write_until(end)
        assert_silent_success(run_hook(session.payload("Stop"), env))
    assert otlp_sink.spans == [] and len(_spool(state_dir)) == len(starts) - 1
    status = json.loads((state_dir / "status.json").read_text())
    assert status["last_attempt"]["status"] == 503 and status["spool"]["batches"] == len(starts) - 1
    assert f"spool holds {len(starts) - 1} batches" in (state_dir / "ccotel.log").read_text().splitlines()[-1]
    otlp_sink.status = 200
    session.write_all()
    assert_silent_success(run_hook(session.payload("SessionEnd"), env))
    assert assert_each_once(otlp_sink, reference(session.session_id, session.files(), "tester")) == 0
    assert _spool(state_dir) == []
    # the batches went oldest first
    assert json.loads((state_dir / "status.json").read_text())["spool"]["batches"] == 0


def test_collector_absent_then_started_on_its_port(tmp_path: Path) -> None:
    port = _closed_port()
    session = LiveSession(SHORT, tmp_path / "claude")
    state_dir = tmp_path / "state"
    env = hook_env(f"http://127.0.0.1:{port}", state_dir, CCOTEL_USER_ID="tester")
    for end in session.turn_starts[1:]:
        session.write_until(end)
        started = time.monotonic()
        assert_silent_success(run_hook(session.payload("Stop"), env))
        assert time.monotonic() - started < 2.0
    assert len(_spool(state_dir)) == len(session.turn_starts) - 1
    assert "cannot reach" in (state_dir / "ccotel.log").read_text()
    with OtlpSink(port=port) as sink:
        session.write_all()
        assert_silent_success(run_hook(session.payload("SessionEnd"), env))
        assert assert_each_once(sink, reference(session.session_id, session.files(), "tester")) == 0


def test_a_hanging_collector_costs_one_deadline_and_the_resend_is_identical(
    tmp_path: Path, otlp_sink: OtlpSink
) -> None:
    session = LiveSession(SHORT, tmp_path / "claude")
    state_dir = tmp_path / "state"
    env = hook_env(otlp_sink.endpoint, state_dir, CCOTEL_USER_ID="tester", CCOTEL_TIMEOUT="1")
    otlp_sink.delay_seconds = 2.0
    session.write_until(session.turn_starts[1])
    started = time.monotonic()
    assert_silent_success(run_hook(session.payload("Stop"), env))
    assert time.monotonic() - started < 1.6
    assert len(_spool(state_dir)) == 1  # no answer: kept
    status = json.loads((state_dir / "status.json").read_text())
    assert 25 < status["retry_not_before"] - time.time() <= 30  # the next runs do not wait for it again
    session.write_all()
    started = time.monotonic()
    assert_silent_success(run_hook(session.payload("Stop"), env))
    assert time.monotonic() - started < 0.8 and len(_spool(state_dir)) == 2  # committed, not attempted
    time.sleep(1.2)  # the sink records the first request after its delay, so its resend is a duplicate
    otlp_sink.delay_seconds = 0
    status["retry_not_before"] = time.time() - 1  # 30 s later
    (state_dir / "status.json").write_text(json.dumps(status))
    assert_silent_success(run_hook(session.payload("SessionEnd"), env))
    expected = reference(session.session_id, session.files(), "tester")
    resends = assert_each_once(otlp_sink, expected)
    assert 0 < resends < len(expected)  # exactly the first batch, byte for byte
    assert _spool(state_dir) == []


def test_sigkill_at_random_points_loses_nothing(tmp_path: Path, otlp_sink: OtlpSink) -> None:
    """60 hook runs on a growing transcript, each killed after a random delay; then one clean run."""
    rng = random.Random(20261121)
    session = LiveSession(BIG, tmp_path / "claude")
    state_dir = tmp_path / "state"
    env = hook_env(otlp_sink.endpoint, state_dir, CCOTEL_USER_ID="tester")
    total = len(session.main_lines)
    turn_ends = set(session.turn_starts[1:])
    killed = 0
    typical = 0.15  # seconds a run takes here; adapted from the runs that were not killed
    for run in range(1, 61):
        end = total * run // 60
        session.write_until(end)
        event = "Stop" if end in turn_ends else "SubagentStop"
        process = subprocess.Popen(HOOK_COMMAND, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, env=env)
        assert process.stdin is not None
        process.stdin.write(json.dumps(session.payload(event)).encode())
        process.stdin.close()
        started = time.monotonic()
        time.sleep(rng.uniform(0.3, 1.1) * typical)  # mostly inside the run, wherever its time goes
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            killed += 1
        else:
            typical = 0.5 * typical + 0.5 * (time.monotonic() - started)
        process.wait()
        assert process.stdout is not None and process.stderr is not None
        assert process.stdout.read() == b"" and process.stderr.read() == b""
        process.stdout.close()
        process.stderr.close()
    session.write_all()
    assert_silent_success(run_hook(session.payload("SessionEnd"), env))
    assert_silent_success(run_hook(session.payload("SessionEnd"), env))
    resends = assert_each_once(otlp_sink, reference(session.session_id, session.files(), "tester"))
    print(f"\nSIGKILL: {killed} of 60 runs killed; {resends} byte-identical resends; "
          f"{len(otlp_sink.spans)} spans received")
    assert killed >= 25  # the test really killed runs at work
    assert _spool(state_dir) == []


def test_eight_concurrent_sessions_and_overlapping_runs_of_one_session(tmp_path: Path, otlp_sink: OtlpSink) -> None:
    state_dir = tmp_path / "state"
    env = hook_env(otlp_sink.endpoint, state_dir, CCOTEL_USER_ID="tester")
    sessions = [LiveSession(SHORT, tmp_path / f"claude{i}", session_id=f"c0ffee00-0000-4000-8000-00000000000{i}")
                for i in range(8)]
    for session in sessions:  # eight different sessions, not copies of one (a copy's turns are not exported)
        session.main_lines = renamed_lines(session.main_lines, session.session_id, session.session_id)
    starts = [*sessions[0].turn_starts[1:], len(sessions[0].main_lines)]
    for end in starts:
        processes = []
        for session in sessions:
            session.write_until(end)
            for event in ("Stop", "SubagentStop"):  # two runs of the same session at once
                process = subprocess.Popen(HOOK_COMMAND, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                           stderr=subprocess.PIPE, env=env)
                processes.append((process, json.dumps(session.payload(event)).encode()))
        for process, payload in processes:
            out, err = process.communicate(payload, timeout=30)
            assert (process.returncode, out, err) == (0, b"", b"")
    for session in sessions:
        assert_silent_success(run_hook(session.payload("SessionEnd"), env))
    expected: dict[str, bytes] = {}
    for session in sessions:
        expected.update(reference(session.session_id, session.files(), "tester"))
    assert len(expected) == 8 * 13
    assert assert_each_once(otlp_sink, expected) == 0
    for session in sessions:
        state = json.loads((state_dir / "sessions" / f"{session.session_id}.json").read_text())
        assert state["files"]["main"]["offset"] == session.main.stat().st_size


def test_state_and_spool_are_private(tmp_path: Path) -> None:
    previous = os.umask(0o022)
    try:
        session = LiveSession(SHORT, tmp_path / "claude")
        state_dir = tmp_path / "state"
        env = hook_env(f"http://127.0.0.1:{_closed_port()}", state_dir, CCOTEL_USER_ID="tester")
        session.write_all()
        assert_silent_success(run_hook(session.payload("Stop"), env))
        with OtlpSink() as sink:
            sink.status = 400
            assert_silent_success(run_hook(session.payload("Stop"), hook_env(sink.endpoint, state_dir)))
    finally:
        os.umask(previous)
    kinds = {p.relative_to(state_dir).parts[0] for p in state_dir.rglob("*")}
    assert {"sessions", "spool", "rejected", "claims", "ccotel.log", "status.json", "instance-id"} <= kinds
    assert list((state_dir / "rejected").glob("*.batch"))
    for path in [state_dir, *state_dir.rglob("*")]:
        if path.is_symlink():  # a turn claim: a link's own mode means nothing; its 0700 directories guard it
            assert path.relative_to(state_dir).parts[0] == "claims", path
            continue
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), (path, oct(mode))


def test_a_full_spool_stops_reading_and_loses_nothing(tmp_path: Path) -> None:
    port = _closed_port()
    session = LiveSession(BIG, tmp_path / "claude")
    state_dir = tmp_path / "state"
    env = hook_env(f"http://127.0.0.1:{port}", state_dir, CCOTEL_USER_ID="tester", CCOTEL_SPOOL_MAX_MB="0.1")
    limit = int(0.1 * 1024 * 1024)
    total = len(session.main_lines)
    largest = 0
    for step in range(1, 21):
        session.write_until(total * step // 20)
        assert_silent_success(run_hook(session.payload("SubagentStop"), env))
        sizes = [path.stat().st_size for path in _spool(state_dir)]
        largest = max([largest, *sizes])
        assert sum(sizes) < limit + largest  # bounded: at most one batch past the limit
    status = json.loads((state_dir / "status.json").read_text())
    assert status["spool"]["full"] is True and status["spool"]["max_bytes"] == limit
    assert "spool full" in (state_dir / "ccotel.log").read_text()
    state = json.loads((state_dir / "sessions" / f"{session.session_id}.json").read_text())
    assert state["files"]["main"]["offset"] < session.main.stat().st_size  # lines left unread, not dropped
    with OtlpSink(port=port) as sink:
        session.write_all()
        for _ in range(6):
            assert_silent_success(run_hook(session.payload("SessionEnd"), env))
        assert assert_each_once(sink, reference(session.session_id, session.files(), "tester")) == 0
    assert _spool(state_dir) == []


def test_a_poison_answer_sets_the_batch_aside_once(tmp_path: Path, otlp_sink: OtlpSink) -> None:
    session = LiveSession(SHORT, tmp_path / "claude")
    state_dir = tmp_path / "state"
    env = hook_env(otlp_sink.endpoint, state_dir, CCOTEL_USER_ID="tester")
    session.write_until(session.turn_starts[1])
    otlp_sink.status = 400
    assert_silent_success(run_hook(session.payload("Stop"), env))
    rejected = sorted((state_dir / "rejected").glob("*.batch"))
    assert len(rejected) == 1 and _spool(state_dir) == []
    assert rejected[0].with_suffix(".reason").read_text().startswith("HTTP 400")
    assert "refused" in (state_dir / "ccotel.log").read_text()
    # the rejected file still holds the spans, readable by a person or a tool
    data = rejected[0].read_bytes()
    header = json.loads(data.split(b"\n", 2)[1])
    body = gzip.decompress(data[-header["body_bytes"]:])
    first_turn = {span.span_id for span in decode_request(body)}
    assert len(first_turn) == header["spans"] > 0
    # a wrong credential (401) is not the batch's fault: kept, then delivered
    otlp_sink.status = 401
    session.write_all()
    assert_silent_success(run_hook(session.payload("Stop"), env))
    assert len(_spool(state_dir)) == 1 and otlp_sink.spans == []
    otlp_sink.status = 200
    assert_silent_success(run_hook(session.payload("SessionEnd"), env))
    expected = reference(session.session_id, session.files(), "tester")
    received = {span.span_id for span in otlp_sink.spans}
    assert received == set(expected) - first_turn and len(otlp_sink.spans) == len(received)
    json_status = json.loads((state_dir / "status.json").read_text())
    assert json_status["rejected"]["batches"] == 1


def test_project_opt_out_and_global_switch(tmp_path: Path, otlp_sink: OtlpSink) -> None:
    session = LiveSession(SHORT, tmp_path / "claude")
    session.write_all()
    (session.root / ".claude").mkdir()
    (session.root / ".claude" / "settings.local.json").write_text(json.dumps({"env": {"CCOTEL_ENABLED": "false"}}))
    state_dir = tmp_path / "state"
    assert_silent_success(run_hook(session.payload("SessionEnd"), hook_env(otlp_sink.endpoint, state_dir)))
    assert otlp_sink.spans == [] and not (state_dir / "sessions").exists()
    (session.root / ".claude" / "settings.local.json").unlink()
    off = hook_env(otlp_sink.endpoint, tmp_path / "state2", CCOTEL_ENABLED="false")
    assert_silent_success(run_hook(session.payload("SessionEnd"), off))
    assert otlp_sink.spans == [] and not (tmp_path / "state2").exists()
    assert_silent_success(run_hook(session.payload("SessionEnd"), hook_env(otlp_sink.endpoint, state_dir)))
    assert len(otlp_sink.spans) == 13


@pytest.mark.parametrize("payload", [
    b"", b"not json", b"[]", b'{"session_id": 5}', b'{"session_id": "s"}', b"\xff\xfe{",
    b'{"session_id": "../../x", "transcript_path": "/nonexistent/t.jsonl", "hook_event_name": "Stop"}',
    b'{"session_id": "s", "transcript_path": "/dev/zero", "hook_event_name": "SessionEnd"}',
    b'{"session_id": "s", "transcript_path": "/etc", "hook_event_name": "Stop", "cwd": 3}',
    b'{"session_id": "s", "transcript_path": "/etc/passwd", "hook_event_name": "PreToolUse"}',
])
def test_bad_payloads_exit_0_silently_and_say_why_in_the_log(
    payload: bytes, tmp_path: Path, otlp_sink: OtlpSink
) -> None:
    state_dir = tmp_path / "state"
    started = time.monotonic()
    assert_silent_success(run_hook(payload, hook_env(otlp_sink.endpoint, state_dir)))
    assert time.monotonic() - started < 2.5
    log = (state_dir / "ccotel.log").read_text()
    assert log.count("\n") >= 1
    assert "Traceback" not in log
    assert otlp_sink.spans == []


def test_unknown_options_and_an_unusable_state_dir_still_exit_0(tmp_path: Path, otlp_sink: OtlpSink) -> None:
    session = LiveSession(SHORT, tmp_path / "claude")
    session.write_all()
    env = hook_env(otlp_sink.endpoint, tmp_path / "state", CCOTEL_USER_ID="tester")
    data = json.dumps(session.payload("Stop")).encode()
    result = subprocess.run([*HOOK_COMMAND, "--event", "stop", "-x"], input=data, capture_output=True, env=env,
                            check=False, timeout=30)
    assert_silent_success(result)
    assert len(otlp_sink.spans) > 0  # the extra words were ignored, the run did its work
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    broken = hook_env(otlp_sink.endpoint, blocker / "state")
    assert_silent_success(run_hook(session.payload("SessionEnd"), broken))
