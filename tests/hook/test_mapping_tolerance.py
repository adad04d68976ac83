"""Bad input never raises and never costs the valid rows around it."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from mapping_support import SessionFiles, all_sessions, check_tree, map_one_shot

from ccotel.hook.mapping import MappingOptions, SessionMapper
from ccotel.hook.transcript import parse_line, split_complete_lines

SESSION_02 = next(s for s in all_sessions() if s.session_id.startswith("55604662"))
SESSION_04 = next(s for s in all_sessions() if s.session_id.startswith("4d5611e5"))

GARBAGE_ROWS: list[Any] = [
    {}, {"type": None}, {"type": 7}, {"type": "unknown-kind", "uuid": "x1"},
    {"type": "assistant"}, {"type": "assistant", "message": "oops"}, {"type": "assistant", "message": None},
    {"type": "assistant", "message": {"id": 5, "content": "text not list", "usage": [1, 2]}, "timestamp": 9},
    {"type": "assistant", "message": {"content": [None, 1, "s", {"type": 3}]}},
    {"type": "user"}, {"type": "user", "message": {"content": [1, None, {"type": "tool_result"}]}},
    {"type": "progress", "data": "x"}, {"type": "progress", "data": {"type": "agent_progress", "agentId": 3}},
    {"type": "system", "subtype": "compact_boundary"}, {"type": "summary", "summary": "t", "leafUuid": None},
]


def _map(session: SessionFiles, main: list[Any], subagents: dict[str, list[Any]]) -> list:
    mapper = SessionMapper(session.session_id, MappingOptions(user_id="tester"))
    mapper.feed("main", main)
    for stem, rows in subagents.items():
        mapper.feed(stem, rows)
    return mapper.collect(final=True)


def test_garbage_rows_between_valid_ones_change_nothing() -> None:
    for session in (SESSION_02, SESSION_04):
        main, subagents = session.rows()
        spiked = [item for row in main for item in (row, GARBAGE_ROWS[len(row) % len(GARBAGE_ROWS)])]
        spiked_subagents = {stem: [*GARBAGE_ROWS, *rows, *GARBAGE_ROWS] for stem, rows in subagents.items()}
        assert _map(session, [*GARBAGE_ROWS, *spiked], spiked_subagents) == map_one_shot(session)


def test_garbage_lines_in_the_byte_stream() -> None:
    raw = SESSION_02.main.read_bytes()
    lines = raw.splitlines()
    noise = [b"not json", b"\xff\xfe\x00garbage", b"[1,2,3]", b'{"type":"user","message":', b"null", b"{}"]
    spiked = b"\n".join(line for pair in zip(lines, noise * len(lines), strict=False) for line in pair) + b"\n"
    complete, rest = split_complete_lines(spiked)
    assert rest == b""
    rows = [row for row in map(parse_line, complete) if row is not None]
    assert _map(SESSION_02, rows, {}) == map_one_shot(SESSION_02)


def test_unknown_subagent_sources_and_bad_meta() -> None:
    main, subagents = SESSION_04.rows()
    mapper = SessionMapper(SESSION_04.session_id, MappingOptions(user_id="tester"))
    mapper.feed("main", main)
    for stem, rows in subagents.items():
        mapper.feed(stem, rows)
    mapper.feed("agent-", GARBAGE_ROWS)
    mapper.feed("journal", GARBAGE_ROWS)
    mapper.feed_meta("a2898e3", {"toolUseId": 5, "agentType": ["x"]})
    mapper.feed_meta("agent-zzz", {"toolUseId": "toolu_nobody"})
    assert mapper.collect(final=True) == map_one_shot(SESSION_04)


def test_a_huge_line_is_cut_and_the_state_stays_small() -> None:
    main, _ = SESSION_02.rows()
    huge = json.loads(json.dumps(main[10]))  # the Bash tool_result line
    huge["message"]["content"][0]["content"] = "y" * 5_000_000
    mapper = SessionMapper(SESSION_02.session_id, MappingOptions(max_content_chars=2000))
    mapper.feed("main", [*main[:10], huge])
    # the tool span's result is cut to its attribute at once; the next call's pending input keeps 100k chars
    assert len(json.dumps(mapper.state)) < 120_000
    spans = mapper.collect(final=True)
    (bash,) = [span for span in spans if span.name == "execute_tool Bash"]
    assert len(bash.attributes["gen_ai.tool.call.result"]) <= 2000
    assert bash.attributes["claude_code.content.gen_ai.tool.call.result.original_chars"] == 5_000_000 + 2
    assert json.loads(bash.attributes["gen_ai.tool.call.result"]).startswith("yyy")


def test_a_result_without_its_call_makes_no_span() -> None:
    main, _ = SESSION_02.rows()
    orphan = {"type": "user", "uuid": "orphan-1", "timestamp": "2026-02-10T21:12:02.000Z", "message": {
        "role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_nobody", "content": "orphan"},
                                    {"type": "tool_result", "content": "no id at all"}]}}
    spans = _map(SESSION_02, [*main[:10], orphan, *main[10:]], {})
    assert [span.name for span in spans] == [span.name for span in map_one_shot(SESSION_02)]


def test_rows_without_timestamps_or_uuids() -> None:
    main, _ = SESSION_02.rows()
    stripped = [{key: value for key, value in row.items() if key not in ("timestamp", "uuid")} for row in main]
    spans = _map(SESSION_02, stripped, {})
    (root,) = [span for span in spans if not span.parent_span_id]
    assert root.name == "invoke_agent claude-code"
    assert "claude_code.prompt.uuid" not in root.attributes  # no uuid on the prompt line: none on the root
    calls = [span for span in spans if span.name.startswith("chat")]
    assert [span.attributes["gen_ai.usage.output_tokens"] for span in calls] == [13]


def test_a_persisted_state_that_is_not_ours_is_replaced() -> None:
    main, _ = SESSION_02.rows()
    for bad in ({"v": 1, "turns": "x"}, {"v": 999}, {"nonsense": True}, None):
        mapper = SessionMapper(SESSION_02.session_id, MappingOptions(user_id="tester"), bad)  # type: ignore[arg-type]
        mapper.feed("main", main)
        assert mapper.collect(final=True) == map_one_shot(SESSION_02)


_SYNTH = next(s for s in all_sessions() if s.session_id.endswith("000000000001"))
_junk = st.one_of(st.none(), st.booleans(), st.integers(-5, 10**12), st.text(max_size=12),
                  st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=5), st.integers(), max_size=3))


def _damage(row: Any, path: list[str], value: Any) -> Any:
    """A deep copy of `row` with the field at `path` (as far as it exists) replaced by `value`."""
    copy = json.loads(json.dumps(row))
    target = copy
    for key in path[:-1]:
        if not isinstance(target, dict) or not isinstance(target.get(key), dict):
            break
        target = target[key]
    if isinstance(target, dict):
        target[path[-1]] = value
    return copy


_PATHS = [["type"], ["uuid"], ["timestamp"], ["isSidechain"], ["isMeta"], ["requestId"], ["toolUseResult"],
          ["message"], ["message", "id"], ["message", "content"], ["message", "usage"], ["message", "model"],
          ["message", "stop_reason"], ["message", "usage", "output_tokens"], ["message", "usage", "cache_creation"],
          ["data"], ["parentToolUseID"], ["cwd"], ["agentId"]]


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_damaged_fields_never_raise(data: st.DataObject) -> None:
    main, subagents = _SYNTH.rows()
    (stem, sub_rows), = subagents.items()
    damaged_main = [
        _damage(row, data.draw(st.sampled_from(_PATHS)), data.draw(_junk)) if data.draw(st.booleans()) else row
        for row in main]
    damaged_sub = [_damage(row, data.draw(st.sampled_from(_PATHS)), data.draw(_junk)) for row in sub_rows]
    mapper = SessionMapper(_SYNTH.session_id, MappingOptions(max_content_chars=100))
    cut = data.draw(st.integers(0, len(damaged_main)))
    mapper.feed("main", damaged_main[:cut])
    mapper.feed(stem, damaged_sub)
    mapper.feed_meta(stem, data.draw(st.dictionaries(st.sampled_from(["toolUseId", "agentType"]), _junk)))
    spans = mapper.collect(turn_closed=data.draw(st.booleans()))
    state = json.loads(json.dumps(mapper.state))
    again = SessionMapper(_SYNTH.session_id, MappingOptions(max_content_chars=100), state)
    again.feed("main", damaged_main[cut:])
    spans += again.collect(final=True)
    check_tree(spans)
