"""The span model: what the pure data path produces and the OTLP encoder consumes.

transcript rows -> (ccotel.hook.mapping) -> list[Span] -> (ccotel.hook.otlp) -> OTLP bytes.
Nothing here does I/O. The contract is ../shared/design/span-model.md (copied in README.md).
"""

from __future__ import annotations

from enum import IntEnum

from ccotel.hook._plain import Plain
from ccotel.hook._sha import sha256

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


class Span(Plain):
    """One finished span. Times are Unix nanoseconds; ids are raw bytes (16 and 8); parent_span_id is b"" for a
    trace's root. Treat it as immutable (it was a frozen dataclass; a plain class costs the hook less to load)."""

    __slots__ = ("attributes", "end_time_unix_nano", "kind", "name", "parent_span_id", "span_id",
                 "start_time_unix_nano", "status_code", "status_message", "trace_id")
    __hash__ = None  # type: ignore[assignment]

    def __init__(self, trace_id: bytes, span_id: bytes, parent_span_id: bytes, name: str, kind: SpanKind,
                 start_time_unix_nano: int, end_time_unix_nano: int,
                 attributes: dict[str, AttributeValue] | None = None, status_code: StatusCode = StatusCode.UNSET,
                 status_message: str = "") -> None:
        self.trace_id, self.span_id, self.parent_span_id, self.name = trace_id, span_id, parent_span_id, name
        self.kind, self.start_time_unix_nano, self.end_time_unix_nano = kind, start_time_unix_nano, end_time_unix_nano
        self.attributes: dict[str, AttributeValue] = {} if attributes is None else attributes
        self.status_code, self.status_message = status_code, status_message


def trace_id_for(session_id: str, prompt_uuid: str) -> bytes:
    """Trace id of a turn: first 16 bytes of sha256 over the session id and the prompt line's uuid."""
    return sha256(f"{session_id}\n{prompt_uuid}".encode()).digest()[:16]


def span_id_for(trace_id: bytes, natural_key: str) -> bytes:
    """Span id: first 8 bytes of sha256 over the trace id and the span's natural key.

    Natural keys: root -> prompt uuid; chat -> message.id + "\\n" + requestId;
    execute_tool -> tool_use.id; subagent invoke_agent -> the agent id.
    """
    return sha256(trace_id + natural_key.encode()).digest()[:8]
