"""`ccotel report --json` against the outside oracle: ccusage 20.0.24 run on the same files.

Tokens per session and per day must be equal on every sample. Cost per session must equal ccusage's
`--mode calculate` wherever the two pricing rules agree; they differ, by design, only on requests whose
prompt exceeds 200k tokens (sessions D, E, F of the pricing scenarios: ccusage tiers each token kind on
its own and has one flat Opus 4.6 price, the price table applies Anthropic's long-context cliff and dated
prices; see the pricing part of the README), and on the unknown model G, which ccusage reports as $0
(listing it as unpriced) and the report as null.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import PRICING_SCENARIOS, REPO, TRANSCRIPTS

CCOTEL = [sys.executable, "-m", "ccotel.commands"]
SAMPLES = [*sorted(path for path in TRANSCRIPTS.iterdir() if path.is_dir()), PRICING_SCENARIOS / "claude"]
LONG_CONTEXT_SESSIONS = {  # prompt > 200k tokens: the pricing rules differ (ccusage-oracle.md §6)
    "2ca850fc-922d-5528-a705-b8c802a22781",  # D sonnet-4 >200k
    "262976dc-a1fb-518c-a02d-98acdf1bb01d",  # E sonnet-4-5 >200k
    "cfabee6a-c94a-5565-aaa9-c9d4f66c29eb",  # F opus-4-6 >200k, dated prices
}
UNKNOWN_MODEL_SESSION = "eceb775c-42dc-54ef-a0b3-964892518b61"  # G claude-foo-9
TOKEN_KEYS = (
    ("input_tokens", "inputTokens"),
    ("output_tokens", "outputTokens"),
    ("cache_creation_tokens", "cacheCreationTokens"),
    ("cache_read_tokens", "cacheReadTokens"),
)


def run_report(config_dir: str, home: Path) -> dict[str, Any]:
    env = {**os.environ, "HOME": str(home), "CLAUDE_CONFIG_DIR": config_dir}
    done = subprocess.run([*CCOTEL, "report", "--json"], env=env, capture_output=True, text=True, cwd=REPO, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def run_ccusage(ccusage: Path, command: str, config_dir: str, home: Path) -> dict[str, Any]:
    env = {**os.environ, "HOME": str(home), "CLAUDE_CONFIG_DIR": config_dir, "LOG_LEVEL": "0"}
    done = subprocess.run(
        [str(ccusage), "claude", command, "--offline", "--json", "-z", "UTC", "--mode", "calculate"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda path: path.name)
def test_sessions_match_ccusage(sample: Path, ccusage_bin: Path, tmp_path: Path) -> None:
    ours = {s["session_id"]: s for s in run_report(str(sample), tmp_path)["sessions"]}
    theirs = run_ccusage(ccusage_bin, "session", str(sample), tmp_path)["sessions"]
    assert sorted(ours) == sorted(s["sessionId"] for s in theirs)
    for expected in theirs:
        session = ours[expected["sessionId"]]
        assert session["project_dir"] == expected["projectPath"]
        for our_key, their_key in TOKEN_KEYS:
            assert session[our_key] == expected[their_key], (expected["sessionId"], our_key)
        if expected["sessionId"] == UNKNOWN_MODEL_SESSION:
            assert session["cost_usd"] is None and expected["totalCost"] == 0
            assert session["unpriced_models"] == ["claude-foo-9-20990101"]
        elif expected["sessionId"] not in LONG_CONTEXT_SESSIONS:
            assert session["cost_usd"] == pytest.approx(expected["totalCost"], abs=1e-6), expected["sessionId"]


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda path: path.name)
def test_days_match_ccusage(sample: Path, ccusage_bin: Path, tmp_path: Path) -> None:
    ours = {d["date"]: d for d in run_report(str(sample), tmp_path)["days"]}
    theirs = run_ccusage(ccusage_bin, "daily", str(sample), tmp_path)["daily"]
    assert sorted(ours) == sorted(d["date"] for d in theirs)
    for expected in theirs:
        for our_key, their_key in TOKEN_KEYS:
            assert ours[expected["date"]][our_key] == expected[their_key], (expected["date"], our_key)


def test_several_config_dirs_at_once(ccusage_bin: Path, tmp_path: Path) -> None:
    """CLAUDE_CONFIG_DIR may list several directories, comma-separated, as ccusage accepts."""
    joined = ",".join(str(path) for path in SAMPLES[:4])
    report = run_report(joined, tmp_path)
    theirs = run_ccusage(ccusage_bin, "session", joined, tmp_path)
    assert len(report["sessions"]) == len(theirs["sessions"]) == 4
    for our_key, their_key in TOKEN_KEYS:
        assert report["totals"][our_key] == theirs["totals"][their_key]
    assert report["totals"]["cost_usd"] == pytest.approx(theirs["totals"]["totalCost"], abs=1e-6)


def test_resumed_session_repeating_its_history_counts_each_call_once(ccusage_bin: Path, tmp_path: Path) -> None:
    """Older Claude Code wrote a resumed session to a new file that repeats the earlier lines; ccusage
    counts each (message.id, requestId) once across files, and so must the report."""
    from report.cc_lines import Session

    first = Session("11111111-aaaa-4bbb-8ccc-dddddddddddd")
    first.prompt("start the migration")
    first.call(input_tokens=100, output_tokens=50, cache_read=1000)
    first.call(input_tokens=20, output_tokens=70, cache_write_5m=500)
    first.write(tmp_path / "claude")
    resumed = Session("22222222-aaaa-4bbb-8ccc-dddddddddddd", start=first.start.replace(hour=10))
    resumed.lines = [{**line, "sessionId": resumed.session_id} for line in first.lines]
    resumed.prompt("continue the migration")
    resumed.call(input_tokens=7, output_tokens=9, cache_read=3000)
    resumed.write(tmp_path / "claude")

    config = str(tmp_path / "claude")
    report = run_report(config, tmp_path)
    theirs = run_ccusage(ccusage_bin, "session", config, tmp_path)
    assert report["source"]["duplicate_calls_dropped"] == 2
    for our_key, their_key in TOKEN_KEYS:
        assert report["totals"][our_key] == theirs["totals"][their_key], our_key
    ours = {s["session_id"]: s for s in report["sessions"]}
    for expected in theirs["sessions"]:
        for our_key, their_key in TOKEN_KEYS:
            assert ours[expected["sessionId"]][our_key] == expected[their_key], (expected["sessionId"], our_key)
