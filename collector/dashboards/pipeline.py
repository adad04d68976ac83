"""Pipeline health: what Alloy received, sent, failed to send and holds in its queues, per sink; redactions
applied; API calls left unpriced. Alloy's own metrics are scraped every 15 s, so rates and gauges are dense.
"""

from __future__ import annotations

from ccotel.collector.dashboards.panels import (
    PERSON,
    Json,
    bargauge,
    dashboard,
    grid,
    langfuse_variable,
    person_variable,
    prom,
    row,
    stat,
    table,
    timeseries,
)

PER_SINK = "{{component_id}}"


def _total(metric: str, selector: str = "") -> str:
    braces = f"{{{selector}}}" if selector else ""
    return f"sum(increase({metric}{braces}[$__range])) or vector(0)"


def _rate_by_sink(metric: str) -> str:
    return f"sum by (component_id) (rate({metric}[$__rate_interval]))"


def build() -> Json:
    red_above_zero = [{"color": "green", "value": None}, {"color": "red", "value": 1}]
    failed_spans = ("(sum(increase(otelcol_exporter_send_failed_spans_total[$__range])) or vector(0)) + "
                    "(sum(increase(otelcol_exporter_enqueue_failed_spans_total[$__range])) or vector(0))")
    redactions = ("(sum(increase(ccotel_redacted_spans_total[$__range])) or vector(0)) + "
                  "(sum(increase(ccotel_redacted_log_records_total[$__range])) or vector(0))")
    queue_fill = ("max(max by (component_id, data_type) (otelcol_exporter_queue_size) / "
                  "max by (component_id, data_type) (otelcol_exporter_queue_capacity)) or vector(0)")
    panels: list[Json] = [
        row("In the selected range", 0),
        stat("Spans received", [prom(_total("otelcol_receiver_accepted_spans_total"), instant=True)],
             grid(0, 1, 3, 4), decimals=0),
        stat("Spans refused", [prom(_total("otelcol_receiver_refused_spans_total"), instant=True)],
             grid(3, 1, 3, 4), decimals=0, thresholds=red_above_zero,
             description="Pushed back (memory limit, full queue); the hook keeps them in its spool and retries."),
        stat("Spans lost by a sink", [prom(failed_spans, instant=True)], grid(6, 1, 3, 4), decimals=0,
             thresholds=red_above_zero, description="Given up after retries, or no room in a sink's queue."),
        stat("Log records received", [prom(_total("otelcol_receiver_accepted_log_records_total"), instant=True)],
             grid(9, 1, 3, 4), decimals=0),
        stat("Queue fill (fullest sink)", [prom(queue_fill, instant=True)], grid(12, 1, 3, 4),
             unit="percentunit", decimals=1,
             thresholds=[{"color": "green", "value": None}, {"color": "orange", "value": 0.5},
                         {"color": "red", "value": 0.9}]),
        stat("Redactions", [prom(redactions, instant=True)], grid(15, 1, 3, 4), decimals=0,
             description="Spans and log records in which at least one secret was replaced."),
        stat("Unpriced API calls", [prom(_total("ccotel_unpriced_calls_total"), instant=True)],
             grid(18, 1, 3, 4), decimals=0, thresholds=red_above_zero),
        stat("Unhealthy components", [prom(
            'sum(alloy_component_controller_running_components{health_type!="healthy"}) or vector(0)',
            instant=True)], grid(21, 1, 3, 4), decimals=0, thresholds=red_above_zero),

        row("Spans per sink", 5),
        timeseries("Spans received per second", [
            prom("sum(rate(otelcol_receiver_accepted_spans_total[$__rate_interval]))", "accepted"),
            prom("sum(rate(otelcol_receiver_refused_spans_total[$__rate_interval]))", "refused", ref="B"),
        ], grid(0, 6, 8, 8)),
        timeseries("Spans sent per second, by sink", [prom(_rate_by_sink("otelcol_exporter_sent_spans_total"),
                                                           PER_SINK)], grid(8, 6, 8, 8)),
        timeseries("Spans failed per second, by sink", [
            prom(_rate_by_sink("otelcol_exporter_send_failed_spans_total"), "send failed: " + PER_SINK),
            prom(_rate_by_sink("otelcol_exporter_enqueue_failed_spans_total"), "queue full: " + PER_SINK,
                 ref="B"),
        ], grid(16, 6, 8, 8)),
        timeseries("Queued per sink", [prom(
            "max by (component_id, data_type) (otelcol_exporter_queue_size)", "{{component_id}} {{data_type}}")],
            grid(0, 14, 12, 8), description="Batches waiting in each sink's persistent queue; grows while that "
            "sink is down and drains when it is back."),
        timeseries("Log records sent and failed per second, by sink", [
            prom(_rate_by_sink("otelcol_exporter_sent_log_records_total"), "sent: " + PER_SINK),
            prom(_rate_by_sink("otelcol_exporter_send_failed_log_records_total"), "failed: " + PER_SINK,
                 ref="B"),
        ], grid(12, 14, 12, 8)),

        row("Metrics sink (remote write)", 22),
        timeseries("Samples per second", [
            prom("sum(rate(prometheus_remote_storage_samples_total[$__rate_interval]))", "sent"),
            prom("sum(rate(prometheus_remote_storage_samples_retried_total[$__rate_interval]))", "retried",
                 ref="B"),
            prom("sum(rate(prometheus_remote_storage_samples_failed_total[$__rate_interval]))", "failed",
                 ref="C"),
        ], grid(0, 23, 12, 8)),
        timeseries("Samples pending", [prom("sum(prometheus_remote_storage_samples_pending)", "pending")],
                   grid(12, 23, 12, 8)),

        row("Redaction and pricing", 31),
        bargauge("Redacted spans by operation", [prom(
            "sum by (gen_ai_operation_name) (increase(ccotel_redacted_spans_total[$__range]))",
            "{{gen_ai_operation_name}}", instant=True)], grid(0, 32, 12, 8), decimals=0),
        table("Unpriced API calls by model", [prom(
            "sum by (gen_ai_request_model) (increase(ccotel_unpriced_calls_total[$__range]))", instant=True,
            table=True)], grid(12, 32, 12, 8), description="Models missing from the price table: add them to "
            "the price overrides so their calls are priced."),
        row("Who sends", 40),
        bargauge("Spans per person", [prom(
            f"sum by (user_id) (increase(traces_span_metrics_calls_total{{{PERSON}}}[$__range]))", "{{user_id}}",
            instant=True)], grid(0, 41, 12, 8), decimals=0,
            description="Spans the span metrics counted, per person (user.id, CCOTEL_USER_ID): who is sending."),
    ]
    return dashboard("ccotel-pipeline", "ccotel / Pipeline health",
                     "Alloy: received, sent, failed and queued per sink; redactions; unpriced calls.", panels,
                     variables=[person_variable(), langfuse_variable()], time_from="now-24h")
