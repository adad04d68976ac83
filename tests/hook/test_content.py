"""content.py: semconv parts for every block type, placeholders without bytes, truncation that stays JSON."""

from __future__ import annotations

import base64
import hashlib
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from ccotel.hook.content import block_part, content_attributes, merge_messages, truncated_json

LIMIT = 1000


def test_text_thinking_redacted_tool_use_parts() -> None:
    assert block_part({"type": "text", "text": "hi"}, LIMIT) == {"type": "text", "content": "hi"}
    assert block_part({"type": "thinking", "thinking": "hmm", "signature": "sig"}, LIMIT) == {
        "type": "reasoning", "content": "hmm"}
    assert block_part({"type": "redacted_thinking", "data": "opaque"}, LIMIT) == {"type": "reasoning", "redacted": True}
    assert block_part({"type": "tool_use", "id": "toolu_1", "name": "Bash", "input": {"command": "ls"}}, LIMIT) == {
        "type": "tool_call", "id": "toolu_1", "name": "Bash", "arguments": {"command": "ls"}}


def test_tool_result_parts() -> None:
    assert block_part({"type": "tool_result", "tool_use_id": "toolu_1", "content": "ok"}, LIMIT) == {
        "type": "tool_call_response", "id": "toolu_1", "response": "ok"}
    nested = {"type": "tool_result", "tool_use_id": "t", "content": [{"type": "text", "text": "a"},
                                                                      {"type": "tool_reference", "tool_name": "Grep"}]}
    assert block_part(nested, LIMIT)["response"] == [{"type": "text", "content": "a"},
                                                      {"type": "tool_reference", "name": "Grep"}]


def test_media_become_placeholders_without_bytes() -> None:
    png = base64.b64encode(b"\x89PNG\r\n\x1a\n" + bytes(1000)).decode()
    part = block_part({"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": png}}, LIMIT)
    assert part == {"type": "image", "mime_type": "image/png", "size_bytes": 1008}
    pdf = base64.b64encode(b"%PDF-1.4\n").decode()
    part = block_part({"type": "document", "source": {"type": "base64", "media_type": "application/pdf",
                                                      "data": pdf}}, LIMIT)
    assert part == {"type": "document", "mime_type": "application/pdf", "size_bytes": 9}
    part = block_part({"type": "image", "source": {"type": "url", "url": "https://example.com/a.png"}}, LIMIT)
    assert part == {"type": "image", "uri": "https://example.com/a.png"}


def test_unknown_and_broken_blocks() -> None:
    assert block_part({"type": "server_tool_use", "id": "x", "input": {}}, LIMIT) == {"type": "server_tool_use"}
    assert block_part({"no": "type"}, LIMIT) == {"type": "unknown"}
    assert block_part("a string", LIMIT) is None
    assert block_part({"type": "text", "text": None}, LIMIT) == {"type": "text", "content": "None"}


def test_merge_joins_same_role_neighbours() -> None:
    tool = {"role": "tool", "parts": [{"type": "tool_call_response", "id": "a", "response": "1"}]}
    tool2 = {"role": "tool", "parts": [{"type": "tool_call_response", "id": "b", "response": "2"}]}
    user = {"role": "user", "parts": [{"type": "text", "content": "x"}]}
    assert merge_messages([tool, tool2, user]) == [
        {"role": "tool", "parts": tool["parts"] + tool2["parts"]}, user]


def test_small_values_are_not_touched() -> None:
    value = [{"role": "user", "parts": [{"type": "text", "content": "héllo \"quoted\"\n"}]}]
    text, original, digest = truncated_json(value, 1000)
    assert json.loads(text) == value and original is None and digest is None


def test_cut_keeps_json_valid_and_records_the_original() -> None:
    value = [{"role": "tool", "parts": [{"type": "tool_call_response", "id": "t", "response": "x\n\"" * 5000}]}]
    full = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    attributes = content_attributes("gen_ai.input.messages", value, 500)
    text = attributes["gen_ai.input.messages"]
    assert len(text) <= 500
    cut = json.loads(text)
    assert cut[0]["parts"][0]["id"] == "t" and cut[0]["parts"][0]["response"].endswith("…[truncated]")
    assert attributes["claude_code.content.gen_ai.input.messages.original_chars"] == len(full)
    assert attributes["claude_code.content.gen_ai.input.messages.sha256"] == hashlib.sha256(full.encode()).hexdigest()


def test_structure_too_big_for_the_limit_becomes_a_json_string() -> None:
    value = list(range(5000))
    text, original, _ = truncated_json(value, 100)
    assert len(text) <= 100 and isinstance(json.loads(text), str) and json.loads(text).startswith("[0,1,2")
    assert original == len(json.dumps(value, separators=(",", ":")))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=300),
    lambda children: st.lists(children, max_size=6) | st.dictionaries(st.text(max_size=8), children, max_size=6),
    max_leaves=40,
)


@settings(max_examples=300, deadline=None)
@given(value=json_values, limit=st.integers(min_value=20, max_value=400))
def test_any_value_any_limit_gives_valid_json_within_the_limit(value: object, limit: int) -> None:
    text, original, digest = truncated_json(value, limit)
    full = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    assert len(text) <= limit
    json.loads(text)
    if len(full) <= limit:
        assert text == full and original is None
    else:
        assert original == len(full) and digest == hashlib.sha256(full.encode()).hexdigest()
