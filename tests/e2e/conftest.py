"""The end-to-end run, once per test session: real hook → built collector → loopback sinks + real Prometheus.

`pipeline` starts Prometheus (remote-write receiver, the alert rules of stack/prometheus/rules), three OTLP sinks
(Langfuse, Tempo, Loki) and the collector configured from alloy/, then feeds it: the generated secret session,
the four real sample sessions turn by turn, the synthetic sessions, the pricing-scenario sessions, and Claude
Code's own telemetry in http/protobuf and http/json. It waits until every span the hook sent is at the trace
sinks. The tests then only read what arrived. The summary line is printed at the end of the run.
"""

from __future__ import annotations

import shutil
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import FIXTURES, PRICING_SCENARIOS, free_port
from e2e import summary
from e2e.collector import Collector, component_count, release
from e2e.corpus import GeneratedSession, secrets, write_session, write_turns
from e2e.native import NativeBatch, send
from e2e.prometheus import Prometheus
from e2e.sinks import SignalSink
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from runtime_support import SAMPLES, LiveSession, assert_silent_success, hook_env, reference, run_hook
from stack_support import budget_rules

USER_ID = "e2e-user"
# The hook runs with a 5 s deadline (its default is 2 s): the batch processors right behind the receiver answer
# before the redaction stage runs, so a turn is acknowledged in time and never resent (a resend would reach the
# sinks twice: test_langfuse checks every span arrives exactly once). But the suite fires its hook runs back to
# back, ~40 ms apart, and while a batch processor pushes a batch through the redaction stage the receiver waits
# for it: on a shared 2-core VM that took over 2 s in 2 of 4 full CI runs (the hook then resent a batch the
# collector had taken). A real session's Stops are seconds apart; docs/pipeline.md says what is left to fix.
# HOOK_TIMEOUT only bounds each hook process of the suite.
HOOK_DEADLINE = "5"
HOOK_TIMEOUT = 60
LANGFUSE_KEYS = ("pk-lf-e2e-public", "sk-lf-e2e-not-a-real-secret")
BUDGETS = {"CCOTEL_DAILY_BUDGET_USD": "0.001", "CCOTEL_SESSION_BUDGET_USD": "0.001"}
GENERATED_ID = "5e0c1a7e-e2e0-4000-8000-00000000beef"
SECOND_ID = "5e0c1a7e-e2e0-4000-8000-00000000cafe"  # the same project again, later: every derived series moves twice
SECOND_WAVE_DELAY = 20  # seconds: past the batch timeouts, so the second wave is a new sample of each series


@dataclass
class FedSession:
    session_id: str
    files: list[Path]
    expected: dict[str, bytes]  # span id -> serialised span, what the hook sends
    kind: str  # generated | sample | synthetic | pricing


@dataclass
class PipelineRun:
    prometheus: Prometheus
    sinks: dict[str, SignalSink]
    collector: Collector
    hook_env: dict[str, str]
    generated: GeneratedSession
    sessions: list[FedSession] = field(default_factory=list)
    native: list[NativeBatch] = field(default_factory=list)
    fed_at: float = 0.0

    def expected_ids(self) -> set[str]:
        return {span_id for session in self.sessions for span_id in session.expected}


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if summary.results:
        for item in summary.unverified:
            terminalreporter.write_line(f"unverified: {item}")
        terminalreporter.write_line(summary.write())


def wait_until(condition: object, timeout: float, step: float = 0.5) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(step)
    return bool(condition())  # type: ignore[operator]


def collector_env(sinks: dict[str, SignalSink], prometheus: Prometheus) -> dict[str, str]:
    return {
        "LANGFUSE_BASE_URL": sinks["langfuse"].endpoint, "LANGFUSE_PUBLIC_KEY": LANGFUSE_KEYS[0],
        "LANGFUSE_SECRET_KEY": LANGFUSE_KEYS[1], "TEMPO_ENDPOINT": sinks["tempo"].endpoint,
        "LOKI_ENDPOINT": sinks["loki"].endpoint, "PROMETHEUS_REMOTE_WRITE_URL": prometheus.remote_write_url,
    }


