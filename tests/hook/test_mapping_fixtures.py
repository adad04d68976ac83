"""Every sample session mapped in one shot: shape, ids, parents, and token sums against ccusage 20.0.24."""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path

import pytest
from conftest import PRICING_SCENARIOS, TRANSCRIPTS
from mapping_support import (
    SYNTHETIC,
    SessionFiles,
    all_sessions,
    ccusage_sessions,
    check_tree,
    independent_counts,
    map_one_shot,
    sessions_in,
    token_sums,
)

from ccotel.hook.model import SpanKind

SESSIONS = all_sessions()
# Prompts the person typed, counted by hand in each file (see test_transcript.test_prompts_of_the_samples).
TURNS = {
    "fed8ce56-bc79-401f-a83e-af084253362f": 2, "55604662-cf2a-4331-851a-ec234028f8ca": 1,
    "d6e0bada-1959-4eec-a9d2-0bfade768d8f": 3, "4d5611e5-241a-462a-8d15-5122611a9569": 3,
    "057d5e67-0143-57ea-88cb-46fcd61a43e5": 2, "90764891-8414-5b8c-bae7-85c91744e54a": 1,
    "2ca850fc-922d-5528-a705-b8c802a22781": 1, "db997e02-17a0-59e5-a072-f5aec40a13c3": 1,
    "262976dc-a1fb-518c-a02d-98acdf1bb01d": 1, "cfabee6a-c94a-5565-aaa9-c9d4f66c29eb": 2,
    "eceb775c-42dc-54ef-a0b3-964892518b61": 1, "5e0c1a7e-0000-4000-8000-000000000001": 2,
    "5e0c1a7e-0000-4000-8000-000000000002": 2,
}



@pytest.mark.parametrize("session", SESSIONS, ids=lambda s: s.session_id[:8])
def test_shape_of_every_session(session: SessionFiles) -> None:
    spans = map_one_shot(session)
    by_id = check_tree(spans)
    calls, tools = independent_counts(session)
    kinds = Counter(span.name.split(" ")[0] for span in spans)
    roots = [span for span in spans if not span.parent_span_id]
    subagent_files = [stem for stem in session.subagents if not stem.startswith("agent-acompact")]
    assert len(roots) == TURNS[session.session_id]
    assert kinds["chat"] == calls
    assert kinds["execute_tool"] == tools
    assert kinds["invoke_agent"] == len(roots) + len(subagent_files)
    assert len(spans) == len(roots) + calls + tools + len(subagent_files)
    assert sorted(root.attributes["claude_code.turn.index"] for root in roots) == list(range(1, len(roots) + 1))
    for span in spans:
        operation = span.attributes["gen_ai.operation.name"]
        assert span.name.split(" ")[0] == operation
        assert span.kind == (SpanKind.CLIENT if operation == "chat" else SpanKind.INTERNAL)
        assert span.attributes["session.id"] == session.session_id
        assert span.attributes["gen_ai.conversation.id"] == session.session_id
        assert span.attributes["user.id"] == "tester"
        assert span.attributes["claude_code.project"]
        if operation == "chat" and span.name != "chat":
            assert span.name == f"chat {span.attributes['gen_ai.request.model']}"
        if operation == "execute_tool":
            assert span.name == f"execute_tool {span.attributes['gen_ai.tool.name']}"
        if operation == "invoke_agent" and span.parent_span_id:  # a subagent: under its Task/Agent call
            parent = by_id[span.parent_span_id]
            assert parent.attributes["gen_ai.tool.name"] in ("Task", "Agent")
            assert span.span_id == hashlib.sha256(span.trace_id + span.attributes["claude_code.agent.id"].encode()) \
                .digest()[:8]
        if operation != "invoke_agent" and by_id.get(span.parent_span_id) is not None:
            assert by_id[span.parent_span_id].attributes["gen_ai.operation.name"] == "invoke_agent"


@pytest.mark.parametrize("session", SESSIONS, ids=lambda s: s.session_id[:8])
def test_ids_follow_the_contract_and_repeat(session: SessionFiles) -> None:
    first, second = map_one_shot(session), map_one_shot(session)
    assert first == second
    prompts = {}
    for span in first:
        if not span.parent_span_id:
            prompts[span.trace_id] = span
    main, _ = session.rows()
    prompt_uuids = {hashlib.sha256(f"{session.session_id}\n{row['uuid']}".encode()).digest()[:16]: row["uuid"]
                    for row in main if row.get("type") == "user"}
    for trace_id, root in prompts.items():
        uuid = prompt_uuids[trace_id]  # the trace id is sha256(session id, prompt uuid)[:16]
        assert root.span_id == hashlib.sha256(trace_id + uuid.encode()).digest()[:8]
    for span in first:
        if span.attributes["gen_ai.operation.name"] == "chat" and "claude_code.request.id" in span.attributes:
            key = f"{span.attributes['gen_ai.response.id']}\n{span.attributes['claude_code.request.id']}"
            assert span.span_id == hashlib.sha256(span.trace_id + key.encode()).digest()[:8]
        if span.attributes["gen_ai.operation.name"] == "execute_tool":
            key = span.attributes["gen_ai.tool.call.id"]
            assert span.span_id == hashlib.sha256(span.trace_id + key.encode()).digest()[:8]


CONFIG_DIRS = [*(path for path in sorted(TRANSCRIPTS.iterdir()) if path.is_dir()),
               PRICING_SCENARIOS / "claude", SYNTHETIC / "claude"]


@pytest.mark.parametrize("config_dir", CONFIG_DIRS, ids=lambda path: path.name if path.name != "claude"
                         else path.parent.name)
def test_token_sums_equal_ccusage(config_dir: Path, ccusage_bin: Path, tmp_path: Path) -> None:
    expected = ccusage_sessions(ccusage_bin, config_dir, tmp_path)
    sessions = sessions_in(config_dir)
    assert sorted(expected) == sorted(session.session_id for session in sessions)
    for session in sessions:
        assert token_sums(map_one_shot(session)) == expected[session.session_id], session.session_id
