"""The pipeline's shape, read from the parsed Alloy files: protection first, every sink fenced and switchable."""

from __future__ import annotations

import re

import pytest
from alloy_support import (
    Graph,
    bool_literal,
    build_graph,
    calls,
    evaluate,
    parse_config,
    references,
    string_literals,
)

RECEIVER = "otelcol.receiver.otlp.default"
LIMITER = "otelcol.processor.memory_limiter.default"
REDACTION = "ccotel.redaction.default"
COST = "ccotel.cost.default"
OTLP_SINKS = {"langfuse": "traces", "tempo": "traces", "loki": "logs"}
PROMETHEUS = "prometheus.remote_write.prometheus"
SIGNALS = ("traces", "logs", "metrics")


@pytest.fixture(scope="module")
def modules():
    parsed = parse_config()
    for name, module in parsed.items():
        assert not module.errors, f"{name}: {module.errors}"
    return parsed


@pytest.fixture(scope="module")
def graph(modules) -> Graph:
    return build_graph(modules)


def reachable_any(graph: Graph, start: str, removed: frozenset[str] = frozenset()) -> set[str]:
    """Reachable over edges of any signal (connectors turn spans into logs and metrics)."""
    return set().union(*(graph.reachable(start, s, removed) for s in SIGNALS))


def reachable_closure(graph: Graph, start: str, removed: frozenset[str] = frozenset()) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        node = todo.pop()
        for signal in SIGNALS:
            for target in graph.successors(node, signal):
                if target not in seen and target not in removed:
                    seen.add(target)
                    todo.append(target)
    return seen


def test_receiver_sends_every_signal_to_the_memory_limiter_and_nothing_else(graph):
    for signal in SIGNALS:
        assert graph.successors(RECEIVER, signal) == {LIMITER}, signal


@pytest.mark.parametrize("signal", ["traces", "logs"])
def test_a_batch_fences_the_receiver_from_redaction(graph, signal):
    """The receiver answers once a batch has the data: the redaction stage's cost on a large turn never keeps
    the hook waiting past its deadline (which would make it resend what the sinks then get twice)."""
    batch = f"otelcol.processor.batch.{signal}"
    assert graph.successors(LIMITER, signal) == {batch}
    assert graph.successors(batch, signal) == {REDACTION}


def test_cost_runs_on_traces_after_redaction(graph):
    assert graph.successors(REDACTION, "traces") == {COST}
    assert COST not in graph.successors(LIMITER, "traces")


def test_every_sink_is_reachable_from_the_receiver(graph):
    reached = reachable_closure(graph, RECEIVER)
    for sink in OTLP_SINKS:
        assert f"otelcol.exporter.otlphttp.{sink}" in reached
    assert PROMETHEUS in reached
    assert "ccotel.metrics.default" in reached


def test_nothing_reaches_a_trace_or_log_sink_without_the_redaction_module(graph):
    without_redaction = reachable_closure(graph, RECEIVER, removed=frozenset({REDACTION}))
    for sink in OTLP_SINKS:
        assert f"otelcol.exporter.otlphttp.{sink}" not in without_redaction
    assert "ccotel.metrics.default" not in without_redaction
    assert "otelcol.connector.spanlogs.turns" not in without_redaction
    # What remains is only the path of Claude Code's own metrics (numbers and labels, no content).
    assert without_redaction == {
        LIMITER, "otelcol.processor.batch.traces", "otelcol.processor.batch.logs",
        "otelcol.processor.deltatocumulative.claude_code", "otelcol.processor.batch.metrics",
        "otelcol.exporter.prometheus.default", "prometheus.relabel.prometheus_gate", PROMETHEUS,
    }


def test_langfuse_gets_traces_only_and_loki_logs_only(graph):
    into = {node: {sig for src in graph.edges for sig, dst in graph.edges[src] if dst == node}
            for node in graph.blocks}
    assert into["otelcol.exporter.otlphttp.langfuse"] == {"traces"}
    assert into["otelcol.exporter.otlphttp.tempo"] == {"traces"}
    assert into["otelcol.exporter.otlphttp.loki"] == {"logs"}


@pytest.mark.parametrize("sink", sorted(OTLP_SINKS))
def test_each_otlp_sink_has_a_gate_its_own_file_queue_and_retry(graph, sink):
    exporter = f"otelcol.exporter.otlphttp.{sink}"
    feeders = {src for src, edges in graph.edges.items() for _, dst in edges if dst == exporter}
    assert feeders == {f"otelcol.processor.filter.{sink}_gate"}, "exactly one way in: the sink's gate"
    gate = graph.blocks[f"otelcol.processor.filter.{sink}_gate"]
    conditions = [c for kind in ("trace_conditions", "log_conditions") for c in gate.blocks(kind)]
    assert len(conditions) == 1
    assert [".".join(r) for r in references(conditions[0].attribute("conditions").value)] == [
        f"settings.env.{sink}_drop_all"
    ]
    block = graph.blocks[exporter]
    queue = block.blocks("sending_queue")
    assert len(queue) == 1
    enabled = queue[0].attribute("enabled")
    assert enabled is None or bool_literal(enabled.value) is True
    storage = [".".join(r) for r in references(queue[0].attribute("storage").value)]
    assert storage == [f"otelcol.storage.file.{sink}.handler"]
    assert f"otelcol.storage.file.{sink}" in graph.blocks
    retry = block.blocks("retry_on_failure")
    assert len(retry) == 1
    retry_enabled = retry[0].attribute("enabled")
    assert retry_enabled is None or bool_literal(retry_enabled.value) is True  # on by default


