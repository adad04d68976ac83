"""Transcript lines -> rows, and tolerant accessors for the fields the mapping reads. Pure, stdlib only.

Facts behind these helpers: reference/claude-code-data.md §1 (line types, user-line kinds, usage copies).
Nothing here raises on bad input: a row is whatever `json.loads` gave for one line, and every accessor
checks types before it trusts a field.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

from ccotel.hook._typing import Any

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
NO_PROMPT = "noprompt:"  # + the uuid of its first line: the key of a turn whose prompt is not in the file
NO_PROMPT_KIND = "absent"  # claude_code.prompt.kind of such a turn
INLINE_AGENT = "sidechain-"  # + the uuid of its first line: the id of a 1.0.x subagent run inline in the main file

# User lines Claude Code writes itself that look like typed text (claude-code-data.md §1.3, fixtures 01-03).
_NOT_PROMPT_PREFIXES = (
    "[Request interrupted by user",
    "<local-command-stdout>",
    "<local-command-stderr>",
)


def split_complete_lines(buffer: bytes) -> tuple[list[bytes], bytes]:
    """Split a read buffer into complete lines (without b"\\n") and the trailing partial line.

    Empty lines are dropped. The partial line is what follows the last b"\\n" (b"" if the buffer ends
    with one); the caller keeps it and prepends it to the next read.
    """
    cut = buffer.rfind(b"\n")
    if cut < 0:
        return [], buffer
    lines = [line.rstrip(b"\r") for line in buffer[:cut].split(b"\n")]
    return [line for line in lines if line.strip()], buffer[cut + 1 :]


_RECOVERY_TRIES = 8  # start positions tried in a line that does not parse (a torn fragment glued to a whole line)
# How Claude Code's lines begin: the envelope's first key, or `type` for the lines without one.
_LINE_START = re.compile(r'\{"(?:parentUuid|type|sessionId|uuid|isSidechain|leafUuid)"')


def parse_line(raw: bytes) -> dict[str, Any] | None:
    """One transcript line -> its JSON object, or None for garbage, non-objects and empty lines.

    A torn write (a fragment with no newline) glues itself to the start of the next line; the whole
    line after it is recovered, so the fragment costs nothing but itself (claude-code-data.md §1.10).
    """
    text = raw.decode("utf-8", errors="replace")
    value = _loads(text)
    if value is None and text.lstrip().startswith("{"):
        for tries, found in enumerate(_LINE_START.finditer(text, 1)):
            value = _loads(text[found.start():])
            if value is not None and "type" in value and ("uuid" in value or "sessionId" in value):
                break
            value = None  # an object nested inside the torn fragment is not a line
            if tries >= _RECOVERY_TRIES:
                break
    return value


def _loads(text: str) -> dict[str, Any] | None:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def timestamp_ns(row: dict[str, Any]) -> int | None:
    """The row's ISO-8601 `timestamp` as Unix nanoseconds (UTC when no offset), or None."""
    value = row.get("timestamp")
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    delta = moment - _EPOCH
    return ((delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds) * 1000


def text_of(value: Any) -> str | None:
    """A string field, or None when absent / not a string."""
    return value if isinstance(value, str) else None


def message_of(row: dict[str, Any]) -> dict[str, Any]:
    message = row.get("message")
    return message if isinstance(message, dict) else {}


def content_blocks(row: dict[str, Any]) -> list[Any]:
    """message.content as a list of blocks: a plain string becomes one text block."""
    content = message_of(row).get("content")
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    if isinstance(content, list):
        return content
    return []


def block_type(block: Any) -> str | None:
    return block.get("type") if isinstance(block, dict) and isinstance(block.get("type"), str) else None


def is_tool_result_line(row: dict[str, Any]) -> bool:
    return any(block_type(block) == "tool_result" for block in content_blocks(row))


def is_prompt(row: dict[str, Any]) -> bool:
    """A user line the person typed: starts a turn (span-model.md "Shape").

    Not a tool result, not isMeta, not a compaction summary, not sidechain, not Claude Code's own
    interruption marker or local-command output.
    """
    if row.get("type") != "user" or row.get("isSidechain") is True:
        return False
    if row.get("isMeta") is True or row.get("isCompactSummary") is True:
        return False
    blocks = content_blocks(row)
    kinds = [block_type(block) for block in blocks]
    if "tool_result" in kinds:
        return False
    texts = [block["text"] for block in blocks if block_type(block) == "text" and isinstance(block.get("text"), str)]
    if texts and texts[0].lstrip().startswith(_NOT_PROMPT_PREFIXES):
        return False
    return any(text.strip() for text in texts) or "image" in kinds or "document" in kinds


def prompt_kind(row: dict[str, Any]) -> str:
    """How a turn began: `prompt` (typed), `command` (a slash command) or `task_notification`."""
    blocks = content_blocks(row)
    first = blocks[0] if blocks else None
    text = first.get("text") if isinstance(first, dict) else None
    if isinstance(text, str):
        stripped = text.lstrip()
        if stripped.startswith("<command-name>") or stripped.startswith("<command-message>"):
            return "command"
        if stripped.startswith("<task-notification>"):
            return "task_notification"
    origin = row.get("origin")
    if isinstance(origin, dict) and origin.get("kind") == "task-notification":
        return "task_notification"
    return "prompt"


def int_field(mapping: Any, key: str) -> int:
    """A non-negative int counter from a dict, 0 when absent or not an int (bools are not counts)."""
    if not isinstance(mapping, dict):
        return 0
    value = mapping.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        return 0
    return max(value, 0)


def usage_of(row: dict[str, Any]) -> dict[str, Any] | None:
    usage = message_of(row).get("usage")
    return usage if isinstance(usage, dict) else None


def usage_total(usage: dict[str, Any] | None) -> int:
    """input + output + cache creation + cache read: the quantity ccusage's dedupe maximises."""
    return sum(
        int_field(usage, key)
        for key in ("input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
    )


def cache_split(usage: dict[str, Any]) -> tuple[int, int] | None:
    """The (5m, 1h) cache-write breakdown when present and adding up to cache_creation_input_tokens.

    The total is what the API bills; a breakdown that disagrees with it (proxies write {0, 0} beside a
    non-zero total, or the reverse) is not trusted: None, and `split_disagrees` says so.
    """
    breakdown = usage.get("cache_creation")
    if not isinstance(breakdown, dict):
        return None
    split = int_field(breakdown, "ephemeral_5m_input_tokens"), int_field(breakdown, "ephemeral_1h_input_tokens")
    return split if sum(split) == int_field(usage, "cache_creation_input_tokens") else None


def split_disagrees(usage: dict[str, Any]) -> bool:
    return isinstance(usage.get("cache_creation"), dict) and cache_split(usage) is None


def group_key(row: dict[str, Any]) -> str | None:
    """Natural key of the API call an assistant line belongs to: message.id + "\\n" + requestId."""
    message_id = text_of(message_of(row).get("id"))
    request_id = text_of(row.get("requestId")) or ""
    if message_id:
        return f"{message_id}\n{request_id}"
    uuid = text_of(row.get("uuid"))
    return f"line:{uuid}" if uuid else None
