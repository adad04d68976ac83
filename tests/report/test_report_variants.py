"""`ccotel report` on the transcript variants, against ccusage 20.0.24 where its rule applies, and with no
transcripts at all.

Where the two differ it is on purpose, and the difference is computed here from the raw lines: a cache-write
breakdown that disagrees with its total (ccusage counts the breakdown, ccotel the billed total), and a Task
result's summary standing in for a subagent file that is missing (ccusage cannot see it). ccusage reports a
flat subagent file (`agent-<id>`) and a workflow folder (`wf_<id>`) as sessions of their own; ccotel counts
them in the session that ran them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from conftest import REPO
from hook_run_support import VARIANTS, rows_of
from mapping_support import ccusage_sessions

CCOTEL = [sys.executable, "-m", "ccotel.commands"]
PROJECT = VARIANTS / "projects" / "-home-user-variants"
SPLIT_SESSION = "5e0c1a7e-0000-4000-8000-000000000102"
SUMMARY_SESSION = "5e0c1a7e-0000-4000-8000-000000000105"
OWN_SESSIONS = {"agent-f1a2b3c4": SUMMARY_SESSION, "wf_7c1d2e3f": "5e0c1a7e-0000-4000-8000-000000000107"}


def ccotel(*args: str, home: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environ = {key: value for key, value in os.environ.items() if not key.startswith("CLAUDE_")}
    return subprocess.run([*CCOTEL, *args], env={**environ, "HOME": str(home), **(env or {})}, capture_output=True,
                          text=True, cwd=REPO, timeout=120)


def split_excess(path: Path) -> int:
    """Sum over calls of (cache_creation_input_tokens - the 5m + 1h breakdown) where the two disagree."""
    excess = 0
    for row in rows_of(path):
        usage = row.get("message", {}).get("usage") if row.get("type") == "assistant" else None
        breakdown = (usage or {}).get("cache_creation")
        if breakdown:
            excess += usage["cache_creation_input_tokens"] - sum(breakdown.values())
    return excess


def missing_file_summaries(path: Path) -> dict[str, int]:
    """Usage of Task results whose agent-<id>.jsonl exists nowhere."""
    totals = {"input": 0, "output": 0, "cache_creation": 0, "cache_read": 0}
    for row in rows_of(path):
        result = row.get("toolUseResult")
        if not isinstance(result, dict) or "agentId" not in result:
            continue
        if list(PROJECT.rglob(f"agent-{result['agentId']}.jsonl")):
            continue
        usage = result["usage"]
        totals["input"] += usage["input_tokens"]
        totals["output"] += usage["output_tokens"]
        totals["cache_creation"] += usage["cache_creation_input_tokens"]
        totals["cache_read"] += usage["cache_read_input_tokens"]
    return totals


def test_variants_match_ccusage_where_its_rule_applies(ccusage_bin: Path, tmp_path: Path) -> None:
    oracle: dict[str, dict[str, int]] = {}
    for session_id, figures in ccusage_sessions(ccusage_bin, VARIANTS, tmp_path).items():
        owner = OWN_SESSIONS.get(session_id, session_id)
        merged = oracle.setdefault(owner, dict.fromkeys(figures, 0))
        for key, value in figures.items():
            merged[key] += value
    assert set(OWN_SESSIONS) <= set(ccusage_sessions(ccusage_bin, VARIANTS, tmp_path))
    oracle[SPLIT_SESSION]["cache_creation"] += split_excess(PROJECT / f"{SPLIT_SESSION}.jsonl")
    for key, value in missing_file_summaries(PROJECT / f"{SUMMARY_SESSION}.jsonl").items():
        oracle[SUMMARY_SESSION][key] += value
    assert split_excess(PROJECT / f"{SPLIT_SESSION}.jsonl") == 305803 - 5279
    done = ccotel("report", "--json", "--no-cache", home=tmp_path, env={"CLAUDE_CONFIG_DIR": str(VARIANTS)})
    assert done.returncode == 0, done.stderr
    reported: dict[str, Any] = {
        entry["session_id"]: {"input": entry["input_tokens"], "output": entry["output_tokens"],
                              "cache_read": entry["cache_read_tokens"],
                              "cache_creation": entry["cache_creation_tokens"]}
        for entry in json.loads(done.stdout)["sessions"]
    }
    assert reported == oracle


def test_no_transcripts_is_one_line_saying_where_and_how(tmp_path: Path) -> None:
    projects = tmp_path / "claude" / "projects"
    (projects / "-home-user-empty").mkdir(parents=True)
    (projects / "-home-user-empty" / "notes.txt").write_text("not a transcript\n")
    done = ccotel("report", home=tmp_path, env={"CLAUDE_CONFIG_DIR": str(tmp_path / "claude")})
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.splitlines() == [
        f"ccotel report: no Claude Code transcripts in {projects} (use --projects-dir DIR or set CLAUDE_CONFIG_DIR)"]
    done = ccotel("report", "--json", "--projects-dir", str(projects), home=tmp_path)
    assert done.returncode == 1 and len(done.stderr.splitlines()) == 1 and str(projects) in done.stderr
