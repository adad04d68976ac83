"""Incremental mapping: any chunking, any re-read, the same spans as one shot, each exactly once."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mapping_support import SYNTHETIC, SessionFiles, all_sessions, check_tree, map_one_shot, sessions_in

from ccotel.hook.mapping import MappingOptions, SessionMapper
from ccotel.hook.model import Span
from ccotel.hook.transcript import timestamp_ns

OPTIONS = MappingOptions(user_id="tester")
SESSIONS = all_sessions()
ONE_SHOT = {session.session_id: map_one_shot(session) for session in SESSIONS}


def _resumed(session: SessionFiles, state: dict[str, Any] | None) -> SessionMapper:
    """A new mapper from a state that went through JSON, as the runtime persists it."""
    return SessionMapper(session.session_id, OPTIONS, json.loads(json.dumps(state)) if state else None)


def _fed_up_to(rows: list[dict[str, Any]], moment: int | None) -> int:
    """How many leading rows of a subagent file were written by `moment` (rows carry their own time)."""
    count = 0
    for row in rows:
        ts = timestamp_ns(row)
        if moment is not None and ts is not None and ts > moment:
            break
        count += 1
    return count


def map_in_chunks(session: SessionFiles, cuts: list[int], stops: set[int] = frozenset()) -> list[Span]:
    """Feed the main file in chunks ending at `cuts`, each subagent file up to the time the main file
    has reached, collect after each chunk (turn_closed at `stops`), restart from the state each time."""
    main, subagents = session.rows()
    metas = session.metas()
    emitted: list[Span] = []
    state: dict[str, Any] | None = None
    done = dict.fromkeys(subagents, 0)
    position = 0
    for cut in [*sorted(set(cuts)), len(main)]:
        mapper = _resumed(session, state)
        mapper.feed("main", main[position:cut])
        moments = [ts for row in main[:cut] if (ts := timestamp_ns(row)) is not None]
        reached = max(moments) if moments else None
        final = cut == len(main)
        for stem, rows in subagents.items():
            upto = len(rows) if final else _fed_up_to(rows, reached)
            mapper.feed(stem, rows[done[stem]:upto])
            done[stem] = upto
            if stem.removeprefix("agent-") in metas:
                mapper.feed_meta(stem.removeprefix("agent-"), metas[stem.removeprefix("agent-")])
        emitted += mapper.collect(turn_closed=cut in stops, final=final)
        state = mapper.state
        position = cut
    return emitted


def _same(emitted: list[Span], expected: list[Span]) -> None:
    check_tree(emitted)  # also: no span id twice
    key = lambda span: span.span_id  # noqa: E731
    assert sorted(emitted, key=key) == sorted(expected, key=key)


def _stop_points(session: SessionFiles) -> list[int]:
    """Indexes just after each turn's end, where Claude Code fires Stop (its stop_hook_summary line)."""
    main, _ = session.rows()
    return [index + 1 for index, row in enumerate(main) if row.get("subtype") == "stop_hook_summary"]


def test_one_chunk_per_line_everywhere() -> None:
    for session in SESSIONS:
        main, _ = session.rows()
        _same(map_in_chunks(session, list(range(1, len(main)))), ONE_SHOT[session.session_id])


def test_stop_at_each_turn_end_like_the_hook() -> None:
    for session in SESSIONS:
        stops = _stop_points(session)
        _same(map_in_chunks(session, stops, set(stops)), ONE_SHOT[session.session_id])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_chunks(data: st.DataObject) -> None:
    session = data.draw(st.sampled_from(SESSIONS), label="session")
    main, _ = session.rows()
    cuts = data.draw(st.lists(st.integers(min_value=0, max_value=len(main)), max_size=12), label="cuts")
    _same(map_in_chunks(session, cuts), ONE_SHOT[session.session_id])