def feed_whole(config: Path, session_id: str, files: list[Path], env: dict[str, str], kind: str) -> FedSession:
    """One SessionEnd run over a finished session (what backfill and a late hook see)."""
    payload = {"session_id": session_id, "transcript_path": str(files[0]), "cwd": str(config),
               "hook_event_name": "SessionEnd", "reason": "other"}
    assert_silent_success(run_hook(payload, env, timeout=HOOK_TIMEOUT + 30))
    return FedSession(session_id, files, reference(session_id, files, USER_ID), kind)


def feed_turns(config: Path, session: GeneratedSession, env: dict[str, str]) -> FedSession:
    """Fire Stop after each turn as it is appended, then SessionEnd: what Claude Code does."""
    payload = {"session_id": session.session_id, "transcript_path": str(session.path), "cwd": str(config)}
    for _ in write_turns(session):
        assert_silent_success(run_hook({**payload, "hook_event_name": "Stop"}, env, timeout=HOOK_TIMEOUT + 30))
    assert_silent_success(run_hook({**payload, "hook_event_name": "SessionEnd", "reason": "other"}, env,
                                   timeout=HOOK_TIMEOUT + 30))
    return FedSession(session.session_id, [session.path], reference(session.session_id, [session.path], USER_ID),
                      "generated")


def spooled(state_dir: Path) -> list[Path]:
    return sorted((state_dir / "spool").glob("*.batch"))


def deadline_misses(state_dir: Path) -> int:
    """Hook runs whose POST got no answer within the hook's deadline (the collector was too slow)."""
    log = state_dir / "ccotel.log"
    text = log.read_text(errors="replace") if log.exists() else ""
    return sum(1 for line in text.splitlines() if "delivery failed" in line and "within the deadline" in line)


def drain(run: PipelineRun, state_dir: Path, attempts: int = 3) -> None:
    """Runs of the hook until its spool is empty: after a deadline miss the hook waits 30 s before it sends."""
    generated = run.generated
    payload = {"session_id": generated.session_id, "transcript_path": str(generated.path), "cwd": str(state_dir),
               "hook_event_name": "SessionEnd", "reason": "other"}
    for _ in range(attempts):
        if not spooled(state_dir):
            return
        time.sleep(31)
        assert_silent_success(run_hook(payload, run.hook_env, timeout=HOOK_TIMEOUT + 30))


def feed(run: PipelineRun, root: Path) -> None:
    env = run.hook_env
    run.sessions.append(feed_turns(root / "claude", run.generated, env))
    for sample in SAMPLES:
        live = LiveSession(sample, root / f"sample-{sample}")
        for end in [*live.turn_starts[1:], len(live.main_lines)]:
            live.write_until(end)
            assert_silent_success(run_hook(live.payload("Stop"), env, timeout=HOOK_TIMEOUT + 30))
        live.write_all()
        assert_silent_success(run_hook(live.payload("SessionEnd", reason="other"), env, timeout=HOOK_TIMEOUT + 30))
        run.sessions.append(FedSession(live.session_id, live.files(), reference(live.session_id, live.files(),
                                                                                  USER_ID), "sample"))
    synthetic = shutil.copytree(FIXTURES / "synthetic" / "claude", root / "synthetic")
    for main in sorted((synthetic / "projects").glob("*/*.jsonl")):
        files = [main, *sorted((main.parent / main.stem / "subagents").glob("agent-*.jsonl"))]
        run.sessions.append(feed_whole(synthetic, main.stem, files, env, "synthetic"))
    pricing = shutil.copytree(PRICING_SCENARIOS / "claude", root / "pricing")
    for main in sorted((pricing / "projects").glob("*/*.jsonl")):
        run.sessions.append(feed_whole(pricing, main.stem, [main], env, "pricing"))
    event_secret = next((s for s in secrets() if s.rule_id == "github-pat"), secrets()[0])
    for wave, protocol in enumerate(("http/protobuf", "http/json")):
        if wave:  # a second wave, later: the same project and events again, so every derived series moves twice
            time.sleep(SECOND_WAVE_DELAY)
            second = write_session(root / "claude", SECOND_ID)
            run.sessions.append(feed_turns(root / "claude", second, env))
            run.sessions[-1].kind = "generated-again"
        batch = NativeBatch(f"native-{protocol.replace('/', '-')}", protocol, secret_text=event_secret.example)
        send(run.collector.endpoint, batch)
        run.native.append(batch)
    drain(run, root / "state")
    run.fed_at = time.time()


