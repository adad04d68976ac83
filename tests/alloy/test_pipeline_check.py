"""The verifier's static check (`ccotel pipeline check`) finds nothing in the repository's Alloy directory."""

from __future__ import annotations

from alloy_support import ALLOY_DIR

from ccotel.collector.pipeline.check import check_directory


def test_pipeline_check_has_no_findings_and_every_env_var_is_documented():
    report = check_directory(ALLOY_DIR, readme=ALLOY_DIR / "README.md")
    assert [str(f) for f in report.findings] == []
    # every variable the config reads is a documented setting (the list the README table gives)
    assert set(report.env_names) == {
        "CCOTEL_OTLP_HTTP_ADDRESS", "CCOTEL_OTLP_GRPC_ADDRESS", "CCOTEL_MEMORY_LIMIT", "CCOTEL_MEMORY_SPIKE_LIMIT",
        "LANGFUSE_BASE_URL", "LANGFUSE_HOST", "LANGFUSE_PUBLIC_KEY", "LANGFUSE_SECRET_KEY",
        "TEMPO_ENDPOINT", "TEMPO_USERNAME", "TEMPO_PASSWORD", "LOKI_ENDPOINT", "LOKI_USERNAME", "LOKI_PASSWORD",
        "PROMETHEUS_REMOTE_WRITE_URL", "PROMETHEUS_USERNAME", "PROMETHEUS_PASSWORD",
    }
    assert all(use.pos.file.endswith("env.alloy") for use in report.env)
