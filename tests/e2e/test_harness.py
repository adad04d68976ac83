"""The end-to-end harness itself, without the collector: the sinks decode what a real client sends, the secret
corpus really reaches the wire (so a leak test has something to catch), Prometheus runs and answers dashboard
queries, every dashboard target is found, native telemetry encodes both ways, the summary line is honest.
"""

from __future__ import annotations

import gzip
import json
import re
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from e2e import summary
from e2e.corpus import PLACES, benign_texts, distinct, secrets, wire_forms, write_session
from e2e.dashboards import DASHBOARDS, queries
from e2e.native import NativeBatch, encode
from e2e.prometheus import Prometheus
from e2e.sinks import SignalSink, decode_logs
from runtime_support import hook_env, run_hook


def test_every_secret_and_benign_text_of_the_corpus_reaches_the_wire_without_a_collector(tmp_path: Path) -> None:
    # The hook straight into a sink: what the collector must remove is really there to remove.
    session = write_session(tmp_path / "claude", "5e0c1a7e-e2e0-4000-8000-0000000000aa")
    env = hook_env("", tmp_path / "state", CCOTEL_USER_ID="u", HOME=str(tmp_path), CCOTEL_REDACT="off")
    with SignalSink("direct") as sink:
        env["CCOTEL_ENDPOINT"] = sink.endpoint
        payload = {"session_id": session.session_id, "transcript_path": str(session.path), "cwd": str(tmp_path),
                   "hook_event_name": "SessionEnd", "reason": "other"}
        result = run_hook(payload, env)
        assert (result.returncode, result.stderr) == (0, b"")
        wire = b"\n".join(sink.bodies()).decode("utf-8", "replace")
        spans = sink.snapshot()[0]
    assert {placement.place for placement in session.placements} == set(PLACES)
    assert len(session.placements) == len(distinct(secrets(), benign_texts())) > 50
    missing = [p.secret.core for p in session.placements if not any(form in wire for form in wire_forms(p.secret.core))]
    assert missing == []
    benign_missing = [text for text in session.benign if not any(form in wire for form in wire_forms(text))]
    assert benign_missing == []
    by_operation = {}
    for span in spans:
        by_operation[span.operation] = by_operation.get(span.operation, 0) + 1
    assert by_operation["chat"] == session.chat_calls and by_operation["execute_tool"] == session.tool_calls


def test_sink_decodes_json_and_gzip_and_goes_down_and_up_on_the_same_port() -> None:
    batch = NativeBatch("s", "http/json")
    logs = batch.log_request()
    with SignalSink("loki") as sink:
        for body, headers in ((encode(logs, "http/json")[0], {"Content-Type": "application/json"}),
                              (gzip.compress(logs.SerializeToString()),
                               {"Content-Type": "application/x-protobuf", "Content-Encoding": "gzip"})):
            request = urllib.request.Request(f"{sink.endpoint}/v1/logs", data=body, headers=headers, method="POST")
            with urllib.request.urlopen(request, timeout=5) as answer:
                assert answer.status == 200
        assert len(sink.logs) == 2 * len(batch.events_sent)
        assert {record.attributes["event.name"] for record in sink.logs} == {"user_prompt", "api_request",
                                                                             "tool_result"}
        endpoint = sink.endpoint
        sink.down()
        with pytest.raises(urllib.error.URLError):
            urllib.request.urlopen(urllib.request.Request(f"{endpoint}/v1/logs", data=b"", method="POST"), timeout=2)
        sink.up()
        assert sink.endpoint == endpoint
        sink.status = 503
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(urllib.request.Request(f"{endpoint}/v1/logs", data=b"", method="POST"), timeout=2)
        assert sink.refused == 1
    assert decode_logs(encode(logs, "http/json")[0], "application/json")[0].body == "claude_code.user_prompt"


def test_native_batch_expects_the_sum_of_its_deltas() -> None:
    batch = NativeBatch("s", "http/protobuf", intervals=3)
    requests = batch.metric_requests()
    assert len(requests) == 3
    first = requests[0].resource_metrics[0].scope_metrics[0].metrics[0]
    assert first.sum.aggregation_temporality == 1 and first.sum.is_monotonic  # DELTA
    per_interval = [r.resource_metrics[0].scope_metrics[0].metrics[0].sum.data_points[0].as_int for r in requests]
    (expected,) = [v for (name, _), v in batch.expected.items() if name == "claude_code_session_count_total"]
    assert expected == sum(per_interval) and per_interval[0] < per_interval[1]
    parsed = json.loads(encode(requests[0], "http/json")[0])
    assert parsed["resourceMetrics"][0]["scopeMetrics"][0]["metrics"][0]["sum"]["aggregationTemporality"] == 1


def test_every_dashboard_target_is_extracted_with_no_variable_or_fallback_left() -> None:
    targets = 0
    for path in DASHBOARDS.glob("*.json"):
        text = json.loads(path.read_text())
        stack = list(text["panels"])
        while stack:
            panel = stack.pop()
            stack.extend(panel.get("panels", []))
            targets += len(panel.get("targets", []))
    found = queries()
    assert len(found) == targets > 0
    for query in found:
        if query.language == "promql":
            assert not re.search(r"\$(?:\{|[A-Za-z_])", query.expr) and "vector(0)" not in query.expr, query
    assert any(q.unverified_reason and "traceql" in q.unverified_reason for q in found)


class _Exposition(BaseHTTPRequestHandler):
    count = 0

    def log_message(self, *args: object) -> None:
        return

    def do_GET(self) -> None:
        _Exposition.count += 3
        body = (f"# TYPE ccotel_tokens_total counter\nccotel_tokens_total{{type=\"input\","
                f"claude_code_project=\"p\"}} {_Exposition.count}\n").encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def test_prometheus_runs_and_a_dashboard_query_gets_data(tmp_path: Path) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Exposition)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with Prometheus(tmp_path, scrape_targets=[f"127.0.0.1:{server.server_address[1]}"]) as prometheus:
            (query,) = [q for q in queries() if q.raw.startswith("sum by (type) (increase(ccotel_tokens_total")]
            deadline = time.monotonic() + 30
            while not prometheus.query(query.expr) and time.monotonic() < deadline:
                time.sleep(0.5)
            (row,) = prometheus.query(query.expr)
            assert row["metric"] == {"type": "input"} and float(row["value"][1]) > 0
            other = next(q for q in queries() if q.language == "promql" and "traces_span_metrics" in q.expr)
            assert prometheus.query(other.expr) == []  # a series nobody sent: no data, as a broken panel shows
            time.sleep(2)  # rules evaluate every second
            good, total, bad = prometheus.rules_state()
            assert (total > 0) == bool(prometheus.rules) and good == total, bad
    finally:
        server.shutdown()
        server.server_close()


def test_summary_line_shows_unmeasured_figures_as_question_marks() -> None:
    line = summary.line({"release": "0.1", "components": "3", "spans": "10", "leaked": "0", "secrets": "5"})
    assert line == ("pipeline e2e: collector 0.1 (3 components); spans 10 through; secrets leaked 0 of 5; "
                    "dashboard queries with data ?/?; alert rules evaluated ?/?; native telemetry ?")
