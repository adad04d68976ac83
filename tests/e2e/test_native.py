"""Claude Code's own telemetry, sent as Claude Code sends it (delta metrics, events as logs; http/protobuf and
http/json), arrives in Prometheus as cumulative series with the catalogue's names and at the Loki sink."""

from __future__ import annotations

import math

from e2e import summary
from e2e.conftest import PipelineRun, wait_until
from e2e.native import EVENTS


def _series_value(pipeline: PipelineRun, name: str, labels: frozenset[tuple[str, str]]) -> float | None:
    session = dict(labels)["session_id"]
    for row in pipeline.prometheus.query(f'{name}{{session_id="{session}"}}'):
        if labels <= set(row["metric"].items()):
            return float(row["value"][1])
    return None


def test_native_metrics_arrive_cumulative_and_events_reach_loki(pipeline: PipelineRun) -> None:
    failures = []
    for batch in pipeline.native:
        expected = batch.expected

        def all_there(expected: dict = expected) -> bool:
            return all(_series_value(pipeline, name, labels) is not None for name, labels in expected)

        wait_until(all_there, timeout=60, step=1)
        for (name, labels), value in expected.items():
            got = _series_value(pipeline, name, labels)
            if got is None or not math.isclose(got, value, rel_tol=1e-9):
                failures.append(f"{batch.protocol} {name}: {got} != {value}")
        records = [r for r in pipeline.sinks["loki"].snapshot()[1]
                   if r.attributes.get("session.id") == batch.session_id]
        names = sorted(str(r.body) for r in records)
        if names != sorted(EVENTS):
            failures.append(f"{batch.protocol} events at Loki: {names}")
    summary.record("native", "ok" if not failures else f"{len(failures)} failed ({failures[0]})")
    assert failures == []
