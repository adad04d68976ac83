"""The derived-metric catalogue (metrics.yaml), Prometheus naming, and the Alloy metrics module renderer."""
