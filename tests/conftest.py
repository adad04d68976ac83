"""Shared test fixtures: an isolated HOME, the sample transcripts, a real OTLP endpoint, the ccusage oracle."""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from otlp_sink import OtlpSink

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures"
TRANSCRIPTS = FIXTURES / "transcripts"
PRICING_SCENARIOS = FIXTURES / "pricing-scenarios"
CCUSAGE = Path(os.environ.get("CCOTEL_CCUSAGE", REPO / "tests" / ".oracle" / "node_modules" / ".bin" / "ccusage"))


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No test reads or writes the real ~/.claude or ~/.ccotel, nor inherits ccotel settings."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for name in list(os.environ):
        if name.startswith(("CCOTEL_", "CLAUDE_", "OTEL_", "LANGFUSE_")):
            monkeypatch.delenv(name, raising=False)
    return home


@pytest.fixture
def otlp_sink() -> Iterator[OtlpSink]:
    with OtlpSink() as sink:
        yield sink


@pytest.fixture
def ccusage_bin() -> Path:
    """The pinned ccusage 20.0.24 (installed by the README's test command). Missing is a failure, not a skip."""
    if not CCUSAGE.exists():
        pytest.fail(f"ccusage oracle not installed at {CCUSAGE}: run the README's test command (make test)")
    return CCUSAGE


def copy_config_dir(sample: Path, destination: Path) -> Path:
    """Copy a sample laid out as a CLAUDE_CONFIG_DIR, so a test may append to or damage its files."""
    shutil.copytree(sample, destination)
    return destination


def free_port() -> int:
    """A loopback TCP port nothing listens on right now (for the real servers the tests start)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
