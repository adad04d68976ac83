"""Attributes per the span contract, checked on concrete lines; expected values worked out by hand from the raw JSON."""

from __future__ import annotations

import calendar
import hashlib
import json

from conftest import TRANSCRIPTS
from mapping_support import SYNTHETIC, SessionFiles, map_one_shot, sessions_in

from ccotel.hook.mapping import MappingOptions
from ccotel.hook.model import Span, StatusCode


def _session(directory: str, prefix: str = "") -> SessionFiles:
    base = TRANSCRIPTS / directory if directory[0].isdigit() else SYNTHETIC / "claude"
    return next(session for session in sessions_in(base) if session.session_id.startswith(prefix))


def _ns(year: int, month: int, day: int, hour: int, minute: int, second: int, millis: int) -> int:
    return calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0)) * 10**9 + millis * 10**6


def _trace(session_id: str, prompt_uuid: str) -> bytes:
    return hashlib.sha256(f"{session_id}\n{prompt_uuid}".encode()).digest()[:16]


def _span_id(trace: bytes, key: str) -> bytes:
    return hashlib.sha256(trace + key.encode()).digest()[:8]


def _named(spans: list[Span], name: str) -> list[Span]:
    return [span for span in spans if span.name == name]


SESSION_02 = "55604662-cf2a-4331-851a-ec234028f8ca"
PROMPT_02 = "7d48cbd2-6615-4dd8-87f6-38f12b8167d6"


def test_chat_span_of_sample_02() -> None:
    """Lines 5-10 of sample 02: one API call (msg_01MKH1…, req_011CY15…) spread over five lines."""
    spans = map_one_shot(_session("02-spotter-v2.1.38-short"))
    (chat,) = _named(spans, "chat claude-opus-4-6")
    trace = _trace(SESSION_02, PROMPT_02)
    assert chat.trace_id == trace
    assert chat.span_id == _span_id(trace, "msg_01MKH1ccEGrZGNPvu8pYiiQa\nreq_011CY15QS2LGwAeBxdfa6e1V")
    assert chat.parent_span_id == _span_id(trace, PROMPT_02)
    assert chat.start_time_unix_nano == _ns(2026, 2, 10, 21, 11, 59, 186)  # first line of the group
    assert chat.end_time_unix_nano == _ns(2026, 2, 10, 21, 12, 1, 669)  # last line of the group
    attributes = chat.attributes
    assert attributes["gen_ai.provider.name"] == "anthropic"
    assert attributes["gen_ai.request.model"] == attributes["gen_ai.response.model"] == "claude-opus-4-6"
    assert attributes["gen_ai.response.id"] == "msg_01MKH1ccEGrZGNPvu8pYiiQa"
    assert attributes["claude_code.request.id"] == "req_011CY15QS2LGwAeBxdfa6e1V"
    assert attributes["gen_ai.usage.input_tokens"] == 3 + 11515 + 13835
    assert attributes["gen_ai.usage.output_tokens"] == 13
    assert attributes["gen_ai.usage.cache_read.input_tokens"] == 11515
    assert attributes["gen_ai.usage.cache_creation.input_tokens"] == 13835
    assert attributes["claude_code.usage.cache_creation.5m_input_tokens"] == 0
    assert attributes["claude_code.usage.cache_creation.1h_input_tokens"] == 13835
    assert attributes["claude_code.usage.inference_geo"] == "not_available"
    assert "gen_ai.response.finish_reasons" not in attributes  # stop_reason is null on every line
    assert json.loads(attributes["gen_ai.input.messages"]) == [
        {"role": "user", "parts": [{"type": "text", "content": "mix phx.server doesnt seem to start"}]}]
    (output,) = json.loads(attributes["gen_ai.output.messages"])
    assert output["role"] == "assistant" and "finish_reason" not in output
    assert [part["type"] for part in output["parts"]] == ["text", "reasoning", "text", "tool_call", "tool_call"]
    assert output["parts"][1]["content"].startswith("The user is having trouble starting their Phoenix server.")
    assert output["parts"][3] == {"type": "tool_call", "id": "toolu_0116Hyi5v8ut7Ffb7d8qV1Sc", "name": "Bash",
                                  "arguments": {"command": "mix phx.server 2>&1 | head -80", "timeout": 30000}}
    assert chat.status_code == StatusCode.UNSET


