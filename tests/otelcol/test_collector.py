"""The built collector with the translated alloy/: the real config loader and OTTL parser accept it, and it runs:
health check up, OTLP/HTTP accepted, its own otelcol_* metrics count what it received."""

from __future__ import annotations

import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span
from otelcol_support import LogsSink, http_get, started

from ccotel.collector.otelcol import binary
from ccotel.collector.otelcol.run import write_config
from ccotel.collector.otelcol.translate import translate

ALLOY = Path(__file__).resolve().parents[2] / "alloy"
ALL_SINKS = {
    "LANGFUSE_BASE_URL": "http://127.0.0.1:9/langfuse",
    "TEMPO_ENDPOINT": "http://127.0.0.1:9/tempo",
    "LOKI_ENDPOINT": "http://127.0.0.1:9/loki",
    "PROMETHEUS_REMOTE_WRITE_URL": "http://127.0.0.1:9/api/v1/write",
    "PROMETHEUS_USERNAME": "user",
    "PROMETHEUS_PASSWORD": "pass",
}


@pytest.mark.parametrize("env", [{}, ALL_SINKS], ids=["sinks off", "all sinks on"])
def test_validate_accepts_the_translated_alloy_config(env: dict[str, str], tmp_path: Path,
                                                       otelcol_binary: Path) -> None:
    config = write_config(translate(ALLOY, env, storage_dir=tmp_path / "storage"), tmp_path / "cfg")
    ok, output = binary.validate(config, otelcol_binary)
    assert ok, output


def test_validate_rejects_a_broken_statement(tmp_path: Path, otelcol_binary: Path) -> None:
    config = translate(ALLOY, {}, storage_dir=tmp_path / "storage")
    statements = config["processors"]["transform/langfuse"]["trace_statements"][0]["statements"]
    statements[0] = statements[0].replace("delete_matching_keys(", "delete_matching_keyz(", 1)
    ok, output = binary.validate(write_config(config, tmp_path / "cfg"), otelcol_binary)
    assert not ok
    assert "transform/langfuse" in output and 'undefined function "delete_matching_keyz"' in output


@pytest.fixture
def running(tmp_path: Path, otelcol_binary: Path) -> Iterator[dict[str, str]]:
    with started({}, tmp_path, otelcol_binary) as env:
        yield env


def _trace() -> bytes:
    project = KeyValue(key="claude_code.project", value=AnyValue(string_value="demo"))
    span = Span(trace_id=bytes(range(16)), span_id=bytes(range(8)), name="chat claude-test",
                start_time_unix_nano=1_700_000_000_000_000_000, end_time_unix_nano=1_700_000_001_000_000_000,
                attributes=[project])
    resource = Resource(attributes=[KeyValue(key="service.name", value=AnyValue(string_value="ccotel-test"))])
    spans = ResourceSpans(resource=resource, scope_spans=[ScopeSpans(spans=[span])])
    return ExportTraceServiceRequest(resource_spans=[spans]).SerializeToString()


def _post_trace(env: dict[str, str]) -> None:
    url = f"http://{env['CCOTEL_OTLP_HTTP_ADDRESS']}/v1/traces"
    request = urllib.request.Request(url, data=_trace(), headers={"Content-Type": "application/x-protobuf"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


def test_a_root_span_becomes_one_turn_log_line_in_loki(tmp_path: Path, otelcol_binary: Path) -> None:
    sink = LogsSink()
    try:
        with started({"LOKI_ENDPOINT": sink.url}, tmp_path, otelcol_binary) as env:
            _post_trace(env)
            deadline = time.monotonic() + 30
            while not sink.records and time.monotonic() < deadline:
                time.sleep(0.2)
    finally:
        sink.close()
    assert len(sink.records) == 1
    resource, record = sink.records[0]
    trace_id = bytes(range(16)).hex()
    body = record.body.string_value
    # logfmt, as Alloy writes it: a value with a space is quoted.
    assert body == f'span="chat claude-test" dur=1000000000ns claude_code.project=demo svc=ccotel-test tid={trace_id}'
    attributes = {kv.key: kv.value.string_value for kv in record.attributes}
    assert attributes == {"traces": "root", "event.name": "ccotel.turn"}  # the second from transform turn_logs
    assert record.trace_id.hex() == trace_id  # ExtractPatterns on the body, by the real OTTL engine
    assert resource == {"service.name": "claude-code"}


def test_the_collector_runs_the_pipeline_and_accepts_otlp(running: dict[str, str]) -> None:
    _post_trace(running)
    metrics_url = f"http://{running['CCOTEL_TEST_SELF_METRICS_ADDRESS']}/metrics"
    deadline = time.monotonic() + 30
    accepted = 0.0
    while time.monotonic() < deadline and accepted < 1:
        _, text = http_get(metrics_url)
        accepted = sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
                       if line.startswith("otelcol_receiver_accepted_spans"))
        time.sleep(0.5)
    assert accepted == 1


def test_the_config_file_is_private(tmp_path: Path) -> None:
    path = write_config({"receivers": {}}, tmp_path / "cfg")
    assert path.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "cfg").stat().st_mode & 0o777 == 0o700
    assert yaml.safe_load(path.read_text()) == {"receivers": {}}
