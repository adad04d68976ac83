"""The real hook as a process, on live copies of the sample sessions, against a real OTLP endpoint."""

from __future__ import annotations

import socket
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from otlp_sink import OtlpSink
from runtime_support import (
    SAMPLES,
    LiveSession,
    assert_each_once,
    assert_silent_success,
    hook_env,
    independent_counts,
    reference,
    run_hook,
    simulate,
)


@pytest.mark.parametrize("sample", SAMPLES)
def test_a_session_turn_by_turn_arrives_complete_and_once(sample: str, tmp_path: Path, otlp_sink: OtlpSink) -> None:
    session = LiveSession(sample, tmp_path / "claude")
    state_dir = tmp_path / "state"
    env = hook_env(otlp_sink.endpoint, state_dir, CCOTEL_USER_ID="tester",
                   CCOTEL_RESOURCE_ATTRIBUTES="deployment.environment=laptop,team=a%2Cb")
    runs = simulate(session, env, mid_turn_steps=1)
    assert runs == 2 * len(session.turn_starts) + 1

    files = session.files()
    expected = reference(session.session_id, files, "tester")
    assert assert_each_once(otlp_sink, expected) == 0  # no crash, so not even an identical resend

    counts = Counter(span.name.split(" ")[0] for span in otlp_sink.spans)
    raw = independent_counts(files)
    assert counts["chat"] == raw["chat"]
    assert counts["execute_tool"] == raw["execute_tool"]
    roots = [span for span in otlp_sink.spans if not span.parent_span_id]
    assert len(roots) == raw["prompts"]
    assert all(root.name == "invoke_agent claude-code" for root in roots)

    # parents: every parent is a received span of the same trace; one root per trace
    by_id = {span.span_id: span for span in otlp_sink.spans}
    for span in otlp_sink.spans:
        if span.parent_span_id:
            assert by_id[span.parent_span_id].trace_id == span.trace_id
    assert Counter(root.trace_id for root in roots) == Counter({root.trace_id: 1 for root in roots})
    assert {span.trace_id for span in otlp_sink.spans} == {root.trace_id for root in roots}

    # resource, scope, transport
    instance_id = (state_dir / "instance-id").read_text().strip()
    assert len(instance_id) == 36
    for span in otlp_sink.spans:
        assert span.resource == {
            "service.name": "claude-code",
            "service.instance.id": instance_id,
            "host.name": socket.gethostname(),
            "deployment.environment": "laptop",
            "team": "a,b",
        }
        assert (span.scope_name, span.scope_version) == ("ccotel", "0.1.0")
    assert otlp_sink.requests and all(r["content-encoding"] == "gzip" for r in otlp_sink.requests)
    assert all(r["content-type"] == "application/json" for r in otlp_sink.requests)  # OTLP/JSON
    assert list((state_dir / "spool").iterdir()) == []


def test_ids_are_stable_across_two_independent_runs(tmp_path: Path) -> None:
    """Two fresh state dirs, two sinks, the same session written turn by turn: the same bytes per span id."""
    received = []
    for attempt in ("one", "two"):
        with OtlpSink() as sink:
            session = LiveSession("03-spotter-v2.1.38-tool-heavy", tmp_path / attempt / "claude")
            simulate(session, hook_env(sink.endpoint, tmp_path / attempt / "state", CCOTEL_USER_ID="tester"))
            received.append({span.span_id: (span.trace_id, span.parent_span_id, span.raw) for span in sink.spans})
    assert received[0] == received[1]
    assert len(received[0]) == 4 + 6 + 3  # calls + tool uses + prompts of sample 03 (SOURCES.md, raw JSON)


def test_stop_waits_briefly_for_the_turn_to_reach_the_disk(tmp_path: Path, otlp_sink: OtlpSink) -> None:
    """Stop fires before the last assistant line is written; it lands 100 ms later: the turn is closed now."""
    session = LiveSession("01-sniffly-v1.0.17-tool-errors", tmp_path / "claude")
    env = hook_env(otlp_sink.endpoint, tmp_path / "state", CCOTEL_USER_ID="tester")
    session.write_until(len(session.main_lines) - 1)
    final_text = session.last_assistant_text(len(session.main_lines))
    assert final_text and final_text != session.last_assistant_text()
    payload = session.payload("Stop", last_assistant_message=final_text)
    writer = threading.Timer(0.1, session.write_all)
    writer.start()
    started = time.monotonic()
    assert_silent_success(run_hook(payload, env))
    writer.join()
    assert time.monotonic() - started < 2.5
    expected = reference(session.session_id, session.files(), "tester")
    assert assert_each_once(otlp_sink, expected) == 0  # every span, roots included, without SessionEnd


