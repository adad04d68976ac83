"""The translator: alloy/ -> the upstream collector's config (no binary needed here; test_collector.py runs it)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from ottl_corpus import rendered

from ccotel.collector.otelcol.evaluate import TranslateError
from ccotel.collector.otelcol.load import load
from ccotel.collector.otelcol.substitutions import SUBSTITUTIONS, substitution_rows
from ccotel.collector.otelcol.translate import translate, unknown_components

REPO = Path(__file__).resolve().parents[2]
ALLOY = REPO / "alloy"
ALL_SINKS = {
    "LANGFUSE_BASE_URL": "http://127.0.0.1:3000/",
    "LANGFUSE_PUBLIC_KEY": "pk-lf-test",
    "LANGFUSE_SECRET_KEY": "sk-lf-test",
    "TEMPO_ENDPOINT": "http://127.0.0.1:4418/",
    "LOKI_ENDPOINT": "http://127.0.0.1:3100/otlp",
    "PROMETHEUS_REMOTE_WRITE_URL": "http://127.0.0.1:9090/api/v1/write",
}


def _translate(env: dict[str, str], tmp_path: Path) -> dict:
    return translate(ALLOY, env, storage_dir=tmp_path / "storage")


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    return []


def test_alloy_uses_only_components_the_translator_knows() -> None:
    assert unknown_components(load(ALLOY, {})) == []


def test_an_unknown_component_fails_with_its_name_and_place(tmp_path: Path) -> None:
    (tmp_path / "main.alloy").write_text(
        'otelcol.receiver.otlp "in" {\n  http { }\n  output { traces = [otelcol.processor.tail_sampling.x.input] }\n}\n'
        'otelcol.processor.tail_sampling "x" {\n  output { }\n}\n'
    )
    with pytest.raises(TranslateError, match=r"otelcol\.processor\.tail_sampling \(.*main\.alloy:5:1\)"):
        translate(tmp_path, {}, storage_dir=tmp_path / "s")


def test_every_ottl_statement_is_passed_byte_for_byte(tmp_path: Path) -> None:
    config = _translate({}, tmp_path)
    # The collector reads `$$` as `$`: unescape as it does, then every OTTL string of alloy/ must be there as is.
    loaded = [s.replace("$$", "$") for s in _strings(config)]
    missing = [item.origin for item in rendered() if item.text not in loaded]
    assert missing == []
    assert any("${1}" in item.text for item in rendered())  # the redaction rules do use `${1}`...
    assert not any("${1}" in s and "$${1}" not in s for s in _strings(config))  # ...and it is escaped


def test_sinks_are_gated_off_when_their_endpoint_is_unset(tmp_path: Path) -> None:
    config = _translate({}, tmp_path)
    processors = config["processors"]
    for gate in ("filter/langfuse_gate", "filter/tempo_gate", "filter/loki_gate"):
        conditions = next(v for k, v in processors[gate].items() if k.endswith("_conditions"))
        assert conditions == [{"context": "resource", "conditions": ["true"]}]
    assert processors["filter/default.gate"]["metric_conditions"][0]["conditions"] == ["true"]
    assert config["exporters"]["otlp_http/tempo"]["endpoint"] == "http://127.0.0.1:9/ccotel-sink-off"


def test_sink_settings_come_from_the_environment(tmp_path: Path) -> None:
    config = _translate(ALL_SINKS, tmp_path)
    exporters, processors, extensions = config["exporters"], config["processors"], config["extensions"]
    assert exporters["otlp_http/langfuse"]["endpoint"] == "http://127.0.0.1:3000/api/public/otel"
    assert exporters["otlp_http/langfuse"]["headers"] == {"x-langfuse-ingestion-version": "4"}
    assert exporters["otlp_http/tempo"]["endpoint"] == "http://127.0.0.1:4418"
    assert exporters["otlp_http/loki"]["endpoint"] == "http://127.0.0.1:3100/otlp"
    remote_write = exporters["prometheus_remote_write/default"]
    assert remote_write["endpoint"] == "http://127.0.0.1:9090/api/v1/write"
    assert remote_write["remote_write_queue"] == {"queue_size": 10000}
    for gate in ("filter/langfuse_gate", "filter/tempo_gate", "filter/loki_gate", "filter/default.gate"):
        conditions = next(v for k, v in processors[gate].items() if k.endswith("_conditions"))
        assert conditions[0]["conditions"] == ["false"]
    auth = exporters["otlp_http/langfuse"]["auth"]["authenticator"]
    assert extensions[auth] == {"client_auth": {"username": "pk-lf-test", "password": "sk-lf-test"}}
    queue = exporters["otlp_http/langfuse"]["sending_queue"]
    assert queue["queue_size"] == 5000 and extensions[queue["storage"]]["directory"].startswith(str(tmp_path))


def test_listen_addresses_and_memory_limits(tmp_path: Path) -> None:
    env = {"CCOTEL_OTLP_HTTP_ADDRESS": "127.0.0.1:14318", "CCOTEL_MEMORY_LIMIT": "1GiB"}
    config = _translate(env, tmp_path)
    protocols = config["receivers"]["otlp/default"]["protocols"]
    assert protocols == {"http": {"endpoint": "127.0.0.1:14318"}, "grpc": {"endpoint": "127.0.0.1:4317"}}
    limiter = config["processors"]["memory_limiter/default"]
    assert (limiter["limit_mib"], limiter["spike_limit_mib"], limiter["check_interval"]) == (1024, 128, "1s")


def test_traces_follow_alloys_processing_order(tmp_path: Path) -> None:
    pipelines = _translate({}, tmp_path)["service"]["pipelines"]
    traces = pipelines["traces/otlp.default"]
    assert traces["processors"] == ["memory_limiter/default", "batch/traces", "transform/redaction.default.redact",
                                    "transform/cost.default.cost"]
    # the priced spans fan out to the derived metrics, Langfuse, Tempo and the per-turn log lines.
    assert len(traces["exporters"]) == 4 and "spanlogs/turns" in traces["exporters"]
    turn_logs = pipelines["logs/spanlogs.turns"]
    assert turn_logs == {"receivers": ["spanlogs/turns"], "processors": ["transform/turn_logs"],
                         "exporters": ["forward/filter.loki_gate"]}
    assert config_of_spanlogs(tmp_path) == {"roots": True, "span_attributes": [
        "claude_code.project", "claude_code.turn.index", "gen_ai.conversation.id", "user.id"]}
    langfuse = next(p for p in pipelines.values() if "transform/langfuse" in p["processors"])
    assert langfuse["processors"] == ["transform/langfuse", "filter/langfuse_gate"]
    assert langfuse["exporters"] == ["otlp_http/langfuse"]
    metric_sources = [p for p in pipelines.values() if "forward/filter.default.gate" in p["exporters"]]
    assert len(metric_sources) == 3  # Claude Code's metrics, span metrics, signal-to-metrics counters


def config_of_spanlogs(tmp_path: Path) -> dict:
    return _translate({}, tmp_path)["connectors"]["spanlogs/turns"]


def test_every_pipeline_reference_is_defined(tmp_path: Path) -> None:
    config = _translate(ALL_SINKS, tmp_path)
    defined = {k for section in ("receivers", "processors", "exporters", "connectors") for k in config.get(section, {})}
    for name, pipeline in config["service"]["pipelines"].items():
        for role in ("receivers", "processors", "exporters"):
            assert set(pipeline[role]) <= defined, (name, role)
    assert set(config["service"]["extensions"]) == set(config["extensions"])


def test_the_translation_is_plain_yaml_data(tmp_path: Path) -> None:
    config = _translate(ALL_SINKS, tmp_path)
    assert yaml.safe_load(yaml.safe_dump(config)) == config


def test_substitutions_cover_exactly_the_alloy_only_components_used() -> None:
    used = {c.kind for c in load(ALLOY, {})}
    assert {k for k in used if not k.startswith("otelcol.") or k in SUBSTITUTIONS} <= set(SUBSTITUTIONS)
    docs = (REPO / "docs" / "pipeline.md").read_text(encoding="utf-8")
    for kind, upstream, why in substitution_rows():
        assert f"| `{kind}` | {upstream} | {why} |" in docs, f"docs/pipeline.md's substitution row for {kind} is stale"


def test_self_metrics_and_health_check_are_opt_in(tmp_path: Path) -> None:
    off = _translate({}, tmp_path)
    assert off["service"]["telemetry"]["metrics"] == {"level": "none"} and "health_check" not in off["extensions"]
    on = _translate({"CCOTEL_TEST_SELF_METRICS_ADDRESS": "127.0.0.1:18888",
                     "CCOTEL_TEST_HEALTH_ADDRESS": "127.0.0.1:13133"}, tmp_path)
    reader = on["service"]["telemetry"]["metrics"]["readers"][0]["pull"]["exporter"]["prometheus"]
    assert (reader["host"], reader["port"]) == ("127.0.0.1", 18888)
    assert on["extensions"]["health_check"] == {"endpoint": "127.0.0.1:13133"}
    assert "health_check" in on["service"]["extensions"]


def test_span_metrics_leave_out_the_collector_instance_id_as_alloy_does(tmp_path: Path) -> None:
    connector = _translate({}, tmp_path)["connectors"]["span_metrics/metrics.default.default"]
    assert connector["exclude_dimensions"] == ["collector.instance.id"]
    assert [d["name"] for d in connector["dimensions"]][:2] == ["gen_ai.operation.name", "gen_ai.request.model"]
    assert connector["histogram"] == {"unit": "s", "explicit": {"buckets": [
        "50ms", "100ms", "250ms", "500ms", "1s", "2500ms", "5s", "10s", "20s", "30s", "60s", "120s", "300s", "600s",
        "1800s", "3600s"]}}


def test_declare_arguments_defaults_exports_and_imported_files(tmp_path: Path) -> None:
    (tmp_path / "lib.alloy").write_text(
        'declare "gate" {\n'
        '  argument "out" { }\n'
        '  argument "cond" { default = "false" }\n'
        '  otelcol.processor.filter "f" {\n'
        '    trace_conditions {\n      context = "resource"\n      conditions = [argument.cond.value]\n    }\n'
        '    output { traces = argument.out.value }\n'
        '  }\n'
        '  export "input" { value = otelcol.processor.filter.f.input }\n'
        '}\n'
    )
    (tmp_path / "main").mkdir()
    (tmp_path / "main" / "main.alloy").write_text(
        'import.file "lib" { filename = file.path_join(module_path, "../lib.alloy") }\n'
        'otelcol.receiver.otlp "in" {\n'
        '  http { endpoint = coalesce(sys.env("ADDR"), "127.0.0.1:4318") }\n'
        '  output { traces = [lib.gate.g.input] }\n'
        '}\n'
        'lib.gate "g" { out = [otelcol.exporter.otlphttp.x.input] }\n'
        'otelcol.exporter.otlphttp "x" {\n'
        '  client {\n'
        '    endpoint = string.format("%s/v1/%t", string.trim_suffix(sys.env("URL"), "/"), sys.env("URL") == "")\n'
        '  }\n'
        '}\n'
    )
    config = translate(tmp_path / "main", {"URL": "http://127.0.0.1:1/"}, storage_dir=tmp_path / "s")
    assert config["receivers"]["otlp/in"]["protocols"]["http"]["endpoint"] == "127.0.0.1:4318"
    assert config["processors"]["filter/gate.g.f"]["trace_conditions"][0]["conditions"] == ["false"]
    assert config["exporters"]["otlp_http/x"]["endpoint"] == "http://127.0.0.1:1/v1/false"
    assert config["service"]["pipelines"]["traces/otlp.in"] == {
        "receivers": ["otlp/in"], "processors": ["filter/gate.g.f"], "exporters": ["otlp_http/x"]}


def test_a_relabel_rule_reading_series_labels_is_not_translated(tmp_path: Path) -> None:
    (tmp_path / "main.alloy").write_text(
        'otelcol.exporter.prometheus "p" { forward_to = [prometheus.relabel.r.receiver] }\n'
        'prometheus.relabel "r" {\n'
        '  forward_to = [prometheus.remote_write.w.receiver]\n'
        '  rule {\n    action = "drop"\n    source_labels = ["job"]\n    regex = "x"\n  }\n'
        '}\n'
        'prometheus.remote_write "w" {\n  endpoint { url = "http://127.0.0.1:9/w" }\n}\n'
    )
    with pytest.raises(TranslateError, match="reads series labels"):
        translate(tmp_path, {}, storage_dir=tmp_path / "s")