def test_storage_is_never_shared_between_sinks(graph):
    used = []
    for sink in OTLP_SINKS:
        queue = graph.blocks[f"otelcol.exporter.otlphttp.{sink}"].blocks("sending_queue")[0]
        used += [".".join(r) for r in references(queue.attribute("storage").value)]
    assert len(used) == len(set(used)) == len(OTLP_SINKS)


def test_no_endpoint_or_credential_is_hard_coded(modules, graph):
    for sink in OTLP_SINKS:
        client = graph.blocks[f"otelcol.exporter.otlphttp.{sink}"].blocks("client")[0]
        for name in ("endpoint", "auth"):
            refs = [".".join(r) for r in references(client.attribute(name).value)]
            assert refs == [f"settings.env.{sink}_{'endpoint' if name == 'endpoint' else 'auth'}"]
            export = graph.settings_exports[f"{sink}_{name}"]
            if name == "endpoint":
                assert "sys.env" in calls(export), f"{sink} endpoint is not read from the environment"
    remote = graph.blocks[PROMETHEUS].blocks("endpoint")[0]
    assert "sys.env" in calls(remote.attribute("url").value)
    basic = remote.blocks("basic_auth")[0]
    assert all(calls(basic.attribute(a).value) == ["sys.env"] for a in ("username", "password"))


def test_only_env_alloy_reads_the_environment(modules):
    readers = {name for name, module in modules.items() for block in module.walk()
               for attribute in block.attributes() if "sys.env" in calls(attribute.value)}
    assert readers == {"env.alloy"}


def test_no_url_literal_except_the_switched_off_placeholder(modules):
    urls = {value for module in modules.values() for block in module.walk() for attribute in block.attributes()
            for value in string_literals(attribute.value) if re.match(r"[a-z]+://", value)}
    assert urls == {"http://127.0.0.1:9/ccotel-sink-off"}


def test_listeners_are_env_configurable_with_loopback_defaults(graph):
    receiver = graph.blocks[RECEIVER]
    for protocol, port in (("http", 4318), ("grpc", 4317)):
        endpoint = receiver.blocks(protocol)[0].attribute("endpoint").value
        refs = [".".join(r) for r in references(endpoint)]
        assert len(refs) == 1 and refs[0].startswith("settings.env.")
        export = graph.settings_exports[refs[0].split(".")[-1]]
        assert calls(export) == ["coalesce", "sys.env"]
        assert string_literals(export)[-1] == f"127.0.0.1:{port}"  # the default when the variable is unset


def test_prometheus_sink_is_gated_and_fed_by_every_metric_path(graph):
    gate = "prometheus.relabel.prometheus_gate"
    assert graph.successors(gate, "metrics") == {PROMETHEUS}
    feeders = {src for src, edges in graph.edges.items() for sig, dst in edges if dst == gate}
    assert feeders == {"otelcol.exporter.prometheus.default", "prometheus.scrape.alloy"}
    assert graph.successors("ccotel.metrics.default", "metrics") == {"otelcol.exporter.prometheus.default"}


@pytest.mark.parametrize(("environ", "expected"), [
    ({}, {"langfuse_drop_all": "true", "tempo_drop_all": "true", "loki_drop_all": "true",
          "prometheus_enabled": "false", "otlp_http_address": "127.0.0.1:4318",
          "otlp_grpc_address": "127.0.0.1:4317",
          "langfuse_endpoint": "http://127.0.0.1:9/ccotel-sink-off/api/public/otel",
          "tempo_endpoint": "http://127.0.0.1:9/ccotel-sink-off"}),
    ({"LANGFUSE_BASE_URL": "https://cloud.langfuse.com/", "TEMPO_ENDPOINT": "http://tempo:4318",
      "PROMETHEUS_REMOTE_WRITE_URL": "http://prometheus:9090/api/v1/write",
      "CCOTEL_OTLP_HTTP_ADDRESS": "0.0.0.0:4318"},
     {"langfuse_drop_all": "false", "tempo_drop_all": "false", "loki_drop_all": "true",
      "prometheus_enabled": "true", "otlp_http_address": "0.0.0.0:4318",
      "langfuse_endpoint": "https://cloud.langfuse.com/api/public/otel", "tempo_endpoint": "http://tempo:4318"}),
    ({"LANGFUSE_HOST": "http://langfuse-web:3000", "LOKI_ENDPOINT": "http://loki:3100/otlp/"},
     {"langfuse_drop_all": "false", "langfuse_endpoint": "http://langfuse-web:3000/api/public/otel",
      "loki_drop_all": "false", "loki_endpoint": "http://loki:3100/otlp"}),
])
def test_sinks_switch_on_and_off_with_their_environment(graph, environ, expected):
    values = {name: evaluate(graph.settings_exports[name], environ) for name in expected}
    assert values == expected
