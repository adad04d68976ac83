"""Fixtures shared by the report's tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private CCOTEL_STATE_DIR for the test: where the report keeps its store."""
    state = tmp_path / "state"
    monkeypatch.setenv("CCOTEL_STATE_DIR", str(state))
    return state