def test_tool_spans_of_sample_02() -> None:
    spans = map_one_shot(_session("02-spotter-v2.1.38-short"))
    (bash,) = _named(spans, "execute_tool Bash")
    trace = _trace(SESSION_02, PROMPT_02)
    assert bash.span_id == _span_id(trace, "toolu_0116Hyi5v8ut7Ffb7d8qV1Sc")
    assert bash.parent_span_id == _span_id(trace, PROMPT_02)
    assert bash.start_time_unix_nano == _ns(2026, 2, 10, 21, 12, 1, 117)  # the tool_use line
    assert bash.end_time_unix_nano == _ns(2026, 2, 10, 21, 12, 2, 480)  # the tool_result line
    attributes = bash.attributes
    assert attributes["gen_ai.tool.name"] == "Bash"
    assert attributes["gen_ai.tool.call.id"] == "toolu_0116Hyi5v8ut7Ffb7d8qV1Sc"
    assert attributes["gen_ai.tool.type"] == "function"
    assert json.loads(attributes["gen_ai.tool.call.arguments"]) == {"command": "mix phx.server 2>&1 | head -80",
                                                                    "timeout": 30000}
    assert json.loads(attributes["gen_ai.tool.call.result"]).startswith("The user doesn't want to proceed")
    assert bash.status_code == StatusCode.ERROR and attributes["error.type"] == "tool_error"  # is_error: true


def test_root_span_of_sample_02() -> None:
    spans = map_one_shot(_session("02-spotter-v2.1.38-short"), MappingOptions(user_id="marco"))
    (root,) = _named(spans, "invoke_agent claude-code")
    trace = _trace(SESSION_02, PROMPT_02)
    assert (root.trace_id, root.span_id, root.parent_span_id) == (trace, _span_id(trace, PROMPT_02), b"")
    assert root.start_time_unix_nano == _ns(2026, 2, 10, 21, 11, 56, 846)  # the prompt line
    assert root.end_time_unix_nano == _ns(2026, 2, 10, 21, 12, 2, 480)  # the turn's last user/assistant line
    attributes = root.attributes
    assert attributes["gen_ai.operation.name"] == "invoke_agent"
    assert attributes["gen_ai.agent.name"] == "claude-code"
    assert attributes["claude_code.turn.index"] == 1
    assert attributes["claude_code.prompt.uuid"] == PROMPT_02  # the prompt line's uuid
    assert attributes["claude_code.cwd"] == "/home/marco/projects/spotter"
    assert attributes["claude_code.project"] == "spotter"
    assert attributes["vcs.ref.head.name"] == "master"
    assert attributes["claude_code.version"] == "2.1.38"
    assert attributes["claude_code.permission_mode"] == "bypassPermissions"
    assert attributes["user.id"] == "marco"
    assert "claude_code.entrypoint" not in attributes  # 2.1.38 lines have no entrypoint
    assert "gen_ai.usage.input_tokens" not in attributes
    last_text = "Let me check the project structure and try running the server to see the error."
    assert json.loads(attributes["gen_ai.output.messages"]) == [
        {"role": "assistant", "parts": [{"type": "text", "content": last_text}]}]


def test_sample_01_has_no_cache_breakdown() -> None:
    """Claude Code 1.0.17 lines carry no usage.cache_creation: no 5m/1h attributes."""
    spans = map_one_shot(_session("01-sniffly-v1.0.17-tool-errors"))
    chats = [span for span in spans if span.name.startswith("chat")]
    assert chats and all("claude_code.usage.cache_creation.5m_input_tokens" not in span.attributes for span in chats)
    (late,) = [span for span in chats if span.attributes["gen_ai.response.id"] == "msg_01WX61CfSu8G2G7SBbXQriTM"]
    assert late.attributes["gen_ai.usage.output_tokens"] == 273  # the larger of the group's two lines (1, 273)


