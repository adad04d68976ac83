"""Helpers for the mapping tests: the sample sessions as rows, one-shot and incremental mapping, tree checks.

Independent facts (distinct API calls, tool_use ids) are computed here straight from the raw JSON, not
through ccotel's code, so the tests compare the mapper with something it did not produce.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conftest import FIXTURES, PRICING_SCENARIOS, TRANSCRIPTS

from ccotel.hook.mapping import MappingOptions, SessionMapper
from ccotel.hook.model import Span

SYNTHETIC = FIXTURES / "synthetic"


@dataclass(frozen=True)
class SessionFiles:
    session_id: str
    main: Path
    subagents: dict[str, Path]  # file stem "agent-<id>" -> path

    def rows(self) -> tuple[list[dict[str, Any]], dict[str, list[dict[str, Any]]]]:
        return read_rows(self.main), {stem: read_rows(path) for stem, path in self.subagents.items()}

    def metas(self) -> dict[str, dict[str, Any]]:
        found = {}
        for stem, path in self.subagents.items():
            meta = path.with_name(f"{stem}.meta.json")
            if meta.exists():
                found[stem.removeprefix("agent-")] = json.loads(meta.read_text())
        return found


def read_rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_bytes().splitlines() if line.strip()]


def sessions_in(config_dir: Path) -> list[SessionFiles]:
    found = []
    for main in sorted((config_dir / "projects").glob("*/*.jsonl")):
        folder = main.with_suffix("") / "subagents"
        subagents = {path.stem: path for path in sorted(folder.glob("agent-*.jsonl"))}
        found.append(SessionFiles(main.stem, main, subagents))
    return found


def all_sessions() -> list[SessionFiles]:
    dirs = sorted(path for path in TRANSCRIPTS.iterdir() if path.is_dir())
    dirs += [PRICING_SCENARIOS / "claude", SYNTHETIC / "claude"]
    return [session for directory in dirs for session in sessions_in(directory)]


def map_one_shot(session: SessionFiles, options: MappingOptions | None = None) -> list[Span]:
    mapper = SessionMapper(session.session_id, options or MappingOptions(user_id="tester"))
    main, subagents = session.rows()
    mapper.feed("main", main)
    for stem, rows in subagents.items():
        mapper.feed(stem, rows)
    for agent_id, meta in session.metas().items():
        mapper.feed_meta(agent_id, meta)
    return mapper.collect(final=True)


def independent_counts(session: SessionFiles) -> tuple[int, int]:
    """(distinct (message.id, requestId) API calls, distinct tool_use ids) over every file of a session."""
    main, subagents = session.rows()
    calls: set[tuple[Any, Any]] = set()
    tools: set[str] = set()
    for rows in [main, *subagents.values()]:
        for row in rows:
            if row.get("type") != "assistant":
                continue
            calls.add((row["message"]["id"], row.get("requestId")))
            for block in row["message"]["content"]:
                if block.get("type") == "tool_use":
                    tools.add(block["id"])
    return len(calls), len(tools)


def check_tree(spans: list[Span]) -> dict[bytes, Span]:
    """Every parent exists in the same trace; exactly one root per trace; no span id twice."""
    by_id: dict[bytes, Span] = {}
    for span in spans:
        assert span.span_id not in by_id, f"span id twice: {span.name}"
        by_id[span.span_id] = span
    roots = {}
    for span in spans:
        assert len(span.trace_id) == 16 and len(span.span_id) == 8
        assert span.end_time_unix_nano >= span.start_time_unix_nano, span.name
        if span.parent_span_id == b"":
            assert span.trace_id not in roots, "two roots in one trace"
            roots[span.trace_id] = span
            assert span.name == "invoke_agent claude-code"
        else:
            parent = by_id.get(span.parent_span_id)
            assert parent is not None, f"{span.name}: parent missing"
            assert parent.trace_id == span.trace_id
    assert set(roots) == {span.trace_id for span in spans}
    return by_id


def token_sums(spans: list[Span]) -> dict[str, int]:
    sums = {"input": 0, "output": 0, "cache_read": 0, "cache_creation": 0}
    for span in spans:
        attributes = span.attributes
        if not span.name.startswith("chat"):
            assert "gen_ai.usage.input_tokens" not in attributes, span.name
            continue
        cache_read = attributes.get("gen_ai.usage.cache_read.input_tokens", 0)
        cache_creation = attributes.get("gen_ai.usage.cache_creation.input_tokens", 0)
        sums["input"] += attributes.get("gen_ai.usage.input_tokens", 0) - cache_read - cache_creation
        sums["output"] += attributes.get("gen_ai.usage.output_tokens", 0)
        sums["cache_read"] += cache_read
        sums["cache_creation"] += cache_creation
    return sums


def ccusage_sessions(ccusage: Path, config_dir: Path, home: Path) -> dict[str, dict[str, int]]:
    """ccusage 20.0.24 `claude session --offline --json`: session id -> token sums."""
    completed = subprocess.run(
        [str(ccusage), "claude", "session", "--offline", "--json", "-z", "UTC"],
        env={"HOME": str(home), "CLAUDE_CONFIG_DIR": str(config_dir), "PATH": "/usr/bin:/bin"},
        capture_output=True, check=True, timeout=120,
    )
    report = json.loads(completed.stdout)
    return {
        entry["sessionId"]: {"input": entry["inputTokens"], "output": entry["outputTokens"],
                             "cache_read": entry["cacheReadTokens"], "cache_creation": entry["cacheCreationTokens"]}
        for entry in report["sessions"]
    }
