"""`ccotel analyze --langfuse` as a real process against a real HTTP server speaking Langfuse's v2 API shapes.

The observations below are what Langfuse v4 returns for our spans (reference/langfuse-otlp.md §2): type
from gen_ai.operation.name, tool name as the observation name, raw JSON strings as input, usageDetails
with `input` uncached, `input_cached_tokens`, `input_cache_creation`, totalCost from gen_ai.usage.cost.
Expected figures are worked out by hand (prices per million tokens: sonnet-4-5 3/15/0.30/3.75;
haiku-4-5 1/5/0.10/1.25).
"""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO
from report.langfuse_server import FakeLangfuse

CCOTEL = [sys.executable, "-m", "ccotel.commands"]
PK, SK = "pk-lf-test", "sk-lf-test"
SONNET, HAIKU = "claude-sonnet-4-5-20250929", "claude-haiku-4-5-20251001"


def prompt(text: str) -> str:
    return json.dumps([{"role": "user", "parts": [{"type": "text", "content": text}]}])


def obs(
    id_: str,
    trace: str,
    kind: str,
    name: str,
    minute: int,
    parent: str | None = None,
    session: str = "sess-1",
    **extra: Any,
) -> dict[str, Any]:
    start = f"2026-10-01T09:{minute:02d}:00.000Z"
    return {
        "id": id_,
        "traceId": trace,
        "type": kind,
        "name": name,
        "parentObservationId": parent,
        "startTime": start,
        "endTime": start,
        "projectId": "p1",
        "sessionId": session,
        "level": "DEFAULT",
        **extra,
    }


ROOT1 = obs(
    "r1",
    "t1",
    "AGENT",
    "invoke_agent claude-code",
    0,
    input=prompt("Fix the failing test"),
    metadata={"project": "demo", "resourceAttributes": {"service.name": "claude-code"}},
)
CHAT1 = obs(
    "g1",
    "t1",
    "GENERATION",
    f"chat {SONNET}",
    1,
    "r1",
    model=SONNET,
    totalCost=0.01005,
    costDetails={"total": 0.01005},
    usageDetails={
        "input": 100,
        "output": 200,
        "input_cached_tokens": 10_000,
        "input_cache_creation": 1000,
        "total": 11_300,
    },
)
READ1 = obs("u1", "t1", "TOOL", "Read", 2, "r1", input=json.dumps({"file_path": "/p/a.py"}))
EDIT1 = obs(
    "u2",
    "t1",
    "TOOL",
    "Edit",
    3,
    "r1",
    level="ERROR",
    statusMessage="tool_error",
    input=json.dumps({"file_path": "/p/a.py", "old_string": "x", "new_string": "y"}),
)
ROOT2 = obs("r2", "t2", "AGENT", "invoke_agent claude-code", 10, input=prompt("fix the failing test"))
CHAT2 = obs(
    "g2",
    "t2",
    "GENERATION",
    f"chat {SONNET}",
    11,
    "r2",
    model=SONNET,
    totalCost=0.0045,
    costDetails={"total": 0.0045},
    usageDetails={"input": 1000, "output": 100, "total": 1100},
)
TASK = obs("u3", "t2", "TOOL", "Task", 12, "r2", input=json.dumps({"subagent_type": "Explore"}))
AGENT = obs("a1", "t2", "AGENT", "invoke_agent Explore", 13, "u3")
CHAT3 = obs(
    "g3",
    "t2",
    "GENERATION",
    f"chat {HAIKU}",
    14,
    "a1",
    model=HAIKU,
    totalCost=0.0135,
    costDetails={"total": 0.0135},
    usageDetails={"input": 2000, "output": 300, "input_cache_creation": 8000, "total": 10_300},
)
GREP = obs("u4", "t2", "TOOL", "Grep", 15, "a1", input=json.dumps({"pattern": "test"}))
ROOT3 = obs(
    "r3", "t3", "AGENT", "invoke_agent claude-code", 20, session="sess-2", input=prompt("Fix the failing test.")
)
CHAT4 = obs(
    "g4",
    "t3",
    "GENERATION",
    "chat claude-foo-9",
    21,
    "r3",
    session="sess-2",
    model="claude-foo-9",
    totalCost=0,
    costDetails={},
    usageDetails={"input": 10, "output": 10, "total": 20},
)
# three pages; g1 and r2 come back a second time on later pages (v4 does not merge re-sent spans on read)
PAGES = [[ROOT1, CHAT1, READ1, EDIT1], [CHAT1, ROOT2, CHAT2, TASK, AGENT], [CHAT3, GREP, ROOT2, ROOT3, CHAT4]]
METRICS = [
    {
        "providedModelName": SONNET,
        "count_count": 3,
        "sum_totalCost": 0.0246,
        "sum_inputTokens": 12_200,
        "sum_outputTokens": 500,
    }
]


def basic() -> str:
    return "Basic " + base64.b64encode(f"{PK}:{SK}".encode()).decode()


