"""Every query of every provisioned dashboard, ready to run against the end-to-end Prometheus.

A PromQL target becomes a `DashboardQuery` with Grafana's variables replaced by what a person sees with
"All" selected over the test's window: `$__range` = the window, `$__interval` / `$__rate_interval` = a step
that holds several samples, a query variable = `.*`, a custom variable = its first option.

What cannot run here is listed by name, outside the count: TraceQL (Tempo) and LogQL (Loki) targets, and
PromQL that reads Alloy's own internal metrics, which the upstream collector does not produce (its own
`otelcol_*` counters it does produce, so those are counted). A fallback `or vector(0)` is removed before
running a query: with it every query "returns data", so it would prove nothing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from promql_support import analyse

REPO = Path(__file__).resolve().parents[2]
DASHBOARDS = REPO / "stack" / "grafana" / "dashboards"
# Metrics only Alloy's own runtime exports (prometheus.exporter.self / remote-write component); the upstream
# collector names its remote-write exporter's figures differently or not at all.
ALLOY_ONLY_PREFIXES = ("alloy_", "prometheus_remote_storage_")
# Counters the collector creates only on the first failure of their kind; a full queue is not provoked.
NEEDS_FULL_QUEUE = {"otelcol_exporter_enqueue_failed_spans_total", "otelcol_exporter_enqueue_failed_log_records_total"}
FALLBACK = re.compile(r"\s+or\s+vector\(\s*0\s*\)")


@dataclass(frozen=True)
class DashboardQuery:
    where: str  # "<dashboard file> / <panel title> / <refId>"
    language: str  # promql | traceql | logql
    raw: str  # the expression as written in the dashboard
    expr: str  # runnable: variables substituted, fallbacks removed (PromQL only)
    metrics: tuple[str, ...]

    @property
    def unverified_reason(self) -> str | None:
        if self.language != "promql":
            return f"{self.language} (no {'Tempo' if self.language == 'traceql' else 'Loki'} here)"
        alloy_only = [name for name in self.metrics if name.startswith(ALLOY_ONLY_PREFIXES)]
        if alloy_only:
            return f"Alloy's own metrics ({', '.join(sorted(set(alloy_only)))})"
        if any(name in NEEDS_FULL_QUEUE for name in self.metrics):
            return "needs a sink's sending queue to overflow (5000 batches); not provoked here"
        return None


def _panels(items: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for item in items:
        yield item
        yield from _panels(item.get("panels", []))


def _variables(dashboard: dict[str, Any]) -> dict[str, str]:
    values = {}
    for variable in dashboard.get("templating", {}).get("list", []):
        if variable.get("type") == "custom":
            values[variable["name"]] = str(variable.get("query", "")).split(",")[0].strip()
        elif variable.get("type") == "query":
            values[variable["name"]] = ".*"
        else:
            values[variable["name"]] = str(variable.get("query", ""))
    return values


def substitute(expr: str, variables: dict[str, str], window: str, step: str) -> str:
    expr = re.sub(r"\$__range\b", window, expr)
    expr = re.sub(r"\$__(?:rate_interval|interval)\b", step, expr)
    for name, value in sorted(variables.items(), key=lambda item: -len(item[0])):
        expr = expr.replace("${" + name + "}", value)
        expr = re.sub(r"\$" + re.escape(name) + r"\b", value, expr)
    return expr


def queries(window: str = "1h", step: str = "2m", directory: Path = DASHBOARDS) -> list[DashboardQuery]:
    found = []
    for path in sorted(directory.glob("*.json")):
        dashboard = json.loads(path.read_text(encoding="utf-8"))
        variables = _variables(dashboard)
        for panel in _panels(dashboard.get("panels", [])):
            for target in panel.get("targets", []):
                source = (target.get("datasource") or panel.get("datasource") or {}).get("type", "")
                where = f"{path.name} / {panel.get('title', '?')} / {target.get('refId', '?')}"
                if source == "prometheus":
                    raw = target["expr"]
                    expr = FALLBACK.sub("", substitute(raw, variables, window, step))
                    metrics = tuple(selector.metric for selector in analyse(expr).selectors)
                    found.append(DashboardQuery(where, "promql", raw, expr, metrics))
                elif source in ("tempo", "loki"):
                    raw = str(target.get("query") or target.get("expr") or "")
                    found.append(DashboardQuery(where, "traceql" if source == "tempo" else "logql", raw, raw, ()))
    return found