def test_stop_leaves_the_turn_open_when_its_end_never_arrives(tmp_path: Path, otlp_sink: OtlpSink) -> None:
    session = LiveSession("01-sniffly-v1.0.17-tool-errors", tmp_path / "claude")
    env = hook_env(otlp_sink.endpoint, tmp_path / "state", CCOTEL_USER_ID="tester")
    session.write_until(len(session.main_lines) - 1)
    final_text = session.last_assistant_text(len(session.main_lines))
    assert_silent_success(run_hook(session.payload("Stop", last_assistant_message=final_text), env))
    roots_now = [span for span in otlp_sink.spans if not span.parent_span_id]
    assert len(roots_now) == 1  # the first turn was closed by the second prompt; the last one is open
    session.write_all()
    assert_silent_success(run_hook(session.payload("Stop"), env))
    expected = reference(session.session_id, session.files(), "tester")
    assert assert_each_once(otlp_sink, expected) == 0


def test_a_transcript_rewritten_from_scratch_is_read_again_without_resending(
    tmp_path: Path, otlp_sink: OtlpSink
) -> None:
    session = LiveSession("03-spotter-v2.1.38-tool-heavy", tmp_path / "claude")
    env = hook_env(otlp_sink.endpoint, tmp_path / "state", CCOTEL_USER_ID="tester")
    session.write_until(session.turn_starts[2])
    assert_silent_success(run_hook(session.payload("Stop"), env))
    first = len(otlp_sink.spans)
    assert first > 0
    # replaced by a new file (new inode) holding the same history plus the rest
    replacement = session.main.with_suffix(".new")
    replacement.write_bytes(b"".join(session.main_lines))
    replacement.replace(session.main)
    session.written = len(session.main_lines)
    assert_silent_success(run_hook(session.payload("SessionEnd"), env))
    expected = reference(session.session_id, session.files(), "tester")
    assert assert_each_once(otlp_sink, expected) == 0
    log = (tmp_path / "state" / "ccotel.log").read_text()
    assert "the file was replaced (new inode); reading it again from 0" in log


def test_a_transcript_that_shrank_is_read_again_and_nothing_is_sent_twice(
    tmp_path: Path, otlp_sink: OtlpSink
) -> None:
    session = LiveSession("03-spotter-v2.1.38-tool-heavy", tmp_path / "claude")
    env = hook_env(otlp_sink.endpoint, tmp_path / "state", CCOTEL_USER_ID="tester")
    session.write_all()
    assert_silent_success(run_hook(session.payload("SessionEnd"), env))
    expected = reference(session.session_id, session.files(), "tester")
    assert assert_each_once(otlp_sink, expected) == 0
    with session.main.open("r+b") as handle:  # same inode, cut back to half (mid-line)
        handle.truncate(session.main.stat().st_size // 2)
    assert_silent_success(run_hook(session.payload("Stop"), env))
    assert "the file shrank" in (tmp_path / "state" / "ccotel.log").read_text()
    assert assert_each_once(otlp_sink, expected) == 0  # re-read from 0: nothing new, nothing twice


def test_a_last_line_without_newline_waits_for_it_or_for_session_end(tmp_path: Path, otlp_sink: OtlpSink) -> None:
    session = LiveSession("02-spotter-v2.1.38-short", tmp_path / "claude")
    env = hook_env(otlp_sink.endpoint, tmp_path / "state", CCOTEL_USER_ID="tester", CCOTEL_DEBUG="1")
    session.write_all()
    whole = session.main.read_bytes()
    assert whole.endswith(b"\n")
    session.main.write_bytes(whole[:-1])  # the last line is still being written (no newline yet)
    assert_silent_success(run_hook(session.payload("SubagentStop"), env))
    state = (tmp_path / "state" / "sessions" / f"{session.session_id}.json").read_text()
    partial_start = whole[:-1].rfind(b"\n") + 1
    assert f'"offset":{partial_start},' in state  # stopped before the partial line
    assert_silent_success(run_hook(session.payload("SessionEnd"), env))  # whole JSON: taken at the end
    assert assert_each_once(otlp_sink, reference(session.session_id, session.files(), "tester")) == 0
    log = (tmp_path / "state" / "ccotel.log").read_text()
    assert " DEBUG " in log and "sent " in log  # CCOTEL_DEBUG logs each batch


def test_without_debug_the_log_holds_one_line_per_run(tmp_path: Path, otlp_sink: OtlpSink) -> None:
    session = LiveSession("02-spotter-v2.1.38-short", tmp_path / "claude")
    env = hook_env(otlp_sink.endpoint, tmp_path / "state", CCOTEL_USER_ID="tester")
    session.write_all()
    for event in ("Stop", "SessionEnd"):
        assert_silent_success(run_hook(session.payload(event), env))
    lines = (tmp_path / "state" / "ccotel.log").read_text().splitlines()
    assert len(lines) == 2 and all(" INFO [hook " in line for line in lines)
    assert "4 new spans (turn closed), sent 4 spans in 1 batches, last answer: HTTP 200" in lines[0]