def analyze(host: str, home: Path, *args: str, keys: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HOME": str(home)}
    if keys:
        env.update({"LANGFUSE_PUBLIC_KEY": PK, "LANGFUSE_SECRET_KEY": SK})
    return subprocess.run(
        [*CCOTEL, "analyze", "--langfuse", "--host", host, "--timeout", "5", *args],
        env=env,
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
    )


def test_analyses_from_paginated_observations_with_duplicates(tmp_path: Path) -> None:
    with FakeLangfuse(pages=PAGES, metrics_rows=METRICS, expected_authorization=basic()) as server:
        done = analyze(server.url, tmp_path, "--json", "--since", "2026-10-01", "--until", "2026-10-02")
        requests = list(server.requests)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    listing = [r for r in requests if r.path == "/api/public/v2/observations"]
    assert [r.query.get("cursor") for r in listing] == [None, ["1"], ["2"]]
    assert all(r.authorization == basic() for r in requests if r.path != "/api/public/health")
    assert listing[0].query["fromStartTime"] == ["2026-10-01T00:00:00Z"]
    assert listing[0].query["toStartTime"] == ["2026-10-03T00:00:00Z"]
    assert {"io", "usage", "model"} <= set(listing[0].query["fields"][0].split(","))
    assert any(r.path == "/api/public/v2/metrics" for r in requests)

    source = report["source"]
    assert (source["kind"], source["langfuse_version"], source["observations"]) == (
        "langfuse",
        "4.16.0",
        12,
    )  # 14 served - 2 copies
    assert source["duplicate_observations_dropped"] == 2
    assert source["server_model_totals"][0]["calls"] == 3 and source["server_model_totals"][0]["cost_usd"] == 0.0246

    sessions = {s["session_id"]: s for s in report["sessions"]}
    first = sessions["sess-1"]
    assert (first["project"], first["turns"], first["calls"]) == ("demo", 2, 3)
    assert (first["input_tokens"], first["output_tokens"]) == (100 + 1000 + 2000, 200 + 100 + 300)
    assert (first["cache_read_tokens"], first["cache_creation_tokens"]) == (10_000, 1000 + 8000)
    assert first["cost_usd"] == pytest.approx(0.01005 + 0.0045 + 0.0135)
    second = sessions["sess-2"]
    assert (second["project"], second["cost_usd"], second["unpriced_models"]) == ("(unknown)", None, ["claude-foo-9"])

    analyses = report["analyses"]
    assert analyses["repeated_prompts"] == [{"prompt": "fix the failing test", "count": 3, "sessions": 2}]
    assert analyses["read_before_edit"] == {"edits": 1, "edits_after_read": 1, "pct": 100.0}
    assert analyses["tool_errors"] == [{"tool": "Edit", "errors": 1, "calls": 1, "error_rate": 1.0}]
    assert [(a["agent"], a["runs"], a["calls"], a["cost_usd"]) for a in analyses["subagents"]] == [
        ("Explore", 1, 1, 0.0135)
    ]
    # turn 1 read then edited; turn 2 searched (the subagent's Grep is part of the turn) and edited nothing
    assert analyses["exploration_to_edit"] == {"exploration_turns": 2, "converted_turns": 1, "pct": 50.0}
    # without caching: g1 (11100*3 + 200*15) = 36300, g2 4500, g3 (10000*1 + 300*5) = 11500 per million
    assert report["cache"]["cost_without_cache_usd"] == pytest.approx(0.0523)
    assert report["cache"]["saved_usd"] == pytest.approx(0.0523 - 0.02805)


def test_text_output_names_the_source(tmp_path: Path) -> None:
    with FakeLangfuse(pages=PAGES, metrics_rows=METRICS, expected_authorization=basic()) as server:
        done = analyze(server.url, tmp_path, "--since", "2026-10-01")
    assert done.returncode == 0, done.stderr
    assert "Langfuse 4.16.0 at http://127.0.0.1" in done.stdout and "2 duplicates dropped" in done.stdout
    assert "Repeated prompts" in done.stdout
    assert f"langfuse metrics (not de-duplicated): {SONNET}: 3 calls, $0.0246" in done.stdout


def test_v3_server_by_version_is_refused(tmp_path: Path) -> None:
    with FakeLangfuse(pages=PAGES, version="3.225.4", mode="v3", expected_authorization=basic()) as server:
        done = analyze(server.url, tmp_path)
        listed = [r for r in server.requests if r.path == "/api/public/v2/observations"]
    assert done.returncode == 1 and listed == []
    assert done.stderr.strip().splitlines() == [
        f"ccotel analyze: Langfuse at {server.url} is version 3.225.4: ccotel analyze needs Langfuse v4 "
        "(it reads the v2 observations API, which v3 does not serve)"
    ]


def test_v3_server_without_version_is_refused_on_the_404(tmp_path: Path) -> None:
    with FakeLangfuse(pages=PAGES, version="", mode="v3", expected_authorization=basic()) as server:
        done = analyze(server.url, tmp_path)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "HTTP 404" in lines[0] and "needs Langfuse v4" in lines[0]


def test_auth_failure_is_one_line(tmp_path: Path) -> None:
    with FakeLangfuse(pages=PAGES, expected_authorization="Basic something-else") as server:
        done = analyze(server.url, tmp_path)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"ccotel analyze: Langfuse at {server.url} rejected the API keys (HTTP 401): "
        "check LANGFUSE_PUBLIC_KEY and LANGFUSE_SECRET_KEY"
    ]


def test_missing_keys_and_unreachable_host(tmp_path: Path) -> None:
    done = analyze("http://127.0.0.1:9", tmp_path, keys=False)
    assert done.returncode == 1 and "set LANGFUSE_PUBLIC_KEY and LANGFUSE_SECRET_KEY" in done.stderr
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    done = analyze(f"http://127.0.0.1:{port}", tmp_path)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"ccotel analyze: cannot reach Langfuse at http://127.0.0.1:{port}")