SESSION_04 = "4d5611e5-241a-462a-8d15-5122611a9569"


def test_subagent_and_compaction_of_sample_04() -> None:
    session = _session("04-spotter-v2.1.39-subagent-compaction")
    spans = map_one_shot(session)
    main, _ = session.rows()
    prompts = [row["uuid"] for row in main if row.get("type") == "user" and isinstance(row["message"]["content"], str)
               and not row.get("isMeta") and not row.get("isCompactSummary")]
    first, second = _trace(SESSION_04, prompts[0]), _trace(SESSION_04, prompts[1])
    (task,) = _named(spans, "execute_tool Task")
    assert task.span_id == _span_id(first, "toolu_017pLRuPHYTX5t99EnLyV53m")
    (agent,) = _named(spans, "invoke_agent Explore")
    assert agent.trace_id == first and agent.parent_span_id == task.span_id
    assert agent.span_id == _span_id(first, "a2898e3")
    assert agent.attributes["gen_ai.agent.name"] == "Explore"
    assert agent.attributes["gen_ai.agent.description"] == "Explore transcript rendering codebase"
    assert agent.attributes["claude_code.agent.id"] == "a2898e3"
    assert json.loads(agent.attributes["gen_ai.input.messages"])[0]["parts"][0]["content"].startswith(
        "Very thorough exploration.")
    assert "gen_ai.usage.input_tokens" not in agent.attributes
    children = [span for span in spans if span.parent_span_id == agent.span_id]
    assert len([span for span in children if span.name == "chat claude-sonnet-4-5-20250929"]) == 12
    assert all(span.trace_id == first for span in children)
    (compaction,) = [span for span in spans
                     if span.attributes.get("gen_ai.response.id") == "msg_013a13makKr7N19Xg6cuFoeK"]
    assert compaction.trace_id == second and compaction.parent_span_id == _span_id(second, prompts[1])
    assert compaction.attributes["claude_code.compaction"] is True
    assert compaction.name == "chat claude-opus-4-6"
    roots = sorted(_named(spans, "invoke_agent claude-code"), key=lambda span: span.start_time_unix_nano)
    assert [root.attributes["claude_code.prompt.kind"] for root in roots] == ["prompt", "prompt", "task_notification"]
    assert [root.attributes["claude_code.prompt.uuid"] for root in roots] == prompts  # the prompt lines' uuids


SYNTH_1 = "5e0c1a7e-0000-4000-8000-000000000001"


def test_synthetic_media_redacted_thinking_mcp_and_meta_link() -> None:
    spans = map_one_shot(_session("synthetic", SYNTH_1))
    trace = _trace(SYNTH_1, "u-0001")
    root = next(span for span in spans if span.span_id == _span_id(trace, "u-0001"))
    assert json.loads(root.attributes["gen_ai.input.messages"]) == [{"role": "user", "parts": [
        {"type": "text", "content": "what is wrong in this screenshot?"},
        {"type": "image", "mime_type": "image/png", "size_bytes": 8}]}]  # "iVBORw0KGgo=" decodes to 8 bytes
    assert root.attributes["claude_code.entrypoint"] == "cli"
    assert root.attributes["claude_code.project"] == "synth"
    (chat,) = [span for span in spans if span.attributes.get("gen_ai.response.id") == "msg_S1"]
    assert chat.attributes["gen_ai.response.finish_reasons"] == ("tool_use",)
    assert chat.attributes["gen_ai.usage.output_tokens"] == 120
    assert chat.attributes["gen_ai.usage.input_tokens"] == 10 + 5000 + 1000
    assert chat.attributes["claude_code.usage.speed"] == "standard"
    assert chat.attributes["claude_code.usage.inference_geo"] == "global"
    assert chat.attributes["claude_code.usage.web_search_requests"] == 0
    (output,) = json.loads(chat.attributes["gen_ai.output.messages"])
    assert output["finish_reason"] == "tool_call"
    assert output["parts"] == [{"type": "reasoning", "redacted": True},
                               {"type": "tool_call", "id": "toolu_S1a", "name": "mcp__github__get_issue",
                                "arguments": {"number": 7}}]
    (mcp,) = _named(spans, "execute_tool mcp__github__get_issue")
    assert mcp.attributes["gen_ai.tool.type"] == "extension"
    assert json.loads(mcp.attributes["gen_ai.tool.call.result"]) == [
        {"type": "text", "content": "issue 7: parser crashes"},
        {"type": "document", "mime_type": "application/pdf", "size_bytes": 9}]  # "JVBERi0xLjQK" = b"%PDF-1.4\n"
    (agent_tool,) = _named(spans, "execute_tool Agent")
    (subagent,) = _named(spans, "invoke_agent general-purpose")  # linked only through the .meta.json toolUseId
    assert subagent.parent_span_id == agent_tool.span_id == _span_id(trace, "toolu_S1b")
    assert subagent.attributes["gen_ai.agent.description"] == "Find the bug"
    assert json.loads(subagent.attributes["gen_ai.output.messages"])[0]["parts"][0]["content"] == \
        "Found it in parser.py line 3."
    grep = _named(spans, "execute_tool Grep")[0]
    assert grep.parent_span_id == subagent.span_id


