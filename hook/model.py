"""The span model: what the pure data path produces and the OTLP encoder consumes.

transcript rows -> (ccotel.hook.mapping) -> list[Span] -> (ccotel.hook.otlp) -> OTLP bytes.
Nothing here does I/O. The contract is ../shared/design/span-model.md (copied in README.md).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from enum import IntEnum

AttributeValue = str | bool | int | float | tuple[str, ...]


class SpanKind(IntEnum):
    """OTLP Span.SpanKind values."""

    INTERNAL = 1
    SERVER = 2
    CLIENT = 3


class StatusCode(IntEnum):
    """OTLP Status.StatusCode values."""

    UNSET = 0
    OK = 1
    ERROR = 2


@dataclass(frozen=True, slots=True)
class Span:
    """One finished span. Times are Unix nanoseconds; ids are raw bytes (16 and 8)."""

    trace_id: bytes
    span_id: bytes
    parent_span_id: bytes  # b"" for a trace's root
    name: str
    kind: SpanKind
    start_time_unix_nano: int
    end_time_unix_nano: int
    attributes: dict[str, AttributeValue] = field(default_factory=dict)
    status_code: StatusCode = StatusCode.UNSET
    status_message: str = ""


def trace_id_for(session_id: str, prompt_uuid: str) -> bytes:
    """Trace id of a turn: first 16 bytes of sha256 over the session id and the prompt line's uuid."""
    return hashlib.sha256(f"{session_id}\n{prompt_uuid}".encode()).digest()[:16]


def span_id_for(trace_id: bytes, natural_key: str) -> bytes:
    """Span id: first 8 bytes of sha256 over the trace id and the span's natural key.

    Natural keys: root -> prompt uuid; chat -> message.id + "\\n" + requestId;
    execute_tool -> tool_use.id; subagent invoke_agent -> the agent id.
    """
    return hashlib.sha256(trace_id + natural_key.encode()).digest()[:8]
