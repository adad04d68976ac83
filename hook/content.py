"""Transcript content blocks -> GenAI semconv message parts, and truncation that keeps JSON valid. Pure.

Part shapes follow reference/genai-semconv.md §1.5 (TextPart, ReasoningPart, ToolCallRequestPart,
ToolCallResponsePart, GenericPart). Images and documents never carry their bytes: they become
`{"type": "image"|"document", "mime_type": ..., "size_bytes": ...}` placeholders.
"""

from __future__ import annotations

import json

from ccotel.hook import semconv
from ccotel.hook._sha import sha256
from ccotel.hook._typing import Any

JsonValue = Any
_MARK = "…[truncated]"


def _clip(text: str, limit: int | None) -> str:
    return text if limit is None or len(text) <= limit else text[: max(limit - len(_MARK), 0)] + _MARK


def _base64_size(data: Any) -> int | None:
    if not isinstance(data, str):
        return None
    stripped = data.rstrip("=")
    return len(stripped) * 3 // 4


def media_placeholder(block: dict[str, Any], kind: str) -> dict[str, Any]:
    """An image/document block without its bytes: type, media type, decoded size (or the source URL)."""
    part: dict[str, Any] = {"type": kind}
    source = block.get("source")
    if isinstance(source, dict):
        if isinstance(source.get("media_type"), str):
            part["mime_type"] = source["media_type"]
        source_type = source.get("type")
        if source_type == "base64":
            size = _base64_size(source.get("data"))
            if size is not None:
                part["size_bytes"] = size
        elif source_type == "text" and isinstance(source.get("data"), str):
            part["size_bytes"] = len(source["data"].encode("utf-8"))
        elif source_type == "url" and isinstance(source.get("url"), str):
            part["uri"] = source["url"]
    return part


def _result_value(content: Any, limit: int | None) -> JsonValue:
    """A tool_result's content: a string stays a string; block lists become parts."""
    if isinstance(content, str):
        return _clip(content, limit)
    if isinstance(content, list):
        return [part for block in content if (part := block_part(block, limit)) is not None]
    return None


def block_part(block: Any, limit: int | None) -> dict[str, Any] | None:
    """One content block -> one semconv part (strings clipped to `limit` chars, None: whole).

    None for what is not a block (or a tool_result without its tool_use_id)."""
    if not isinstance(block, dict):
        return None
    kind = block.get("type")
    if kind == "text":
        return {"type": "text", "content": _clip(str(block.get("text", "")), limit)}
    if kind == "thinking":
        return {"type": "reasoning", "content": _clip(str(block.get("thinking", "")), limit)}
    if kind == "redacted_thinking":
        return {"type": "reasoning", "redacted": True}
    if kind == "tool_use":
        arguments = block.get("input")
        return {
            "type": "tool_call",
            "id": str(block.get("id", "")),
            "name": str(block.get("name", "")),
            "arguments": clip_value(arguments, limit),
        }
    if kind == "tool_result":
        if not isinstance(block.get("tool_use_id"), str):
            return None  # malformed: nothing to pair it with
        return {
            "type": "tool_call_response",
            "id": str(block.get("tool_use_id", "")),
            "response": _result_value(block.get("content"), limit),
        }
    if kind in ("image", "document"):
        return media_placeholder(block, kind)
    if kind == "tool_reference":
        return {"type": "tool_reference", "name": str(block.get("tool_name", ""))}
    return {"type": kind if isinstance(kind, str) else "unknown"}


def clip_value(value: JsonValue, limit: int | None) -> JsonValue:
    """Clip every string inside a JSON value to `limit` chars (keeps the state small before the final cut)."""
    if isinstance(value, str):
        return _clip(value, limit)
    if isinstance(value, list):
        return [clip_value(item, limit) for item in value]
    if isinstance(value, dict):
        return {str(key): clip_value(item, limit) for key, item in value.items()}
    return value


def tool_result_value(block: dict[str, Any], limit: int | None) -> JsonValue:
    return _result_value(block.get("content"), limit)


def _dumps(value: JsonValue) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _strings(value: JsonValue, found: list[int]) -> None:
    if isinstance(value, str):
        found.append(len(value))
    elif isinstance(value, list):
        for item in value:
            _strings(item, found)
    elif isinstance(value, dict):
        for item in value.values():
            _strings(item, found)


def _cap_strings(value: JsonValue, cap: int) -> JsonValue:
    if isinstance(value, str):
        return value if len(value) <= cap else value[:cap] + _MARK
    if isinstance(value, list):
        return [_cap_strings(item, cap) for item in value]
    if isinstance(value, dict):
        return {key: _cap_strings(item, cap) for key, item in value.items()}
    return value


def _largest_cap(lengths: list[int], budget: int) -> int:
    """Largest per-string cap c such that sum(min(n, c) + mark for n > c) <= budget (-1 if none)."""
    low, high, best = 0, max(lengths, default=0), -1
    while low <= high:
        cap = (low + high) // 2
        used = sum(n if n <= cap else cap + len(_MARK) for n in lengths)
        if used <= budget:
            best, low = cap, cap + 1
        else:
            high = cap - 1
    return best


def truncated_json(value: JsonValue, max_chars: int) -> tuple[str, int, str] | tuple[str, None, None]:
    """JSON text of `value`, at most `max_chars` long and still valid JSON.

    Returns (text, None, None) when it fits, else (cut text, original length, sha256 hex of the
    original UTF-8 text). The cut shortens the longest strings first (each ends with "…[truncated]");
    if the structure alone is too big, the result is a JSON string holding a prefix of the full text.
    """
    full = _dumps(value)
    if len(full) <= max_chars:
        return full, None, None
    digest = sha256(full.encode("utf-8")).hexdigest()
    lengths: list[int] = []
    _strings(value, lengths)
    skeleton = len(_dumps(_cap_strings(value, 0))) - len(_MARK) * sum(1 for n in lengths if n > 0)
    budget = max_chars - skeleton  # in raw characters; escapes make the text longer, the loop corrects
    for _ in range(12):
        cap = _largest_cap(lengths, budget)
        if cap < 0:
            break
        text = _dumps(_cap_strings(value, cap))
        if len(text) <= max_chars:
            return text, len(full), digest
        budget = min(budget - (len(text) - max_chars) - 1, budget * max_chars // len(text))
    prefix_chars = max_chars
    while prefix_chars > 0:
        text = _dumps(full[: max(prefix_chars - len(_MARK), 0)] + _MARK)
        if len(text) <= max_chars:
            return text, len(full), digest
        prefix_chars -= max(len(text) - max_chars, 1)
    return _dumps(""), len(full), digest


def content_attributes(attribute: str, value: JsonValue, max_chars: int) -> dict[str, Any]:
    """{attribute: JSON text} plus, when cut, the original length and sha256 beside it."""
    text, original, digest = truncated_json(value, max_chars)
    attributes: dict[str, Any] = {attribute: text}
    if original is not None:
        attributes[semconv.original_chars_key(attribute)] = original
        attributes[semconv.sha256_key(attribute)] = digest
    return attributes


def merge_messages(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Join consecutive messages of the same role into one (their parts in order)."""
    merged: list[dict[str, Any]] = []
    for message in messages:
        if merged and merged[-1]["role"] == message["role"] and "finish_reason" not in merged[-1]:
            merged[-1] = {"role": message["role"], "parts": merged[-1]["parts"] + message["parts"]}
        else:
            merged.append({"role": message["role"], "parts": list(message["parts"])})
    return merged
