"""Transcript lines -> rows, and tolerant accessors for the fields the mapping reads. Pure, stdlib only.

Facts behind these helpers: reference/claude-code-data.md §1 (line types, user-line kinds, usage copies).
Nothing here raises on bad input: a row is whatever `json.loads` gave for one line, and every accessor
checks types before it trusts a field.
"""

from __future__ import annotations

import json
import re

from ccotel.hook._typing import Any

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
    plain = _plain_utc_ns(value)
    return plain if plain is not None else _iso_ns(value)


_DAYS_BEFORE_MONTH = (0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334)
_DAY_NS: dict[str, int] = {}  # "YYYY-MM-DD" -> Unix ns of its midnight (UTC), for the days seen
_KEEP_DAYS = 4096


def _plain_utc_ns(value: str) -> int | None:
    """`YYYY-MM-DDTHH:MM:SS.mmmZ`, the form Claude Code writes (or without `.mmm`), without the datetime module
    (~2 ms to import on every hook run), as fast as it for the report's millions of lines. None for anything
    else, including an impossible date or time: datetime then decides."""
    if len(value) == 20 and value[19] == "Z":
        value = value[:19] + ".000Z"
    if len(value) != 24 or value[23] != "Z" or value[10] != "T" or value[13] != ":" or value[16] != ":" \
            or value[19] != ".":
        return None
    date = value[:10]
    day = _DAY_NS.get(date)
    if day is None:
        day = _midnight_ns(date)
        if day is None:
            return None
        if len(_DAY_NS) < _KEEP_DAYS:
            _DAY_NS[date] = day
    clock = value[11:13] + value[14:16] + value[17:19] + value[20:23]
    if not (clock.isascii() and clock.isdigit()):
        return None
    hour, minute, second = int(clock[:2]), int(clock[2:4]), int(clock[4:6])
    if hour > 23 or minute > 59 or second > 59:
        return None
    return day + ((hour * 60 + minute) * 60 + second) * 1_000_000_000 + int(clock[6:]) * 1_000_000


def _midnight_ns(date: str) -> int | None:
    """`YYYY-MM-DD` (proleptic Gregorian, year 1 to 9999) as the Unix ns of its midnight, UTC."""
    if date[4] != "-" or date[7] != "-":
        return None
    digits = date[:4] + date[5:7] + date[8:10]
    if not (digits.isascii() and digits.isdigit()):
        return None
    year, month, day = int(digits[:4]), int(digits[4:6]), int(digits[6:])
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    month_days = (31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
    if not (year >= 1 and 1 <= month <= 12 and 1 <= day <= month_days[month - 1]):
        return None
    before = year - 1  # days from 0001-01-01 to this date, then to 1970-01-01
    ordinal = before * 365 + before // 4 - before // 100 + before // 400 + _DAYS_BEFORE_MONTH[month - 1] \
        + (1 if leap and month > 2 else 0) + day - 719163
    return ordinal * 86_400_000_000_000


def _iso_ns(value: str) -> int | None:
    from datetime import UTC, datetime

    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
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
