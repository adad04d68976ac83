"""Claude Code's own telemetry, sent as Claude Code sends it (reference/claude-code-data.md §4).

Metrics: delta temporality, monotonic sums (histogram-free), meter `com.anthropic.claude_code`, resource
`service.name=claude-code`, the standard attributes on every point; every `claude_code` metric of the catalogue
`collector/metrics/metrics.yaml`. Events: OTel log records with `event.name` and its attributes. Both in
`http/protobuf` and `http/json` (OTLP/JSON: lowerCamelCase keys, enums as integers, int64 as strings).

A `NativeBatch` knows what it sent: the expected cumulative value per Prometheus series after all intervals.
"""

from __future__ import annotations

import json
import time
import urllib.request
from collections import defaultdict
from dataclasses import dataclass, field

from google.protobuf import json_format
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.metrics.v1.metrics_pb2 import AggregationTemporality

from ccotel.collector.metrics.catalogue import Metric, load_catalogue

SCOPE = "com.anthropic.claude_code"
# Standard attributes (§4.3) on every point and event; values are made up.
STANDARD = {"user.id": "e2e-anon-install", "user.account_uuid": "0000-e2e", "organization.id": "org-e2e",
            "terminal.type": "xterm-256color", "app.entrypoint": "cli"}
# Extra attributes per metric (§4.3); `type` splits a metric in two series.
EXTRA: dict[str, list[dict[str, str]]] = {
    "claude_code.session.count": [{"start_type": "fresh"}],
    "claude_code.lines_of_code.count": [{"type": "added", "model": "claude-sonnet-4-5"},
                                        {"type": "removed", "model": "claude-sonnet-4-5"}],
    "claude_code.cost.usage": [{"model": "claude-sonnet-4-5", "query_source": "main"}],
    "claude_code.token.usage": [{"type": kind, "model": "claude-sonnet-4-5", "query_source": "main"}
                                for kind in ("input", "output", "cacheRead", "cacheCreation")],
    "claude_code.code_edit_tool.decision": [{"tool_name": "Edit", "decision": "accept", "source": "config",
                                             "language": "Python"}],
    "claude_code.active_time.total": [{"type": "user"}, {"type": "cli"}],
}
EVENTS = ("claude_code.user_prompt", "claude_code.api_request", "claude_code.tool_result")


def _kv(key: str, value: object) -> KeyValue:
    if isinstance(value, bool):
        return KeyValue(key=key, value=AnyValue(bool_value=value))
    if isinstance(value, int):
        return KeyValue(key=key, value=AnyValue(int_value=value))
    if isinstance(value, float):
        return KeyValue(key=key, value=AnyValue(double_value=value))
    return KeyValue(key=key, value=AnyValue(string_value=str(value)))


def native_metrics() -> list[Metric]:
    return [metric for metric in load_catalogue().metrics if metric.source == "claude_code"]


