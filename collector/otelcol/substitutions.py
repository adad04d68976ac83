"""Every Alloy-only component alloy/ uses, the upstream component that stands in for it, and why. One place.

docs/pipeline.md shows this table (`substitution_rows()`); the translator uses `SUBSTITUTIONS[kind].mapper`.
A component kind that is neither here nor in components.UPSTREAM makes the translation fail.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ccotel.collector.otelcol.components import Context, Node, body, outputs
from ccotel.collector.otelcol.load import Component
from ccotel.collector.otelcol.prometheus import map_prometheus_exporter


@dataclass(frozen=True)
class Substitution:
    upstream: str
    why: str
    mapper: Callable[[Component, Context], list[Node]]


def _nothing(component: Component, ctx: Context) -> list[Node]:
    return []


def _spanlogs(component: Component, ctx: Context) -> list[Node]:
    config = body(component.block, component, None, ctx, {"output", "debug_metrics"})
    return [Node(f"spanlogs/{component.path}", "connectors", config, outputs(component))]


SUBSTITUTIONS: dict[str, Substitution] = {
    "otelcol.exporter.prometheus": Substitution(
        "`filter` gate + `prometheusremotewrite` exporter",
        "Alloy hands OTLP metrics to Prometheus-native components; upstream writes them with one exporter. The "
        "relabel gate in front of it is evaluated when translating (it only tests labels it sets itself). "
        "`start_timestamp_zero_ingestion` and `send_exemplars` have no upstream setting (exemplars are sent "
        "when present); the remote-write WAL is not used (the exporter keeps an in-memory queue).",
        map_prometheus_exporter,
    ),
    "prometheus.relabel": Substitution(
        "folded into the `filter` gate of the exporter above",
        "Its rules only set and test a constant label (the sink switch), so the translator computes the verdict.",
        _nothing,
    ),
    "prometheus.remote_write": Substitution(
        "folded into the `prometheusremotewrite` exporter (+ `basicauth` extension)",
        "endpoint url/headers/remote_timeout, queue capacity and backoff map to the exporter's settings.",
        _nothing,
    ),
    "otelcol.connector.spanlogs": Substitution(
        "`spanlogs` connector of the test collector (collector/otelcol/spanlogs/, not upstream)",
        "Alloy-only: no upstream connector turns spans into log lines. A small connector written from Alloy's "
        "documented behaviour (same arguments, same `span=… dur=…ns … svc=… tid=…` body) stands in for it.",
        _spanlogs,
    ),
    "prometheus.exporter.self": Substitution(
        "the collector's own telemetry (`service.telemetry.metrics`)",
        "Upstream exposes its otelcol_* metrics on a Prometheus endpoint (CCOTEL_TEST_SELF_METRICS_ADDRESS) "
        "instead of scraping itself into the remote-write sink.",
        _nothing,
    ),
    "discovery.relabel": Substitution(
        "none (part of the self-scrape above)", "Only sets job=\"alloy\" on the self-scrape target.", _nothing
    ),
    "prometheus.scrape": Substitution(
        "none (part of the self-scrape above)", "Scrapes Alloy's own metrics; see prometheus.exporter.self.", _nothing
    ),
}


def substitution_rows() -> list[tuple[str, str, str]]:
    """(Alloy component, upstream stand-in, why), in table order."""
    return [(kind, s.upstream, s.why) for kind, s in SUBSTITUTIONS.items()]