def test_synthetic_api_error_ends_the_turn_in_error() -> None:
    spans = map_one_shot(_session("synthetic", SYNTH_1))
    trace = _trace(SYNTH_1, "u-0004")
    (error_chat,) = [span for span in spans if span.trace_id == trace and span.parent_span_id]
    assert error_chat.name == "chat"  # model <synthetic>: no real model to name
    assert "gen_ai.request.model" not in error_chat.attributes
    assert error_chat.status_code == StatusCode.ERROR
    assert error_chat.attributes["error.type"] == "overloaded"
    assert error_chat.status_message.startswith("API Error: 529")
    assert error_chat.span_id == _span_id(trace, "3d7a1f0e-5b7e-4c1a-9a57-8f6f0c1d2e3f\n")  # no requestId
    root = next(span for span in spans if span.trace_id == trace and not span.parent_span_id)
    assert root.status_code == StatusCode.ERROR and root.attributes["error.type"] == "overloaded"
    first_root = next(span for span in spans if span.span_id == _span_id(_trace(SYNTH_1, "u-0001"), "u-0001"))
    assert first_root.status_code == StatusCode.UNSET


def test_metadata_mode_drops_content_keeps_tokens() -> None:
    session = _session("04-spotter-v2.1.39-subagent-compaction")
    full = map_one_shot(session)
    bare = map_one_shot(session, MappingOptions(content="metadata", user_id="tester"))
    assert [span.span_id for span in bare] == [span.span_id for span in full]
    content = ("gen_ai.input.messages", "gen_ai.output.messages", "gen_ai.tool.call.arguments",
               "gen_ai.tool.call.result")
    for lean, rich in zip(bare, full, strict=True):
        assert not any(key in lean.attributes for key in content)
        assert {k: v for k, v in rich.attributes.items() if k not in content
                and not k.startswith("claude_code.content.")} == lean.attributes
    assert any("gen_ai.tool.call.result" in span.attributes for span in full)


def test_truncation_keeps_json_and_records_original() -> None:
    session = _session("04-spotter-v2.1.39-subagent-compaction")
    whole = {span.span_id: span for span in map_one_shot(session, MappingOptions(max_content_chars=10**9))}
    cut = map_one_shot(session, MappingOptions(max_content_chars=300))
    truncated = 0
    for span in cut:
        for key, value in span.attributes.items():
            if key in ("gen_ai.input.messages", "gen_ai.output.messages", "gen_ai.tool.call.arguments",
                       "gen_ai.tool.call.result"):
                assert len(value) <= 300
                json.loads(value)
                original = whole[span.span_id].attributes[key]
                if len(original) > 300:
                    truncated += 1
                    assert span.attributes[f"claude_code.content.{key}.original_chars"] == len(original)
                    assert span.attributes[f"claude_code.content.{key}.sha256"] == \
                        hashlib.sha256(original.encode()).hexdigest()
                    assert key in span.attributes["claude_code.content.truncated"]
                else:
                    assert value == original
    assert truncated > 100
