"""collector/metrics/metrics.yaml: valid, named as Prometheus names it, in step with alloy/modules/metrics.alloy."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from alloy_support import ALLOY_DIR, string_literals
from conftest import REPO

from ccotel.collector.metrics.catalogue import CatalogueError, load_catalogue, prometheus_name
from ccotel.collector.metrics.render import render
from ccotel.collector.pipeline.syntax import parse_file
from ccotel.collector.pipeline.tree import Block

CATALOGUE = REPO / "collector" / "metrics" / "metrics.yaml"
MODULE = ALLOY_DIR / "modules" / "metrics.alloy"
# Prometheus data model: metric and label names.
METRIC_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")


def raw_catalogue() -> dict:
    return yaml.safe_load(CATALOGUE.read_text(encoding="utf-8"))


def write(tmp_path: Path, raw: dict) -> Path:
    path = tmp_path / "metrics.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return path


def entry(raw: dict, name: str) -> dict:
    return next(m for m in raw["metrics"] if m["name"] == name)


# --- the catalogue itself -------------------------------------------------------------------------------------


def test_every_series_name_and_label_is_valid_and_unique():
    raw = raw_catalogue()
    series: list[str] = []
    for metric in raw["metrics"]:
        base = metric["name"]
        series += [f"{base}_{s}" for s in ("bucket", "sum", "count")] if metric["type"] == "histogram" else [base]
        labels = metric["labels"]
        assert len(labels) == len(set(labels)), base
        assert all(LABEL_NAME.fullmatch(label) and not label.startswith("__") for label in labels), base
    assert all(METRIC_NAME.fullmatch(name) for name in series)
    assert len(series) == len(set(series))
    assert load_catalogue(CATALOGUE).metrics  # and the validator agrees


def test_the_names_dashboards_rely_on_are_catalogued():
    names = {m.name for m in load_catalogue(CATALOGUE).metrics}
    expected = {
        # spanmetrics, histogram unit s (reference/alloy/spanmetrics.md §2)
        "traces_span_metrics_calls_total", "traces_span_metrics_duration_seconds",
        # derived from the hook's spans
        "ccotel_tokens_total", "ccotel_cost_USD_total", "ccotel_turns_total", "ccotel_tool_errors_total",
        "ccotel_unpriced_calls_total", "ccotel_redacted_spans_total",
        # Claude Code's native metrics, as public dashboards for them query them
        "claude_code_token_usage_tokens_total", "claude_code_cost_usage_USD_total",
        "claude_code_session_count_total", "claude_code_lines_of_code_count_total",
        "claude_code_active_time_seconds_total", "claude_code_commit_count_total",
        "claude_code_pull_request_count_total", "claude_code_code_edit_tool_decision_total",
        # Alloy's own (names from Alloy's mixin dashboards)
        "otelcol_receiver_accepted_spans_total", "otelcol_receiver_refused_spans_total",
        "otelcol_exporter_sent_spans_total", "otelcol_exporter_send_failed_spans_total",
        "otelcol_exporter_queue_size", "otelcol_exporter_queue_capacity",
        "prometheus_remote_storage_samples_failed_total",
    }
    assert expected <= names, sorted(expected - names)


@pytest.mark.parametrize(("otlp_name", "unit", "kind", "expected"), [
    # reference/alloy/spanmetrics.md §2 (BuildCompliantName with suffixes)
    ("traces.span.metrics.calls", "", "counter", "traces_span_metrics_calls_total"),
    ("traces.span.metrics.duration", "ms", "histogram", "traces_span_metrics_duration_milliseconds"),
    ("traces.span.metrics.duration", "s", "histogram", "traces_span_metrics_duration_seconds"),
    ("traces.span.metrics.events", "", "counter", "traces_span_metrics_events_total"),
    # Claude Code's metrics as Prometheus stores them (public dashboards built on them)
    ("claude_code.token.usage", "tokens", "counter", "claude_code_token_usage_tokens_total"),
    ("claude_code.cost.usage", "USD", "counter", "claude_code_cost_usage_USD_total"),
    ("claude_code.active_time.total", "s", "counter", "claude_code_active_time_seconds_total"),
    ("claude_code.session.count", "", "counter", "claude_code_session_count_total"),
    # annotations in braces are not units; a gauge keeps no _total
    ("ccotel.tokens", "{token}", "counter", "ccotel_tokens_total"),
    ("queue.size", "", "gauge", "queue_size"),
    ("http.request.body.size", "By", "histogram", "http_request_body_size_bytes"),
])
def test_prometheus_name_follows_alloys_translation(otlp_name, unit, kind, expected):
    assert prometheus_name(otlp_name, unit, kind) == expected


# --- validation errors name the file and the key ------------------------------------------------------------


def _mutations():
    def duplicate(raw):
        raw["metrics"].append(dict(entry(raw, "ccotel_turns_total")))

    def bad_label(raw):
        entry(raw, "otelcol_exporter_queue_size")["labels"].append("data-type")

    def wrong_translation(raw):
        entry(raw, "ccotel_turns_total")["name"] = "ccotel_turns"

    def missing_derive(raw):
        del entry(raw, "ccotel_turns_total")["derive"]

    def labels_not_derived(raw):
        entry(raw, "ccotel_turns_total")["labels"].append("model")

    def uneven_constant_labels(raw):
        entry(raw, "ccotel_tokens_total")["derive"]["rules"][2]["constant_labels"] = {"kind": "output"}

    def colliding_histogram(raw):
        raw["metrics"].append({**entry(raw, "otelcol_exporter_queue_size"),
                               "name": "traces_span_metrics_duration_seconds_count"})

    def bad_type(raw):
        entry(raw, "otelcol_exporter_queue_size")["type"] = "summary"

    def spanmetrics_label_missing(raw):
        entry(raw, "traces_span_metrics_calls_total")["labels"].remove("user_id")

    return [("duplicate", duplicate, "ccotel_turns_total"), ("bad label", bad_label, "data-type"),
            ("translation", wrong_translation, "ccotel_turns_total"), ("derive", missing_derive, "derive"),
            ("labels", labels_not_derived, "labels"), ("constants", uneven_constant_labels, "rules"),
            ("histogram series", colliding_histogram, "traces_span_metrics_duration_seconds_count"),
            ("type", bad_type, "summary"), ("spanmetrics", spanmetrics_label_missing, "labels")]


@pytest.mark.parametrize(("case", "mutate", "mentioned"), _mutations(), ids=[m[0] for m in _mutations()])
def test_invalid_catalogue_is_rejected_with_file_and_key(tmp_path, case, mutate, mentioned):
    raw = raw_catalogue()
    mutate(raw)
    path = write(tmp_path, raw)
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: "), message
    assert mentioned in message, message


def test_unreadable_or_malformed_files_are_clear_errors(tmp_path):
    with pytest.raises(CatalogueError, match="cannot read"):
        load_catalogue(tmp_path / "absent.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("metrics: [\n", encoding="utf-8")
    with pytest.raises(CatalogueError, match="not valid YAML"):
        load_catalogue(broken)


# --- the rendered module --------------------------------------------------------------------------------------


def test_committed_module_is_what_the_catalogue_renders():
    assert MODULE.read_text(encoding="utf-8") == render(load_catalogue(CATALOGUE))


def test_render_check_command_detects_a_stale_file(tmp_path):
    command = [sys.executable, "-m", "ccotel.collector.metrics.render", "--check"]
    assert subprocess.run(command, capture_output=True, text=True).returncode == 0
    stale = tmp_path / "metrics.alloy"
    stale.write_text(MODULE.read_text(encoding="utf-8").replace('"15s"', '"60s"'), encoding="utf-8")
    result = subprocess.run([*command, "--output", str(stale)], capture_output=True, text=True)
    assert result.returncode == 1
    assert "stale" in result.stderr and result.stderr.count("\n") == 1


def _component(block: Block, name: str) -> Block:
    return next(b for b in block.walk() if b.name == name)


def _string(block: Block, attribute: str) -> str:
    values = string_literals(block.attribute(attribute).value)
    assert len(values) == 1
    return values[0]


def produced_metrics() -> dict[str, tuple[str, set[str]]]:
    """OTLP metric name -> (unit, Prometheus label names) as the rendered module produces them."""
    module = parse_file(MODULE)
    assert not module.errors, module.errors
    declare = module.blocks("declare")[0]
    produced: dict[str, tuple[str, set[str]]] = {}
    spanmetrics = _component(declare, "otelcol.connector.spanmetrics")
    namespace = _string(spanmetrics, "namespace")
    dimensions = {_string(d, "name").replace(".", "_") for d in spanmetrics.blocks("dimension")}
    labels = {"service_name", "span_name", "span_kind", "status_code"} | dimensions
    produced[f"{namespace}.calls"] = ("", labels)
    produced[f"{namespace}.duration"] = (_string(spanmetrics.blocks("histogram")[0], "unit"), labels)
    signaltometrics = _component(declare, "otelcol.connector.signaltometrics")
    for block in signaltometrics.blocks():
        if block.name not in ("spans", "logs"):
            continue
        keys = {_string(a, "key").replace(".", "_") for a in block.blocks("attributes")}
        name, unit = _string(block, "name"), _string(block, "unit")
        previous = produced.setdefault(name, (unit, keys))
        assert previous == (unit, keys), f"{name}: blocks of one metric disagree on unit or labels"
    return produced


def test_module_produces_exactly_the_catalogued_metrics():
    produced = produced_metrics()
    catalogued = {m.otlp_name: (m.unit, set(m.labels)) for m in load_catalogue(CATALOGUE).metrics
                  if m.source in ("spanmetrics", "derived")}
    assert produced == catalogued


def test_every_derived_counter_is_made_monotonic_and_cumulative():
    text = MODULE.read_text(encoding="utf-8")
    prefixes = set(re.findall(r'HasPrefix\(metric\.name, "([^"]+)"\)', text))
    derived = [name for name in produced_metrics() if not name.startswith("traces.span.metrics.")]
    assert derived and all(any(name.startswith(p) for p in prefixes) for name in derived)
    assert "otelcol.processor.deltatocumulative" in text
