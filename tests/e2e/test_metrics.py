"""Every derived metric exists in the real Prometheus with the name and labels collector/metrics/metrics.yaml
promises, and values that match the spans sent: tokens by type, cost, turns, tool errors, span-metric counts."""

from __future__ import annotations

import math
from collections import Counter

import pytest
from e2e.conftest import PipelineRun, wait_until
from e2e.sinks import Span

from ccotel.collector.metrics.catalogue import load_catalogue

COMMON = {"__name__", "job", "instance", "otel_scope_name", "otel_scope_version", "otel_scope_schema_url"}
HOOK_METRICS = [metric for metric in load_catalogue().metrics if metric.source in ("spanmetrics", "derived")]


def arrived(pipeline: PipelineRun) -> list[Span]:
    expected = pipeline.expected_ids()
    return [span for span in pipeline.sinks["tempo"].snapshot()[0] if span.span_id in expected]


def latest(pipeline: PipelineRun, expr: str) -> dict[str, float]:
    """`sum by (<label>) (...)` as {label value: value}, waiting for the counters to settle on the spans sent."""
    result = pipeline.prometheus.query(expr)
    return {next(iter(row["metric"].values()), ""): float(row["value"][1]) for row in result}


def settled(pipeline: PipelineRun, expr: str, expected: dict[str, float], timeout: float = 60) -> dict[str, float]:
    def close() -> bool:
        got = latest(pipeline, expr)
        return got.keys() == expected.keys() and all(math.isclose(got[k], v, rel_tol=1e-9) for k, v in
                                                     expected.items())

    wait_until(close, timeout, step=1)
    return latest(pipeline, expr)


@pytest.mark.parametrize("metric", HOOK_METRICS, ids=lambda metric: metric.name)
def test_metric_exists_with_the_promised_name_and_labels(pipeline: PipelineRun, metric: object) -> None:
    name = metric.series[0]  # type: ignore[attr-defined]
    wait_until(lambda: pipeline.prometheus.series(name), timeout=60, step=1)
    series = pipeline.prometheus.series(name)
    assert series, f"{name}: no series in Prometheus (have: {sorted(pipeline.prometheus.series_names())})"
    promised = set(metric.labels)  # type: ignore[attr-defined]
    seen = {label for row in series for label in row}
    extra = seen - promised - COMMON - {"le"}
    assert extra == set(), f"{name}: labels the catalogue does not promise"
    assert promised <= seen, f"{name}: promised labels never seen: {sorted(promised - seen)}"


def test_tokens_by_type_match_the_chat_spans(pipeline: PipelineRun) -> None:
    totals: Counter[str] = Counter()
    for span in arrived(pipeline):
        if span.operation != "chat":
            continue
        attributes = span.attributes
        read = int(attributes.get("gen_ai.usage.cache_read.input_tokens") or 0)
        creation = int(attributes.get("gen_ai.usage.cache_creation.input_tokens") or 0)
        totals["input"] += int(attributes.get("gen_ai.usage.input_tokens") or 0) - read - creation
        totals["output"] += int(attributes.get("gen_ai.usage.output_tokens") or 0)
        totals["cacheRead"] += read
        totals["cacheCreation"] += creation
    expected = {kind: float(value) for kind, value in totals.items()}
    assert settled(pipeline, "sum by (type) (ccotel_tokens_total)", expected) == expected


def test_cost_turns_and_tool_errors_match_the_spans(pipeline: PipelineRun) -> None:
    spans = arrived(pipeline)
    cost = sum(float(s.attributes.get("gen_ai.usage.cost") or 0.0) for s in spans if s.operation == "chat")
    turns = sum(1 for s in spans if s.operation == "invoke_agent" and "claude_code.turn.index" in s.attributes)
    errors = sum(1 for s in spans if s.operation == "execute_tool" and s.status_code == 2)
    unpriced = sum(1 for s in spans if s.attributes.get("claude_code.cost.status") == "unpriced")
    assert errors >= pipeline.generated.tool_errors > 0 and unpriced > 0
    for expr, value in (("sum(ccotel_cost_USD_total)", cost), ("sum(ccotel_turns_total)", turns),
                        ("sum(ccotel_tool_errors_total)", errors), ("sum(ccotel_unpriced_calls_total)", unpriced)):
        got = settled(pipeline, expr, {"": float(value)})
        assert got.keys() == {""} and math.isclose(got[""], value, rel_tol=1e-9), (expr, got, value)


def test_span_metric_counts_match_the_spans_by_operation(pipeline: PipelineRun) -> None:
    counts = Counter(span.operation for span in arrived(pipeline))
    expected = {operation: float(count) for operation, count in counts.items()}
    expr = 'sum by (gen_ai_operation_name) (traces_span_metrics_calls_total{service_name="claude-code"})'
    assert settled(pipeline, expr, expected) == expected
