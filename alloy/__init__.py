"""ccotel.alloy: the Grafana Alloy configuration, shipped as package data (see README.md here)."""
