"""The Grafana dashboards, built in code from the metric catalogue and the span contract, rendered to JSON."""
