"""`ccotel analyze --langfuse`: the per-person breakdown and `--write-scores`, against the test Langfuse API server.

Scores go through the langfuse SDK over real HTTP (POST /api/public/scores, a JSON list of score objects as
Langfuse's public API documents them). Expected values by hand:
- sess-a (alice): cache read 3,000 of 1,000 + 3,000 + 1,000 prompt tokens -> hit ratio 0.6; 1 of 3 tool calls
  failed -> 0.333333; $0.0123 over 2 edits -> 0.00615 per edit; 1 turn.
- sess-b (bob): no cache read -> 0.0; 0 of 1 tool call failed -> 0.0; no edit -> no cost-per-edit score; 1 turn.
- sess-c (no user): no tool call and no edit -> only the hit ratio (0.0) and turns (1).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from report.langfuse_server import FakeLangfuse
from report.test_analyze_langfuse import SONNET, analyze, basic, obs, prompt


def user_obs(*args: Any, user: str | None, **extra: Any) -> dict[str, Any]:
    observation = obs(*args, **extra)
    if user:
        observation["userId"] = user
    return observation


def chat(id_: str, trace: str, minute: int, parent: str, session: str, user: str | None, cost: float,
         usage: dict[str, int]) -> dict[str, Any]:
    return user_obs(id_, trace, "GENERATION", f"chat {SONNET}", minute, parent, session=session, user=user,
                    model=SONNET, totalCost=cost, costDetails={"total": cost}, usageDetails=usage)


ALICE = [
    user_obs("ra", "ta", "AGENT", "invoke_agent claude-code", 0, session="sess-a", user="alice",
             input=prompt("refactor the parser module")),
    chat("ga", "ta", 1, "ra", "sess-a", "alice", 0.0123,
         {"input": 1000, "output": 100, "input_cached_tokens": 3000, "input_cache_creation": 1000}),
    user_obs("ua", "ta", "TOOL", "Read", 2, "ra", session="sess-a", user="alice",
             input=json.dumps({"file_path": "/p/parser.py"})),
    user_obs("ub", "ta", "TOOL", "Edit", 3, "ra", session="sess-a", user="alice",
             input=json.dumps({"file_path": "/p/parser.py"})),
    user_obs("uc", "ta", "TOOL", "Edit", 4, "ra", session="sess-a", user="alice", level="ERROR",
             statusMessage="tool_error", input=json.dumps({"file_path": "/p/parser.py"})),
]
BOB = [
    user_obs("rb", "tb", "AGENT", "invoke_agent claude-code", 10, session="sess-b", user="bob",
             input=prompt("where is the config loaded")),
    chat("gb", "tb", 11, "rb", "sess-b", "bob", 0.00045, {"input": 100, "output": 10}),
    user_obs("ud", "tb", "TOOL", "Grep", 12, "rb", session="sess-b", user="bob", input=json.dumps({"pattern": "x"})),
]
NOBODY = [
    user_obs("rc", "tc", "AGENT", "invoke_agent claude-code", 20, session="sess-c", user=None,
             input=prompt("hello there")),
    chat("gc", "tc", 21, "rc", "sess-c", None, 0.0003, {"input": 100}),
]
PAGES = [ALICE + BOB, NOBODY]
WINDOW = ("--since", "2026-10-01", "--until", "2026-10-02")


def values(scores: dict[str, dict[str, Any]]) -> dict[tuple[str, str], float]:
    return {(score["sessionId"], score["name"]): score["value"] for score in scores.values()}


def test_team_breakdown_per_person(tmp_path: Path) -> None:
    with FakeLangfuse(pages=PAGES, expected_authorization=basic()) as server:
        done = analyze(server.url, tmp_path, "--json", *WINDOW)
        posted = [r for r in server.requests if r.path == "/api/public/scores"]
    assert done.returncode == 0, done.stderr
    assert posted == []  # no scores without --write-scores
    team = json.loads(done.stdout)["team"]
    assert [person["user_id"] for person in team] == ["alice", "bob", "(no user)"]  # most expensive first
    alice, bob, nobody = team
    assert (alice["totals"]["sessions"], alice["totals"]["calls"], alice["totals"]["cost_usd"]) == (1, 1, 0.0123)
    assert alice["cache"]["hit_ratio"] == 0.6
    assert alice["analyses"]["tool_errors"] == [{"tool": "Edit", "errors": 1, "calls": 2, "error_rate": 0.5}]
    assert alice["analyses"]["read_before_edit"] == {"edits": 2, "edits_after_read": 2, "pct": 100.0}
    assert [m["model"] for m in alice["models"]] == [SONNET]
    assert (bob["totals"]["input_tokens"], bob["totals"]["output_tokens"]) == (100, 10)
    assert bob["totals"]["cost_usd"] == 0.00045
    assert bob["analyses"]["tool_categories"][0] == {"category": "read/search", "calls": 1, "pct": 100.0}
    assert nobody["totals"]["sessions"] == 1 and nobody["analyses"]["tools"] == []


def test_team_breakdown_in_text_and_html(tmp_path: Path) -> None:
    page = tmp_path / "team.html"
    with FakeLangfuse(pages=PAGES, expected_authorization=basic()) as server:
        done = analyze(server.url, tmp_path, *WINDOW, "--html", str(page))
    assert done.returncode == 0, done.stderr
    html = page.read_text(encoding="utf-8")
    team = html[html.index('<h2 id="team">') :]
    assert team.index("<h3>alice</h3>") < team.index("<h3>bob</h3>") < team.index("<h3>(no user)</h3>")
    section = done.stdout[done.stdout.index("By person (Langfuse user id)") :]
    rows = [line.split() for line in section.splitlines()[4:7]]  # title, rule, headers, dashes
    assert [row[0] for row in rows] == ["alice", "bob", "(no"]
    assert "Person: alice" in section and "Person: bob" in section and "$0.0123" in section


def test_write_scores_is_idempotent(tmp_path: Path) -> None:
    with FakeLangfuse(pages=PAGES, expected_authorization=basic()) as server:
        first = analyze(server.url, tmp_path, "--json", "--write-scores", *WINDOW)
        after_first = dict(server.scores)
        second = analyze(server.url, tmp_path, "--json", "--write-scores", *WINDOW)
        posts = [r for r in server.requests if r.path == "/api/public/scores"]
        stored = dict(server.scores)
    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    assert "wrote 9 scores" in first.stderr
    assert values(stored) == {
        ("sess-a", "ccotel.cache_hit_ratio"): 0.6,
        ("sess-a", "ccotel.tool_error_rate"): pytest.approx(1 / 3, abs=1e-6),
        ("sess-a", "ccotel.cost_per_edit"): pytest.approx(0.00615, abs=1e-9),
        ("sess-a", "ccotel.turns"): 1.0,
        ("sess-b", "ccotel.cache_hit_ratio"): 0.0,
        ("sess-b", "ccotel.tool_error_rate"): 0.0,
        ("sess-b", "ccotel.turns"): 1.0,
        ("sess-c", "ccotel.cache_hit_ratio"): 0.0,
        ("sess-c", "ccotel.turns"): 1.0,
    }
    assert stored == after_first  # the rerun replaced the same 9 scores by id, it added none
    assert len(posts) == 2 and [s["id"] for s in posts[0].body] == [s["id"] for s in posts[1].body]
    assert all(r.authorization == basic() for r in posts)
    for score in posts[0].body:  # the documented shape: a NUMERIC score on a session, with an id
        assert score["dataType"] == "NUMERIC" and isinstance(score["value"], float)
        assert set(score) == {"id", "sessionId", "name", "value", "dataType", "comment"}


def test_rejected_scores_are_one_readable_line(tmp_path: Path) -> None:
    with FakeLangfuse(pages=PAGES, expected_authorization=basic(), reject_scores="value: out of range") as server:
        done = analyze(server.url, tmp_path, "--write-scores", *WINDOW)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"ccotel analyze: Langfuse at {server.url} rejected 9 of 9 scores (first: value: out of range)"
    ]
