"""One reading of the transcript: the hook's spans and `ccotel report` agree on every session's tokens.

The hook side is the hook's own path, run the way Claude Code drives it (hook_run_support.hook_spans: Stop
after each turn, the mapper restarted from its persisted state each time, subagent files found the hook's
way). The report side is `ccotel report --json`. Per session: calls, tool calls and each token kind, to the
token, on every fixture there is.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hook_run_support import CONFIG_DIRS, hook_spans, sums

from ccotel.commands.main import main


def report_sessions(config_dir: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, dict[str, Any]]:
    assert main(["report", "--projects-dir", str(config_dir / "projects"), "--json", "--no-cache"]) == 0
    report = json.loads(capsys.readouterr().out)
    return {entry["session_id"]: entry for entry in report["sessions"]}


@pytest.mark.parametrize("config_dir", CONFIG_DIRS, ids=lambda path: path.name)
def test_hook_and_report_agree_on_every_session(config_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    reported = report_sessions(config_dir, capsys)
    mains = [path for path in sorted((config_dir / "projects").glob("*/*.jsonl"))
             if not path.name.startswith("agent-")]
    assert mains
    for main_path in mains:
        hooked = sums(hook_spans(main_path, main_path.stem))
        assert hooked["calls"] > 0, main_path.name
        entry = reported[main_path.stem]
        assert {key: entry[key] for key in hooked} == hooked, main_path.name
    assert set(reported) == {path.stem for path in mains}  # no flat subagent file reported as a session
