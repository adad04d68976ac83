"""Failure behaviour, measured with real processes (each test has its own collector and sinks):

- a sink down for a while (with a collector restart in between), then up: nothing lost, nothing twice — the
  persistent queue on disk;
- the collector killed (SIGKILL) right after accepting a turn: what can be lost is the batch in memory (the
  batch processor holds spans up to 2 s before they reach the on-disk queues); the count is measured, written
  to build/e2e/failures.json, and everything the hook sent after the kill arrives;
- the collector refusing (memory limiter): the hook's spool keeps everything, and sends it when the collector
  takes data again.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from e2e.collector import Collector
from e2e.conftest import USER_ID, wait_until
from e2e.sinks import SignalSink
from e2e.summary import SUMMARY_FILE
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from runtime_support import LiveSession, assert_silent_success, hook_env, reference, run_hook

FAILURES_FILE = SUMMARY_FILE.parent / "failures.json"
SAMPLE = "03-spotter-v2.1.38-tool-heavy"


@dataclass
class Stack:
    root: Path
    sinks: dict[str, SignalSink]
    collector: Collector

    def counts(self, name: str, expected: set[str]) -> Counter[str]:
        return Counter(span_id for span_id in self.sinks[name].span_ids() if span_id in expected)


def make_stack(root: Path, **env: str) -> Stack:
    sinks = {name: SignalSink(name) for name in ("langfuse", "tempo")}
    for sink in sinks.values():
        sink.up()
    collector = Collector(root / "collector", {
        "LANGFUSE_BASE_URL": sinks["langfuse"].endpoint, "LANGFUSE_PUBLIC_KEY": "pk-lf-f",
        "LANGFUSE_SECRET_KEY": "sk-lf-f", "TEMPO_ENDPOINT": sinks["tempo"].endpoint, **env})
    return Stack(root, sinks, collector)


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    built = make_stack(tmp_path)
    try:
        yield built
    finally:
        built.collector.stop()
        for sink in built.sinks.values():
            sink.down()


def record_failure_figures(key: str, figures: dict[str, int]) -> None:
    FAILURES_FILE.parent.mkdir(parents=True, exist_ok=True)
    data = json.loads(FAILURES_FILE.read_text()) if FAILURES_FILE.exists() else {}
    data[key] = figures
    FAILURES_FILE.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")


def accepts_a_span(endpoint: str) -> bool:
    """POST one probe span (not part of any session); True when the collector answers 2xx."""
    request = ExportTraceServiceRequest()
    span = request.resource_spans.add().scope_spans.add().spans.add()
    span.trace_id, span.span_id, span.name = b"\x0f" * 16, b"\x0f" * 8, "probe"
    post = urllib.request.Request(f"{endpoint}/v1/traces", data=request.SerializeToString(), method="POST",
                                  headers={"Content-Type": "application/x-protobuf"})
    try:
        with urllib.request.urlopen(post, timeout=10) as answer:
            return 200 <= answer.status < 300
    except urllib.error.HTTPError:
        return False


def turn_by_turn(session: LiveSession, env: dict[str, str]) -> Iterator[int]:
    """Write the session one turn at a time and fire Stop after each; yields the turn number after its run."""
    ends = [*session.turn_starts[1:], len(session.main_lines)]
    for number, end in enumerate(ends):
        session.write_until(end)
        assert_silent_success(run_hook(session.payload("Stop"), env))
        yield number
    session.write_all()
    assert_silent_success(run_hook(session.payload("SessionEnd", reason="other"), env))


def test_sink_down_then_up_loses_nothing_and_sends_nothing_twice(stack: Stack) -> None:
    stack.collector.start()
    env = hook_env(stack.collector.endpoint, stack.root / "state", CCOTEL_USER_ID=USER_ID, HOME=str(stack.root))
    stack.sinks["tempo"].down()
    session = LiveSession(SAMPLE, stack.root / "claude")
    for _ in turn_by_turn(session, env):
        pass
    expected = set(reference(session.session_id, session.files(), USER_ID))
    # Langfuse is fenced from Tempo's outage: it has everything while Tempo is still down
    assert wait_until(lambda: set(stack.counts("langfuse", expected)) == expected, timeout=30)
    stack.collector.stop()  # a restart while the sink is down: the queue is on disk
    stack.collector.start()
    stack.sinks["tempo"].up()
    assert wait_until(lambda: set(stack.counts("tempo", expected)) == expected, timeout=90)
    for name in ("tempo", "langfuse"):
        counts = stack.counts(name, expected)
        assert set(counts) == expected and max(counts.values()) == 1, name
    record_failure_figures("sink_down_then_up", {"spans": len(expected), "lost": 0, "duplicated": 0})


def test_collector_killed_mid_stream_loses_at_most_the_batch_in_memory(stack: Stack) -> None:
    stack.collector.start()
    env = hook_env(stack.collector.endpoint, stack.root / "state", CCOTEL_USER_ID=USER_ID, HOME=str(stack.root))
    session = LiveSession(SAMPLE, stack.root / "claude")
    before_kill: set[str] = set()
    runs = turn_by_turn(session, env)
    next(runs)  # turn 0 sent and accepted ...
    stack.collector.kill()  # ... and the collector dies at once, its batch in memory
    partial = reference(session.session_id, session.files(), USER_ID)
    before_kill = set(partial)
    next(runs)  # turn 1: the collector is down, the hook spools it
    stack.collector.start()
    for _ in runs:  # the remaining turns: the spool goes first
        pass
    expected = set(reference(session.session_id, session.files(), USER_ID))
    after_kill = expected - before_kill
    assert wait_until(lambda: after_kill <= set(stack.counts("tempo", expected)), timeout=60)
    for name in ("tempo", "langfuse"):
        counts = stack.counts(name, expected)
        lost = expected - set(counts)
        assert lost <= before_kill, name  # only what was in the collector's memory at the kill
        assert max(counts.values()) == 1, name
        record_failure_figures(f"collector_killed_{name}", {
            "spans": len(expected), "in_memory_at_kill": len(before_kill), "lost": len(lost),
            "duplicated": sum(count - 1 for count in counts.values())})


def test_collector_refusing_leaves_everything_in_the_hook_spool(tmp_path: Path) -> None:
    refusing = make_stack(tmp_path / "refusing", CCOTEL_MEMORY_LIMIT="2MiB", CCOTEL_MEMORY_SPIKE_LIMIT="1MiB")
    env_root = tmp_path
    try:
        refusing.collector.start()
        # the limiter decides at its first memory check (each second): until then it lets data through
        assert wait_until(lambda: not accepts_a_span(refusing.collector.endpoint), timeout=20)
        env = hook_env(refusing.collector.endpoint, env_root / "state", CCOTEL_USER_ID=USER_ID, HOME=str(env_root))
        session = LiveSession(SAMPLE, env_root / "claude")
        for _ in turn_by_turn(session, env):
            pass
        expected = set(reference(session.session_id, session.files(), USER_ID))
        spooled = [path for path in (env_root / "state" / "spool").rglob("*") if path.is_file()]
        assert spooled and set(refusing.sinks["tempo"].span_ids()) & expected == set()
        refusing.collector.stop()
        refusing.collector.env.pop("CCOTEL_MEMORY_LIMIT")
        refusing.collector.env.pop("CCOTEL_MEMORY_SPIKE_LIMIT")
        refusing.collector.start()
        assert_silent_success(run_hook(session.payload("SessionEnd", reason="other"), env))
        assert wait_until(lambda: set(refusing.counts("tempo", expected)) == expected, timeout=60)
        assert max(refusing.counts("tempo", expected).values()) == 1
        assert [p for p in (env_root / "state" / "spool").rglob("*") if p.is_file()] == []
        record_failure_figures("collector_refusing", {"spans": len(expected), "spooled_files": len(spooled),
                                                      "lost": 0, "duplicated": 0})
    finally:
        refusing.collector.stop()
        for sink in refusing.sinks.values():
            sink.down()
