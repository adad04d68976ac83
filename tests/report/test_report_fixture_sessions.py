"""Analyses on the real sample sessions, checked against figures read straight from the files here."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import TRANSCRIPTS

from ccotel.commands.main import main

SUBAGENT_SAMPLE = TRANSCRIPTS / "04-spotter-v2.1.39-subagent-compaction"
SESSION = "4d5611e5-241a-462a-8d15-5122611a9569"


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def deduped_usage(rows: list[dict[str, Any]]) -> dict[str, int]:
    """ccusage's rule, written out again: one usage per (message.id, requestId), the largest total wins."""
    kept: dict[tuple[str, str], dict[str, int]] = {}
    for row in rows:
        usage = row.get("message", {}).get("usage") if row.get("type") == "assistant" else None
        if not usage:
            continue
        key = (row["message"]["id"], row["requestId"])
        total = sum(
            usage.get(k, 0)
            for k in ("input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
        )
        if key not in kept or total > sum(kept[key].values()):
            kept[key] = {
                k: usage.get(k, 0)
                for k in ("input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
            }
    sums = {"calls": len(kept)}
    for usage in kept.values():
        for k, v in usage.items():
            sums[k] = sums.get(k, 0) + v
    return sums


def test_subagent_cost_and_compaction(capsys: pytest.CaptureFixture[str]) -> None:
    project = next((SUBAGENT_SAMPLE / "projects").iterdir())
    main_rows = lines(project / f"{SESSION}.jsonl")
    agent_rows = lines(project / SESSION / "subagents" / "agent-a2898e3.jsonl")
    task_types = [
        block["input"]["subagent_type"]
        for row in main_rows
        if row.get("type") == "assistant"
        for block in row["message"]["content"]
        if isinstance(block, dict) and block.get("type") == "tool_use" and block["name"] == "Task"
    ]
    boundaries = sum(1 for row in main_rows if row.get("subtype") == "compact_boundary")
    expected = deduped_usage(agent_rows)

    assert main(["report", "--projects-dir", str(SUBAGENT_SAMPLE / "projects"), "--json"]) == 0
    analyses = json.loads(capsys.readouterr().out)["analyses"]
    assert task_types == ["Explore"] and boundaries == 1
    assert len(analyses["subagents"]) == 1  # the acompact summarisation call is the main agent's, not a subagent
    explore = analyses["subagents"][0]
    assert (explore["agent"], explore["runs"], explore["calls"]) == ("Explore", 1, expected["calls"])
    assert explore["input_tokens"] == expected["input_tokens"]
    assert explore["output_tokens"] == expected["output_tokens"]
    assert explore["cache_creation_tokens"] == expected["cache_creation_input_tokens"]
    assert explore["cache_read_tokens"] == expected["cache_read_input_tokens"]
    assert explore["cost_usd"] > 0
    assert analyses["compactions"] == {"total": boundaries, "sessions": 1}


def test_tool_errors_match_the_results_marked_is_error(capsys: pytest.CaptureFixture[str]) -> None:
    """Fixture 01: two tool results carry is_error; the hot-spot list names their tools."""
    sample = TRANSCRIPTS / "01-sniffly-v1.0.17-tool-errors"
    rows = lines(next((sample / "projects").iterdir()).joinpath("fed8ce56-bc79-401f-a83e-af084253362f.jsonl"))
    names = {
        block["id"]: block["name"]
        for row in rows
        if row.get("type") == "assistant"
        for block in row["message"]["content"]
        if isinstance(block, dict) and block.get("type") == "tool_use"
    }
    failed: dict[str, int] = {}
    for row in rows:
        content = row.get("message", {}).get("content") if row.get("type") == "user" else None
        for block in content if isinstance(content, list) else []:
            if isinstance(block, dict) and block.get("is_error"):
                failed[names[block["tool_use_id"]]] = failed.get(names[block["tool_use_id"]], 0) + 1
    assert sum(failed.values()) == 2
    assert main(["report", "--projects-dir", str(sample / "projects"), "--json"]) == 0
    errors = json.loads(capsys.readouterr().out)["analyses"]["tool_errors"]
    assert {e["tool"]: e["errors"] for e in errors} == failed