def test_reading_everything_again_emits_nothing() -> None:
    for session in SESSIONS:
        main, subagents = session.rows()
        mapper = SessionMapper(session.session_id, OPTIONS)
        mapper.feed("main", main[: len(main) // 2])
        first = mapper.collect()
        again = _resumed(session, mapper.state)  # the transcript shrank or was replaced: read from 0
        again.feed("main", main)
        for stem, rows in subagents.items():
            again.feed(stem, rows)
            again.feed(stem, rows)
        for agent_id, meta in session.metas().items():
            again.feed_meta(agent_id, meta)
        second = again.collect(final=True)
        _same(first + second, ONE_SHOT[session.session_id])
        third = _resumed(session, again.state)
        third.feed("main", main)
        for stem, rows in subagents.items():
            third.feed(stem, rows)
        assert third.collect(final=True) == []


def test_duplicate_lines_and_resumed_copies_count_once() -> None:
    """Every line written twice in place (same uuids), as a resumed session can do."""
    for session in SESSIONS:
        main, subagents = session.rows()
        mapper = SessionMapper(session.session_id, OPTIONS)
        mapper.feed("main", [row for row in main for _ in (0, 1)])
        for stem, rows in subagents.items():
            mapper.feed(stem, [row for row in rows for _ in (0, 1)])
        for agent_id, meta in session.metas().items():
            mapper.feed_meta(agent_id, meta)
        _same(mapper.collect(final=True), ONE_SHOT[session.session_id])


def test_background_subagent_finishes_after_its_turn() -> None:
    """Synthetic session 2: the Agent result arrives at launch; the subagent file completes after Stop."""
    (session,) = [s for s in sessions_in(SYNTHETIC / "claude") if s.session_id.endswith("000000000002")]
    main, subagents = session.rows()
    (stem,) = subagents
    rows = subagents[stem]
    mapper = SessionMapper(session.session_id, OPTIONS)
    mapper.feed("main", main[:4])  # the first turn, up to "Started the audit."
    mapper.feed(stem, rows[:2])  # the subagent's prompt and its first call (a Read)
    at_stop = mapper.collect(turn_closed=True)
    names = sorted(span.name for span in at_stop)
    assert names == ["chat claude-sonnet-4-6", "chat claude-sonnet-4-6", "execute_tool Agent",
                     "invoke_agent claude-code"]
    agent_tool = next(span for span in at_stop if span.name == "execute_tool Agent")
    assert len(json.dumps(mapper.state)) < 4000
    later = _resumed(session, mapper.state)
    later.feed(stem, rows[2:])  # SubagentStop: the rest of the subagent file
    at_subagent_stop = later.collect()
    assert sorted(span.name for span in at_subagent_stop) == [
        "chat claude-haiku-4-5-20251001", "chat claude-haiku-4-5-20251001", "execute_tool Read",
        "invoke_agent Explore"]
    subagent = next(span for span in at_subagent_stop if span.name == "invoke_agent Explore")
    assert subagent.trace_id == agent_tool.trace_id and subagent.parent_span_id == agent_tool.span_id
    assert all(span.parent_span_id == subagent.span_id for span in at_subagent_stop if span is not subagent)
    last = _resumed(session, later.state)
    last.feed("main", main[4:])
    rest = last.collect(turn_closed=True)
    _same(at_stop + at_subagent_stop + rest, ONE_SHOT[session.session_id])


def test_turn_closed_closes_only_the_current_turn() -> None:
    (session,) = [s for s in SESSIONS if s.session_id.startswith("057d5e67")]  # two turns, no tools
    main, _ = session.rows()
    mapper = SessionMapper(session.session_id, OPTIONS)
    mapper.feed("main", main[:2])
    assert mapper.collect() == []  # the call may still get lines, the turn may go on
    closed = mapper.collect(turn_closed=True)
    assert sorted(span.name for span in closed) == ["chat claude-sonnet-4-5-20250929", "invoke_agent claude-code"]
    assert mapper.last_assistant_text() is not None
    late = _resumed(session, mapper.state)
    late.feed("main", main[2:])
    rest = late.collect()
    # msg_A2, msg_A3, msg_A4 and (msg_A5, req_A5a); the retry (msg_A5, req_A5b) may still get lines
    assert sorted(span.attributes["claude_code.request.id"] for span in rest) == ["req_A2", "req_A3", "req_A4",
                                                                                  "req_A5a"]
    final = late.collect(final=True)
    assert sorted(span.name for span in final) == ["chat claude-sonnet-4-5-20250929", "invoke_agent claude-code"]
    root = next(span for span in final if not span.parent_span_id)
    assert root.attributes["claude_code.turn.index"] == 2


WITH_SUBAGENTS = [session for session in SESSIONS if session.subagents]


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.large_base_example, HealthCheck.data_too_large])
@given(data=st.data())
def test_each_file_read_in_its_own_random_chunks(data: st.DataObject) -> None:
    """Subagent files read ahead of or behind the main file, in any steps (the runtime reads them one by one)."""
    session = data.draw(st.sampled_from(WITH_SUBAGENTS), label="session")
    main, subagents = session.rows()
    sources = [("main", main), *subagents.items()]
    done = dict.fromkeys([name for name, _ in sources], 0)
    emitted: list[Span] = []
    state: dict[str, Any] | None = None
    while any(done[name] < len(rows) for name, rows in sources):
        mapper = _resumed(session, state)
        for name, rows in sources:
            upto = min(len(rows), done[name] + data.draw(st.integers(1, max(1, len(rows) // 3))))
            mapper.feed(name, rows[done[name]:upto])
            done[name] = upto
        for agent_id, meta in session.metas().items():
            mapper.feed_meta(agent_id, meta)
        emitted += mapper.collect()
        state = mapper.state
    emitted += _resumed(session, state).collect(final=True)
    _same(emitted, ONE_SHOT[session.session_id])


def test_a_turn_that_goes_on_after_stop_keeps_every_span() -> None:
    """A Stop hook that blocks makes Claude go on after Stop: later calls still hang under the turn's root."""
    for session in SESSIONS:
        main, _ = session.rows()
        early = [index for index, row in enumerate(main) if row.get("type") == "assistant"][1::3]
        stops = set(early) | set(_stop_points(session))
        emitted = map_in_chunks(session, sorted(stops), stops)
        check_tree(emitted)
        expected = ONE_SHOT[session.session_id]
        assert sorted(span.span_id for span in emitted) == sorted(span.span_id for span in expected)
        by_id = {span.span_id: span for span in expected}
        for span in emitted:  # tools finished before the (artificially early) Stop are unchanged
            if span.name.startswith("execute_tool") and "claude_code.tool.result_missing" not in span.attributes:
                assert span == by_id[span.span_id]
