"""Langfuse v2 observations (JSON objects) -> span records. Pure.

How an OTLP span of ours looks once Langfuse v4 has ingested it (reference/langfuse-otlp.md §2):
type GENERATION/TOOL/AGENT from gen_ai.operation.name; name = gen_ai.tool.name for tools, else the span
name; input/output = the raw gen_ai.*.messages or tool argument strings; usageDetails with `input`
(uncached: Langfuse subtracts the cache buckets from our inclusive input), `output`,
`input_cached_tokens`, `input_cache_creation`; totalCost from the collector's gen_ai.usage.cost;
level ERROR from span status. v4 keeps only langfuse.* metadata, so the project is read from
metadata when the pipeline put it there, and turn numbers are recomputed from the roots' order.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from ccotel.collector.report.records import (
    CHAT,
    EXECUTE_TOOL,
    INVOKE_AGENT,
    ROOT_AGENT,
    SpanRecord,
    file_path_argument,
    prompt_text,
)

OPERATIONS = {"GENERATION": CHAT, "TOOL": EXECUTE_TOOL, "AGENT": INVOKE_AGENT}
UNKNOWN_PROJECT = "(unknown)"
CACHE_READ_KEYS = ("input_cached_tokens", "cache_read_input_tokens", "input_cache_read", "cache_read")
CACHE_WRITE_KEYS = ("input_cache_creation", "cache_creation_input_tokens", "input_cache_write", "cache_write")
PROJECT_KEYS = ("claude_code.project", "project")


def _time(value: Any, fallback: datetime | None = None) -> datetime:
    if isinstance(value, str) and value:
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
            return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        except ValueError:
            pass
    return fallback or datetime(1970, 1, 1, tzinfo=UTC)


def _count(usage: dict[str, Any], keys: Iterable[str]) -> int:
    for key in keys:
        value = usage.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return max(int(value), 0)
    return 0


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value)


def _plain(value: Any) -> str:
    """A metadata value; the SDKs JSON-encode strings, so '"spotter"' means spotter."""
    if isinstance(value, str):
        try:
            decoded = json.loads(value)
        except ValueError:
            return value
        return decoded if isinstance(decoded, str) else value
    return "" if value is None else str(value)


def project_of(observation: dict[str, Any]) -> str:
    metadata = observation.get("metadata")
    if not isinstance(metadata, dict):
        return ""
    for holder in (metadata, metadata.get("attributes"), metadata.get("resourceAttributes")):
        if isinstance(holder, dict):
            for key in PROJECT_KEYS:
                if holder.get(key):
                    return _plain(holder[key])
    return ""


def record_from_observation(observation: dict[str, Any]) -> SpanRecord:
    kind = str(observation.get("type") or "")
    operation = OPERATIONS.get(kind, kind.lower())
    name = str(observation.get("name") or "")
    parent = str(observation.get("parentObservationId") or "")
    start = _time(observation.get("startTime"))
    raw_usage = observation.get("usageDetails")
    usage: dict[str, Any] = raw_usage if isinstance(raw_usage, dict) else {}
    cache_write = _count(usage, CACHE_WRITE_KEYS)
    split = "input_cache_creation_5m" in usage or "input_cache_creation_1h" in usage
    raw_cost = observation.get("totalCost")
    cost = float(raw_cost) if isinstance(raw_cost, (int, float)) and not isinstance(raw_cost, bool) else None
    priced = cost is not None and (cost > 0 or bool(observation.get("costDetails")))
    agent_name = ""
    if operation == INVOKE_AGENT:
        agent_name = name.removeprefix("invoke_agent").strip() or (ROOT_AGENT if not parent else "")
    raw_input = _text(observation.get("input"))
    return SpanRecord(
        trace_id=str(observation.get("traceId") or ""),
        span_id=str(observation.get("id") or ""),
        parent_id=parent,
        session_id=str(observation.get("sessionId") or ""),
        project=project_of(observation),
        operation=operation,
        name=name,
        start=start,
        end=_time(observation.get("endTime"), start),
        agent_name=agent_name,
        model=str(observation.get("model") or "") if operation == CHAT else "",
        tool_name=name if operation == EXECUTE_TOOL else "",
        input_tokens=_count(usage, ("input",)),
        output_tokens=_count(usage, ("output", "output_tokens")),
        cache_read_tokens=_count(usage, CACHE_READ_KEYS),
        cache_write_5m_tokens=_count(usage, ("input_cache_creation_5m",)) if split else cache_write,
        cache_write_1h_tokens=_count(usage, ("input_cache_creation_1h",)),
        cost_usd=cost if priced else None,
        is_error=observation.get("level") == "ERROR",
        error_type=str(observation.get("statusMessage") or ""),
        prompt=prompt_text(raw_input) if operation == INVOKE_AGENT and not parent else "",
        file_path=file_path_argument(raw_input) if operation == EXECUTE_TOOL else "",
        user_id=str(observation.get("userId") or ""),
    )


def sessions_from_observations(observations: Iterable[dict[str, Any]]) -> dict[str, list[SpanRecord]]:
    """Group by session (observations without one go to their trace), fill in project and turn numbers."""
    sessions: dict[str, list[SpanRecord]] = defaultdict(list)
    for observation in observations:
        record = record_from_observation(observation)
        key = record.session_id or f"trace:{record.trace_id}"
        sessions[key].append(replace(record, session_id=key) if not record.session_id else record)
    for key, records in sessions.items():
        project = next((record.project for record in records if record.project), UNKNOWN_PROJECT)
        roots = sorted((record for record in records if record.is_turn_root), key=lambda r: (r.start, r.span_id))
        turn_of = {root.span_id: index for index, root in enumerate(roots, start=1)}
        sessions[key] = [
            replace(record, project=project, turn_index=turn_of.get(record.span_id, 0)) for record in records
        ]
    return dict(sessions)