def provoke_send_failures(run: PipelineRun) -> None:
    """One canary trace and one canary log the Tempo and Loki sinks refuse for good (400), so the collector's
    send-failure counters exist, as they do after a real sink failure (the pipeline dashboard reads them)."""
    request = ExportTraceServiceRequest()
    resource = request.resource_spans.add()
    resource.resource.attributes.add(key="service.name").value.string_value = "e2e-canary"
    span = resource.scope_spans.add().spans.add()
    span.trace_id, span.span_id, span.name = b"\x0e" * 16, b"\x0c" * 8, "canary"
    span.start_time_unix_nano = span.end_time_unix_nano = time.time_ns()
    logs = ExportLogsServiceRequest()
    logs_resource = logs.resource_logs.add()
    logs_resource.resource.attributes.add(key="service.name").value.string_value = "e2e-canary"
    logs_resource.scope_logs.add().log_records.add().body.string_value = "canary"
    for sink in (run.sinks["tempo"], run.sinks["loki"]):
        sink.status = 400
    try:
        for path, message in (("/v1/traces", request), ("/v1/logs", logs)):
            post = urllib.request.Request(f"{run.collector.endpoint}{path}", data=message.SerializeToString(),
                                          method="POST", headers={"Content-Type": "application/x-protobuf"})
            with urllib.request.urlopen(post, timeout=30):
                pass
        wait_until(lambda: run.sinks["tempo"].refused and run.sinks["loki"].refused, timeout=30)
    finally:
        for sink in (run.sinks["tempo"], run.sinks["loki"]):
            sink.status = 200


@pytest.fixture(scope="session")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PipelineRun]:
    root = tmp_path_factory.mktemp("e2e")
    sinks = {name: SignalSink(name) for name in ("langfuse", "tempo", "loki")}
    for sink in sinks.values():
        sink.up()
    self_metrics = f"127.0.0.1:{free_port()}"  # the collector's own otelcol_* metrics, scraped by Prometheus
    # The budgets as the stack renders them from .env, set below what the run spends: the spend alerts must fire.
    budgets = budget_rules(BUDGETS, root)
    prometheus = Prometheus(root / "prometheus", scrape_targets=[self_metrics], extra_rules=[budgets])
    prometheus.start()
    summary.record("release", release())
    summary.record("components", component_count())
    collector = Collector(root / "collector", {**collector_env(sinks, prometheus),
                                               "CCOTEL_TEST_SELF_METRICS_ADDRESS": self_metrics})
    try:
        collector.start()
        (root / "home").mkdir()
        env = hook_env(collector.endpoint, root / "state", CCOTEL_USER_ID=USER_ID, HOME=str(root / "home"),
                       CCOTEL_REDACT="off",  # the collector's redaction is under test, not the hook's
                       CCOTEL_TIMEOUT=HOOK_DEADLINE)
        generated = write_session(root / "claude", GENERATED_ID)
        run = PipelineRun(prometheus, sinks, collector, env, generated)
        feed(run, root)
        expected = run.expected_ids()
        for name in ("tempo", "langfuse"):
            arrived = wait_until(lambda name=name: expected <= set(sinks[name].span_ids()), timeout=90)
            assert arrived, f"{name}: {len(expected - set(sinks[name].span_ids()))} spans missing after 90 s"
        summary.record("spans", len(expected & set(sinks["tempo"].span_ids())))
        native_ids = {batch.session_id for batch in run.native}
        wait_until(lambda: native_ids <= {r.attributes.get("session.id") for r in sinks["loki"].snapshot()[1]}, 30)
        provoke_send_failures(run)  # only after everything real has arrived: the canaries are refused for good
        summary.record("deadline_misses", deadline_misses(root / "state"))
        yield run
    finally:
        collector.stop()
        prometheus.stop()
        for sink in sinks.values():
            sink.down()