@dataclass
class NativeBatch:
    session_id: str
    protocol: str  # "http/protobuf" | "http/json"
    intervals: int = 2
    secret_text: str = ""  # put into the tool_result event's `error` (the gated content a secret can hide in)
    # (prometheus name, frozenset of (label, value)) -> expected cumulative value
    expected: dict[tuple[str, frozenset[tuple[str, str]]], float] = field(default_factory=dict)
    events_sent: list[dict[str, object]] = field(default_factory=list)

    def metric_requests(self) -> list[ExportMetricsServiceRequest]:
        totals: dict[tuple[str, frozenset[tuple[str, str]]], float] = defaultdict(float)
        requests = []
        start = time.time_ns() - self.intervals * 10_000_000_000
        for interval in range(self.intervals):
            request = ExportMetricsServiceRequest()
            resource = request.resource_metrics.add()
            resource.resource.attributes.extend([_kv("service.name", "claude-code"), _kv("service.version",
                                                                                          "2.1.240")])
            scope = resource.scope_metrics.add()
            scope.scope.name = SCOPE
            begin, end = start + interval * 10_000_000_000, start + (interval + 1) * 10_000_000_000
            for index, metric in enumerate(native_metrics()):
                otlp = scope.metrics.add()
                otlp.name, otlp.unit = str(metric.otlp_name), metric.unit
                otlp.sum.aggregation_temporality = AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA
                otlp.sum.is_monotonic = True
                is_double = metric.unit in ("USD", "s")
                for variant, extra in enumerate(EXTRA.get(str(metric.otlp_name), [{}])):
                    point = otlp.sum.data_points.add()
                    point.start_time_unix_nano, point.time_unix_nano = begin, end
                    value = (interval + 1) * (index + 2) + variant
                    if is_double:
                        point.as_double = value / 8
                    else:
                        point.as_int = value
                    attributes = {**STANDARD, "session.id": self.session_id, **extra}
                    point.attributes.extend(_kv(k, v) for k, v in attributes.items())
                    labels = frozenset((k.replace(".", "_"), v) for k, v in attributes.items())
                    totals[(metric.name, labels)] += value / 8 if is_double else value
            requests.append(request)
        self.expected = dict(totals)
        return requests

    def log_request(self) -> ExportLogsServiceRequest:
        request = ExportLogsServiceRequest()
        resource = request.resource_logs.add()
        resource.resource.attributes.extend([_kv("service.name", "claude-code")])
        scope = resource.scope_logs.add()
        scope.scope.name = SCOPE
        now = time.time_ns()
        for sequence, name in enumerate(EVENTS):
            attributes: dict[str, object] = {
                **STANDARD, "session.id": self.session_id, "event.name": name.removeprefix("claude_code."),
                "event.timestamp": "2026-12-03T10:00:00Z", "event.sequence": sequence,
                "prompt.id": f"prompt-{self.session_id}"}
            if name == "claude_code.api_request":
                attributes.update(model="claude-sonnet-4-5", cost_usd=0.0123, input_tokens=12, output_tokens=40)
            if name == "claude_code.tool_result":
                attributes.update(tool_name="Bash", success="false", duration_ms=42)
                if self.secret_text:
                    attributes["error"] = f"command failed: {self.secret_text}"
            record = scope.log_records.add()
            record.time_unix_nano = record.observed_time_unix_nano = now + sequence
            record.body.string_value = name
            record.attributes.extend(_kv(k, v) for k, v in attributes.items())
            self.events_sent.append(attributes)
        return request


def encode(message: object, protocol: str) -> tuple[bytes, str]:
    if protocol == "http/json":
        text = json_format.MessageToJson(message, use_integers_for_enums=True)  # type: ignore[arg-type]
        return text.encode(), "application/json"
    return message.SerializeToString(), "application/x-protobuf"  # type: ignore[attr-defined]


def post(endpoint: str, path: str, message: object, protocol: str) -> int:
    body, content_type = encode(message, protocol)
    request = urllib.request.Request(f"{endpoint}{path}", data=body, method="POST",
                                     headers={"Content-Type": content_type})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return int(answer.status)


def send(endpoint: str, batch: NativeBatch) -> None:
    """POST the metric intervals in order, then the events, as Claude Code's exporters would."""
    for request in batch.metric_requests():
        status = post(endpoint, "/v1/metrics", request, batch.protocol)
        if status != 200:
            raise RuntimeError(f"collector answered {status} to native metrics ({batch.protocol})")
    status = post(endpoint, "/v1/logs", batch.log_request(), batch.protocol)
    if status != 200:
        raise RuntimeError(f"collector answered {status} to native events ({batch.protocol})")


def json_roundtrip_ok(batch: NativeBatch) -> bool:
    """The JSON we send parses back to the same protobuf (guards the encoder, not the collector)."""
    requests = batch.metric_requests()
    body, _ = encode(requests[0], "http/json")
    parsed = json_format.Parse(body, ExportMetricsServiceRequest())
    return parsed == requests[0] and "resourceMetrics" in json.loads(body)
