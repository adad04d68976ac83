"""Fixtures for the test collector: the built binary (built here when missing or stale, as `make otelcol` does)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ccotel.collector.otelcol import binary


@pytest.fixture(scope="session")
def otelcol_binary() -> Path:
    return binary.ensure_built()


@pytest.fixture(scope="session")
def ottlfuncs_folder(otelcol_binary: Path) -> Path:
    """The OTTL function sources in the Go module cache the build filled (found before HOME is isolated)."""
    from ottl_string_params import ottlfuncs_dir

    return ottlfuncs_dir()
