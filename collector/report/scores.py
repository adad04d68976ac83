"""Per-session scores for Langfuse (cache hit ratio, tool error rate, cost per edit, turns). Pure.

Each score is a payload of Langfuse's public scores API (POST /api/public/scores): a NUMERIC score on a
session (`sessionId`), with an `id` derived from the session id and the score name, so writing the same
session's scores again updates them in place (Langfuse upserts a score by id) instead of adding copies.
A score with nothing to measure (no prompt tokens, no tool calls, no edits, an unpriced session) is left out.
"""

from __future__ import annotations

import uuid
from typing import Any

from ccotel.collector.report.analytics import SessionFacts

SCORE_NAMESPACE = uuid.UUID("4d1f6f0e-5b0a-4c57-9a51-6363c07e1301")  # fixed: ids must not change between runs
CACHE_HIT_RATIO = "ccotel.cache_hit_ratio"
TOOL_ERROR_RATE = "ccotel.tool_error_rate"
COST_PER_EDIT = "ccotel.cost_per_edit"
TURNS = "ccotel.turns"
SCORE_NAMES = (CACHE_HIT_RATIO, TOOL_ERROR_RATE, COST_PER_EDIT, TURNS)
_COMMENTS = {
    CACHE_HIT_RATIO: "cache read tokens / all prompt tokens (uncached input + cache read + cache write)",
    TOOL_ERROR_RATE: "tool calls that failed / tool calls",
    COST_PER_EDIT: "session cost in USD / file edits (Edit, Write, MultiEdit, NotebookEdit)",
    TURNS: "prompts typed in the session",
}


def score_id(session_id: str, name: str) -> str:
    return str(uuid.uuid5(SCORE_NAMESPACE, f"{session_id}\n{name}"))


def session_scores(facts: SessionFacts) -> list[dict[str, Any]]:
    """The session's scores as Langfuse score payloads; none for a session Langfuse does not know by id."""
    if not facts.session_id or facts.session_id.startswith("trace:"):
        return []
    usage = facts.usage
    prompt = usage.input_tokens + usage.cache_read_tokens + usage.cache_creation_tokens
    tool_calls = sum(facts.tool_calls.values())
    cost = usage.cost_or_none
    values: dict[str, float | None] = {
        CACHE_HIT_RATIO: usage.cache_read_tokens / prompt if prompt else None,
        TOOL_ERROR_RATE: sum(facts.tool_errors.values()) / tool_calls if tool_calls else None,
        COST_PER_EDIT: cost / facts.file_edits if facts.file_edits and cost is not None else None,
        TURNS: float(facts.turns),
    }
    return [
        {
            "id": score_id(facts.session_id, name),
            "sessionId": facts.session_id,
            "name": name,
            "value": round(value, 6),
            "dataType": "NUMERIC",
            "comment": _COMMENTS[name],
        }
        for name, value in values.items()
        if value is not None
    ]
