"""Every call from every kind of transcript: the synthetic variants of claude-code-data.md §1.10.

One session per class under tests/fixtures/synthetic/variants (see its README). Expected figures are the
fixture's own round numbers, added up by hand here, never read back from the mapping.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

from hook_run_support import VARIANTS, hook_spans, rows_of, sums
from mapping_support import check_tree
from otlp_sink import OtlpSink
from runtime_support import CCOTEL, hook_env

from ccotel.hook import ingest
from ccotel.hook.mapping import MappingOptions, SessionMapper
from ccotel.hook.model import Span, StatusCode
from ccotel.hook.transcript import parse_line

PROJECT = VARIANTS / "projects" / "-home-user-variants"


def session(number: int) -> Path:
    return PROJECT / f"5e0c1a7e-0000-4000-8000-000000000{number}.jsonl"


def spans_of(number: int) -> list[Span]:
    path = session(number)
    spans = hook_spans(path, path.stem)
    check_tree(spans)
    return spans


def named(spans: list[Span], name: str) -> list[Span]:
    return [span for span in spans if span.name == name]


def by_attribute(spans: list[Span], key: str, value: Any) -> Span:
    (span,) = [span for span in spans if span.attributes.get(key) == value]
    return span


def tokens(spans: list[Span]) -> tuple[int, int, int, int, int]:
    total = sums(spans)
    return (total["calls"], total["input_tokens"], total["output_tokens"], total["cache_creation_tokens"],
            total["cache_read_tokens"])


def test_calls_with_no_prompt_before_them_are_a_turn_of_their_own() -> None:
    spans = spans_of(101)
    assert tokens(spans) == (2, 10 + 4, 40 + 12, 2000, 2000)
    (root,) = [span for span in spans if not span.parent_span_id]
    assert root.attributes["claude_code.prompt.kind"] == "absent"
    assert "claude_code.prompt.uuid" not in root.attributes  # no prompt line: nothing to claim or join on
    assert root.attributes["claude_code.entrypoint"] == "sdk-cli"
    assert len(named(spans, "execute_tool Bash")) == 1
    assert {span.trace_id for span in spans} == {root.trace_id}


def test_the_billed_cache_write_total_wins_and_a_split_that_disagrees_is_flagged() -> None:
    spans = spans_of(102)
    assert tokens(spans) == (3, 10 + 6 + 3, 200 + 90 + 30, 305803 + 0 + 1000, 0 + 305803 + 305803)
    for request in ("req_U1", "req_U2"):  # {0, 0} beside 305,803; {5,279, 0} beside 0
        call = by_attribute(spans, "claude_code.request.id", request)
        assert call.attributes["claude_code.usage.cache_creation.split_mismatch"] is True
        assert "claude_code.usage.cache_creation.5m_input_tokens" not in call.attributes
    consistent = by_attribute(spans, "claude_code.request.id", "req_U3")
    assert consistent.attributes["claude_code.usage.cache_creation.5m_input_tokens"] == 600
    assert consistent.attributes["claude_code.usage.cache_creation.1h_input_tokens"] == 400
    assert "claude_code.usage.cache_creation.split_mismatch" not in consistent.attributes


def test_rows_without_request_id_one_call_per_message_id_largest_total_even_after_stop() -> None:
    path = session(103)
    rows = rows_of(path)
    stop = next(index for index, row in enumerate(rows) if row.get("subtype") == "stop_hook_summary")
    mapper = SessionMapper(path.stem, MappingOptions())
    mapper.feed("main", rows[: stop + 1])
    at_stop = mapper.collect(turn_closed=True)
    # the first call is complete (another call followed it); the second may still get rows: nothing of it yet
    assert [span.attributes.get("gen_ai.response.id") for span in at_stop if span.name.startswith("chat")] == [
        "3f9a0c1e7d2b4a58"]
    assert not [span for span in at_stop if not span.parent_span_id]
    later = SessionMapper(path.stem, MappingOptions(), json.loads(json.dumps(mapper.state)))
    later.feed("main", rows[stop + 1:])
    rest = later.collect(final=True)
    second = by_attribute(rest, "gen_ai.response.id", "3f9a0c1e7d2b4a59")
    assert second.attributes["gen_ai.usage.output_tokens"] == 48  # the row written after Stop
    assert tokens(at_stop + rest) == (3, 900 + 120 + 300, 61 + 48 + 19, 0, 1200 + 2100 + 2200)
    assert tokens(spans_of(103)) == tokens(at_stop + rest)


def test_inline_subagents_of_1_0_keep_every_tool_call_and_nest_under_their_task() -> None:
    spans = spans_of(104)
    rows = rows_of(session(104))
    tool_ids = {block["id"] for row in rows if row["type"] == "assistant"
                for block in row["message"]["content"] if block["type"] == "tool_use"}
    assert tool_ids == {"toolu_T1", "toolu_T2", "toolu_L1", "toolu_G1"}
    assert {span.attributes["gen_ai.tool.call.id"] for span in spans if span.name.startswith("execute_tool")} \
        == tool_ids
    assert tokens(spans)[0] == 6
    by_id = {span.span_id: span for span in spans}
    for task, tool, description in (("toolu_T1", "toolu_G1", "audit a"), ("toolu_T2", "toolu_L1", "audit b")):
        inner = by_id[by_attribute(spans, "gen_ai.tool.call.id", tool).parent_span_id]
        assert inner.name == "invoke_agent general-purpose"
        assert inner.attributes["gen_ai.agent.description"] == description
        assert by_id[inner.parent_span_id].attributes["gen_ai.tool.call.id"] == task


def test_flat_subagent_file_is_opened_by_the_agent_id_its_task_result_names() -> None:
    path = session(105)
    assert ingest.flat_agent_files(str(path), [], []) == {}  # no directory scan
    assert ingest.flat_agent_files(str(path), ["f1a2b3c4", "0dd0dd0d"], []) == {
        "agent-f1a2b3c4": str(PROJECT / "agent-f1a2b3c4.jsonl")}
    spans = spans_of(105)
    by_id = {span.span_id: span for span in spans}
    run = by_attribute(spans, "claude_code.agent.id", "f1a2b3c4")
    assert by_id[run.parent_span_id].attributes["gen_ai.tool.call.id"] == "toolu_F1"
    assert sorted(span.name for span in spans if span.parent_span_id == run.span_id) == [
        "chat claude-haiku-4-5-20251001", "chat claude-haiku-4-5-20251001", "execute_tool Grep"]
    assert "claude_code.agent.summary" not in run.attributes


def test_a_missing_subagent_file_leaves_its_task_results_summary_counted_once() -> None:
    spans = spans_of(105)
    by_id = {span.span_id: span for span in spans}
    summary = by_attribute(spans, "claude_code.agent.id", "0dd0dd0d")
    assert summary.attributes["claude_code.agent.summary"] is True
    assert summary.attributes["gen_ai.agent.name"] == "Explore"
    assert by_id[summary.parent_span_id].attributes["gen_ai.tool.call.id"] == "toolu_F2"
    assert summary.end_time_unix_nano - summary.start_time_unix_nano == 12_000 * 1_000_000  # totalDurationMs
    (call,) = [span for span in spans if span.parent_span_id == summary.span_id]
    assert call.attributes["claude_code.agent.summary"] is True
    assert (call.attributes["gen_ai.usage.input_tokens"], call.attributes["gen_ai.usage.output_tokens"]) == (
        7 + 0 + 2000, 93)
    assert tokens(spans) == (3 + 2 + 1, 12 + 9 + 5 + 30 + 4 + 7, 60 + 40 + 30 + 15 + 18 + 93,
                             4000 + 300 + 1500, 4000 + 4300 + 1500 + 2000)


def test_background_agents_nest_under_their_agent_call_with_their_name() -> None:
    spans = spans_of(106)
    by_id = {span.span_id: span for span in spans}
    for agent_id, tool_id, name in (("a0123456789abcdef", "toolu_BG1", "test-runner"),  # linked by .meta.json
                                    ("a0123456789abcd01", "toolu_BG2", "linter")):  # by the result's text only
        run = by_attribute(spans, "claude_code.agent.id", agent_id)
        assert run.name == f"invoke_agent {name}"
        assert run.attributes["claude_code.agent.background"] is True
        assert by_id[run.parent_span_id].attributes["gen_ai.tool.call.id"] == tool_id
    roots = sorted((span for span in spans if not span.parent_span_id), key=lambda span: span.start_time_unix_nano)
    assert [root.attributes["claude_code.prompt.kind"] for root in roots] == ["prompt", "task_notification"]


def test_workflow_subagents_stay_in_their_session_and_the_journal_is_no_transcript() -> None:
    path = session(107)
    sources = ingest.subagent_files(str(path), path.stem)
    assert list(sources) == ["agent-w0a1b2c3d4e5f6a7b"]
    spans = spans_of(107)
    (root,) = [span for span in spans if not span.parent_span_id]
    run = by_attribute(spans, "claude_code.agent.id", "w0a1b2c3d4e5f6a7b")
    assert run.name == "invoke_agent workflow-subagent" and run.parent_span_id == root.span_id
    assert tokens(spans) == (3, 10 + 5 + 25, 20 + 15 + 11, 2500 + 900, 2500)


def test_another_sessions_id_and_a_torn_line_cost_nothing_but_the_fragment() -> None:
    path = session(108)
    lines = path.read_bytes().splitlines()
    torn = [line for line in lines if line.count(b'{"parentUuid"') == 2]
    assert len(torn) == 1 and parse_line(torn[0])["message"]["content"][0]["tool_use_id"] == "toolu_P1"
    spans = spans_of(108)
    assert tokens(spans) == (3, 30 + 8 + 3, 70 + 120 + 6, 6000 + 500, 6000 + 6500)
    edit = by_attribute(spans, "gen_ai.tool.call.id", "toolu_P1")
    assert "claude_code.tool.result_missing" not in edit.attributes  # its result is on the torn line
    assert "The file has been updated." in str(edit.attributes["gen_ai.tool.call.result"])
    first = by_attribute(spans, "claude_code.request.id", "req_P0")  # the line with the previous session's id
    assert first.attributes["session.id"] == path.stem


def test_what_new_versions_write() -> None:
    spans = spans_of(109)
    errors = sorted((span for span in spans if span.status_code == StatusCode.ERROR),
                    key=lambda span: span.start_time_unix_nano)
    assert [span.name for span in errors] == ["chat", "chat"]
    assert [span.attributes["error.type"] for span in errors] == ["529", "529"]
    assert [span.attributes["claude_code.api_error.retry_attempt"] for span in errors] == [1, 2]
    assert all("gen_ai.usage.input_tokens" not in span.attributes for span in errors)
    assert all(span.status_message == "Overloaded" for span in errors)
    roots = sorted((span for span in spans if not span.parent_span_id), key=lambda span: span.start_time_unix_nano)
    # metadata lines count from where they are written: the title came after the first answer, the PR in turn 2
    assert [root.attributes.get("claude_code.session.title") for root in roots] == [
        None, "Plan the database migration", "Plan the database migration"]
    assert [root.attributes.get("claude_code.pr.url") for root in roots] == [
        None, None, "https://github.com/example/variants/pull/42"]
    assert roots[2].attributes["claude_code.pr.number"] == 42
    assert {root.attributes["claude_code.permission_mode"] for root in roots} == {"plan"}  # permission-mode line
    assert {root.attributes["claude_code.entrypoint"] for root in roots} == {"claude-vscode"}
    assert tokens(spans) == (5, 12 + 6 + 2, 44 + 10 + 8, 3500, 3500 + 3500)


def _sources(number: int) -> dict[str, list[dict[str, Any]]]:
    """main + every subagent file of the session (nested, workflow and flat), as rows."""
    path = session(number)
    files = ingest.subagent_files(str(path), path.stem)
    files.update(ingest.flat_agent_files(str(path), ["f1a2b3c4"], []) if number == 105 else {})
    return {"main": rows_of(path), **{source: rows_of(Path(file)) for source, file in sorted(files.items())}}


def _metas(number: int) -> dict[str, dict[str, Any]]:
    path = session(number)
    found = {}
    for source, file in ingest.subagent_files(str(path), path.stem).items():
        meta = Path(file).with_name(f"{source}.meta.json")
        if meta.exists():
            found[source.removeprefix("agent-")] = json.loads(meta.read_text())
    return found


def _one_shot(number: int, sources: dict[str, list[dict[str, Any]]]) -> list[Span]:
    mapper = SessionMapper(session(number).stem, MappingOptions())
    for source, rows in sources.items():
        mapper.feed(source, rows)
    for agent_id, meta in _metas(number).items():
        mapper.feed_meta(agent_id, meta)
    return mapper.collect(final=True)


def test_every_variant_maps_the_same_read_line_by_line_or_twice() -> None:
    """Read one line per hook run (state persisted between runs, Stop at each stop_hook_summary line), or
    everything twice: the same spans as one shot."""
    for number in range(101, 110):
        sources = _sources(number)
        expected = sorted(_one_shot(number, sources), key=lambda span: span.span_id)
        assert expected
        state: dict[str, Any] | None = None
        emitted: list[Span] = []
        steps = [(source, row) for source, rows in sources.items() for row in rows]
        for index, (source, row) in enumerate(steps):
            mapper = SessionMapper(session(number).stem, MappingOptions(), json.loads(json.dumps(state)) if state
                                   else None)
            mapper.feed(source, [row])
            if index == len(steps) - 1:
                for agent_id, meta in _metas(number).items():
                    mapper.feed_meta(agent_id, meta)
            stop = source == "main" and row.get("subtype") == "stop_hook_summary"  # Claude Code fires Stop
            emitted += mapper.collect(turn_closed=stop, final=index == len(steps) - 1)
            state = mapper.state
        assert sorted(emitted, key=lambda span: span.span_id) == expected, number
        doubled = {source: [row for row in rows for _ in (0, 1)] for source, rows in sources.items()}
        assert sorted(_one_shot(number, doubled), key=lambda span: span.span_id) == expected, number


def test_backfill_as_a_process_sends_what_the_hook_path_maps(tmp_path: Path, otlp_sink: OtlpSink) -> None:
    """The real runtime (ingest: flat files by agentId, workflow folders, sidecars, torn lines) on every
    variant: the spans that arrive are the hook path's, each once."""
    config = tmp_path / "claude"
    shutil.copytree(VARIANTS, config)
    day_old = time.time() - 86400  # finished sessions: backfill closes their last turn
    for path in config.rglob("*.json*"):
        os.utime(path, (day_old, day_old))
    env = hook_env(otlp_sink.endpoint, tmp_path / "state", CCOTEL_USER_ID="tester", CLAUDE_CONFIG_DIR=str(config))
    done = subprocess.run([str(CCOTEL), "backfill"], capture_output=True, text=True, env=env, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr
    expected: dict[str, str] = {}
    for number in range(101, 110):
        expected.update({span.span_id.hex(): span.name for span in spans_of(number)})
    received = {span.span_id: span.name for span in list(otlp_sink.spans)}
    assert received == expected
    assert len(list(otlp_sink.spans)) == len(expected)


def test_a_tool_call_on_a_late_line_of_a_complete_call_is_kept() -> None:
    """Two calls' lines interleaved in one file (A, B, A): A is complete when B starts, its usage stays, but
    the tool call on its late line is exported, with its result."""
    def line(uuid: str, second: int, **fields: Any) -> dict[str, Any]:
        return {"uuid": uuid, "sessionId": "s", "timestamp": f"2026-11-01T10:00:{second:02d}.000Z", **fields}

    def call(uuid: str, second: int, msg: str, block: dict[str, Any], output: int) -> dict[str, Any]:
        return line(uuid, second, type="assistant", requestId=f"req_{msg}", message={
            "id": msg, "model": "claude-sonnet-4-5", "content": [block],
            "usage": {"input_tokens": 1, "output_tokens": output}})

    rows = [line("u0", 0, type="user", message={"role": "user", "content": "go"}),
            call("u1", 1, "msg_A", {"type": "text", "text": "a"}, 5),
            call("u2", 2, "msg_B", {"type": "text", "text": "b"}, 7),
            call("u3", 3, "msg_A", {"type": "tool_use", "id": "toolu_late", "name": "Bash", "input": {}}, 9),
            line("u4", 4, type="user", message={"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "toolu_late", "content": "ok"}]})]
    mapper = SessionMapper("s", MappingOptions())
    mapper.feed("main", rows)
    spans = mapper.collect(final=True)
    tool = by_attribute(spans, "gen_ai.tool.call.id", "toolu_late")
    assert "claude_code.tool.result_missing" not in tool.attributes
    assert by_attribute(spans, "gen_ai.response.id", "msg_A").attributes["gen_ai.usage.output_tokens"] == 5


def test_a_file_of_sidechain_lines_only_keeps_its_calls() -> None:
    """A warm-up run written inline with no prompt and no Task (nothing to hang it on): still exported."""
    rows = [{"type": "user", "isSidechain": True, "uuid": "w0", "parentUuid": None, "sessionId": "s",
             "timestamp": "2026-11-01T10:00:00.000Z", "message": {"role": "user", "content": "Warmup"}},
            {"type": "assistant", "isSidechain": True, "uuid": "w1", "parentUuid": "w0", "sessionId": "s",
             "timestamp": "2026-11-01T10:00:02.000Z", "requestId": "req_W",
             "message": {"id": "msg_W", "model": "claude-haiku-4-5", "content": [{"type": "text", "text": "Ready"}],
                         "usage": {"input_tokens": 3, "output_tokens": 2, "cache_creation_input_tokens": 900}}}]
    mapper = SessionMapper("s", MappingOptions())
    mapper.feed("main", rows)
    spans = mapper.collect(final=True)
    check_tree(spans)
    assert tokens(spans) == (1, 3, 2, 900, 0)
    (root,) = [span for span in spans if not span.parent_span_id]
    assert root.attributes["claude_code.prompt.kind"] == "absent"
    assert sorted(span.name for span in spans) == ["chat claude-haiku-4-5", "invoke_agent", "invoke_agent claude-code"]


def test_a_summary_is_never_joined_by_its_files_calls_later() -> None:
    """The session ended with agent 0dd0dd0d's file missing (summary sent); the file turns up afterwards."""
    path = session(105)
    mapper = SessionMapper(path.stem, MappingOptions())
    mapper.feed("main", rows_of(path))
    mapper.feed("agent-f1a2b3c4", rows_of(PROJECT / "agent-f1a2b3c4.jsonl"))
    first = mapper.collect(final=True)
    assert by_attribute(first, "claude_code.agent.id", "0dd0dd0d").attributes["claude_code.agent.summary"] is True
    late = SessionMapper(path.stem, MappingOptions(), json.loads(json.dumps(mapper.state)))
    row = {"type": "assistant", "isSidechain": True, "agentId": "0dd0dd0d", "uuid": "late-1", "sessionId": path.stem,
           "timestamp": "2026-11-22T10:00:50.000Z", "requestId": "req_late",
           "message": {"id": "msg_late", "model": "claude-haiku-4-5", "content": [{"type": "text", "text": "x"}],
                       "usage": {"input_tokens": 7, "output_tokens": 93, "cache_read_input_tokens": 2000}}}
    late.feed("agent-0dd0dd0d", [row])
    assert late.collect(final=True) == []
