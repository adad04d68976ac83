"""ccotel.collector.otelcol: the test collector (upstream OpenTelemetry Collector) and the alloy/ translator."""
