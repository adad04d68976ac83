"""Fuzzed payloads and transcript lines (hypothesis): the hook exits 0, silently, within its deadline, and
no valid line is lost because of the bad ones around it."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from otlp_sink import OtlpSink
from runtime_support import LiveSession, assert_each_once, assert_silent_success, hook_env, reference, run_hook

from ccotel.hook.transcript import parse_line

FUZZ = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
DEADLINE = 1.0

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3),
    max_leaves=10,
)
payload_fields = st.fixed_dictionaries(
    {},
    optional={
        "session_id": st.text(max_size=60) | json_values,
        "transcript_path": st.sampled_from(["/nonexistent", "/dev/null", "/etc/hostname", "", "~", "/tmp"])
        | st.text(max_size=40),
        "hook_event_name": st.sampled_from(["Stop", "SubagentStop", "SessionEnd", "PreToolUse", ""]) | json_values,
        "cwd": st.text(max_size=30) | json_values,
        "last_assistant_message": st.text(max_size=50) | json_values,
        "agent_transcript_path": st.text(max_size=30) | json_values,
    },
)


@FUZZ
@given(payload=st.binary(max_size=300) | payload_fields.map(lambda d: json.dumps(d).encode()))
def test_fuzzed_payloads(payload: bytes, tmp_path_factory: object, otlp_sink: OtlpSink) -> None:
    state_dir = tmp_path_factory.mktemp("state")  # type: ignore[attr-defined]
    env = hook_env(otlp_sink.endpoint, state_dir, CCOTEL_TIMEOUT=str(DEADLINE))
    started = time.monotonic()
    assert_silent_success(run_hook(payload, env))
    assert time.monotonic() - started < DEADLINE + 1.0
    assert (state_dir / "ccotel.log").read_text().strip()  # it said what it did, or why not


garbage_line = (
    st.binary(min_size=1, max_size=200).map(lambda b: b.replace(b"\n", b" "))
    | st.sampled_from([b'{"type": "assistant", "message": ', b"\xff\xfe\xfd", b"[" * 5000 + b"]" * 5000,
                       b'"just a string"', b"[1, 2, 3]", b"null", b'{"a": 1e999999}', b"\x00" * 50])
).filter(lambda b: b.strip() and parse_line(b) is None)


@FUZZ
@given(garbage=st.lists(st.tuples(st.integers(0, 38), garbage_line), min_size=1, max_size=6))
def test_garbage_lines_lose_no_valid_line(
    garbage: list[tuple[int, bytes]], tmp_path_factory: object, otlp_sink: OtlpSink
) -> None:
    root = tmp_path_factory.mktemp("claude")  # type: ignore[attr-defined]
    session = LiveSession("03-spotter-v2.1.38-tool-heavy", root, session_id=str(uuid.uuid4()))
    clean = list(session.main_lines)
    for position, line in sorted(garbage, reverse=True):
        session.main_lines.insert(position, line + b"\n")
    state_dir = root / "state"
    env = hook_env(otlp_sink.endpoint, state_dir, CCOTEL_USER_ID="tester", CCOTEL_TIMEOUT=str(DEADLINE))
    half = len(session.main_lines) // 2
    session.write_until(half)
    assert_silent_success(run_hook(session.payload("SubagentStop"), env))
    session.write_all()
    started = time.monotonic()
    assert_silent_success(run_hook(session.payload("SessionEnd"), env))
    assert time.monotonic() - started < DEADLINE + 1.0
    pristine = root / "pristine.jsonl"
    pristine.write_bytes(b"".join(clean))
    expected = reference(session.session_id, [pristine], "tester")
    sent = {span.span_id for span in otlp_sink.spans if span.span_id in expected}
    assert sent == set(expected)
    assert "not JSON objects" in (state_dir / "ccotel.log").read_text()


def test_twenty_megabyte_lines_and_duplicates(tmp_path: Path, otlp_sink: OtlpSink) -> None:
    session = LiveSession("01-sniffly-v1.0.17-tool-errors", tmp_path / "claude")
    huge_garbage = b'{"type": "user", "message": "' + b"x" * (20 * 1024 * 1024)  # never closed: not JSON
    huge_valid = json.dumps({"type": "future-type", "payload": "y" * (20 * 1024 * 1024)}).encode()
    session.main_lines[3:3] = [huge_garbage + b"\n", huge_valid + b"\n"]
    session.main_lines[8:8] = [session.main_lines[7], session.main_lines[7]]  # a line written three times
    env = hook_env(otlp_sink.endpoint, tmp_path / "state", CCOTEL_USER_ID="tester")
    session.write_all()
    started = time.monotonic()
    assert_silent_success(run_hook(session.payload("SessionEnd"), env))
    elapsed = time.monotonic() - started
    assert elapsed < 3.0
    assert assert_each_once(otlp_sink, reference(session.session_id, session.files(), "tester")) == 0
    clean = tmp_path / "clean.jsonl"
    clean.write_bytes(b"".join(LiveSession("01-sniffly-v1.0.17-tool-errors", tmp_path / "c2").main_lines))
    assert {span.span_id for span in otlp_sink.spans} == set(reference(session.session_id, [clean], "tester"))
    assert "skipped 1 line(s) that are not JSON objects" in (tmp_path / "state" / "ccotel.log").read_text()
