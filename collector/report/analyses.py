"""The `analyses` section of the report, from the merged per-session facts. Pure.

Definitions (also in the README):
- tool_categories: execute_tool spans per category of collector/report/tool_categories.yaml.
- turns_per_session: sessions per bucket of turns (a turn = one prompt typed by the person).
- productivity_by_length: per bucket, edits per turn = file edits / turns,
  read:write = file reads / file edits.
- read_before_edit: Edit/Write-like calls on a path that a Read earlier in the same session named.
- exploration_to_edit: turns with a read/search call; converted when an edit starts at or after the first one.
- repeated_prompts: normalised prompt text seen at least `min_repeats` times across the window.
- context_growth: per session, the context (uncached + cache read + cache write) of each main-agent call;
  a compaction is a call whose context is under half the previous one (which was at least 10k tokens).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ccotel.collector.report.builder import TURN_BUCKETS, _money, _ratio, usage_json

if TYPE_CHECKING:
    from ccotel.collector.report.builder import ReportBuilder

TOP_PROMPTS = 15
TOP_SESSIONS = 10
PROMPT_SHOWN_CHARS = 120


def _pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def analyses_json(builder: ReportBuilder) -> dict[str, Any]:
    categories = builder.categories
    per_category = {name: 0 for name in categories.names}
    for tool, calls in builder.tool_calls.items():
        per_category[categories.category_of(tool)] += calls
    all_calls = sum(per_category.values())
    return {
        "tool_categories": [
            {"category": name, "calls": calls, "pct": _pct(calls, all_calls)}
            for name, calls in sorted(per_category.items(), key=lambda item: -item[1])
        ],
        "tools": [
            {
                "tool": tool,
                "category": categories.category_of(tool),
                "calls": calls,
                "errors": builder.tool_errors[tool],
                "error_rate": _ratio(builder.tool_errors[tool], calls),
            }
            for tool, calls in sorted(builder.tool_calls.items(), key=lambda item: (-item[1], item[0]))
        ],
        "turns_per_session": [
            {"bucket": name, "sessions": builder.bucket_sums[name]["sessions"]} for name, _, _ in TURN_BUCKETS
        ],
        "productivity_by_length": [_productivity(name, builder) for name, _, _ in TURN_BUCKETS],
        "read_before_edit": {
            "edits": builder.edits_with_path,
            "edits_after_read": builder.edits_after_read,
            "pct": _pct(builder.edits_after_read, builder.edits_with_path),
        },
        "exploration_to_edit": {
            "exploration_turns": builder.exploration_turns,
            "converted_turns": builder.converted_turns,
            "pct": _pct(builder.converted_turns, builder.exploration_turns),
        },
        "expensive_turns": [
            {
                "session_id": turn.session_id,
                "project": turn.project,
                "turn_index": turn.turn_index,
                "start": turn.start.isoformat() if turn.start else None,
                "prompt": turn.prompt[:PROMPT_SHOWN_CHARS],
                "calls": turn.usage.calls,
                "tool_calls": turn.tool_calls,
                "total_tokens": turn.usage.total_tokens,
                "cost_usd": _money(turn.usage.cost_usd),
            }
            for _, _, turn in sorted(builder.top_turns, reverse=True)
        ],
        "expensive_calls": [call for _, _, call in sorted(builder.top_calls, reverse=True)],
        "repeated_prompts": [
            {
                "prompt": prompt[:PROMPT_SHOWN_CHARS],
                "count": count,
                "sessions": len(builder.prompt_sessions[prompt]),
            }
            for prompt, count in sorted(builder.prompt_counts.items(), key=lambda item: (-item[1], item[0]))
            if count >= builder.min_repeats
        ][:TOP_PROMPTS],
        "context_growth": sorted(builder.context, key=lambda s: (-s["peak_context_tokens"], s["session_id"]))[
            :TOP_SESSIONS
        ],
        "compactions": {
            "total": sum(s["compactions"] for s in builder.context),
            "sessions": sum(1 for s in builder.context if s["compactions"]),
        },
        "tool_errors": [
            {
                "tool": tool,
                "errors": errors,
                "calls": builder.tool_calls[tool],
                "error_rate": _ratio(errors, builder.tool_calls[tool]),
            }
            for tool, errors in sorted(builder.tool_errors.items(), key=lambda item: (-item[1], item[0]))
            if errors
        ],
        "subagents": sorted(
            (
                {"agent": agent, "runs": builder.subagent_runs[agent]} | usage_json(builder.subagents[agent])
                for agent in set(builder.subagents) | set(builder.subagent_runs)
            ),
            key=lambda a: (-(a["cost_usd"] or 0), a["agent"]),
        ),
    }


def _productivity(name: str, builder: ReportBuilder) -> dict[str, Any]:
    sums = builder.bucket_sums[name]
    return {
        "bucket": name,
        "sessions": sums["sessions"],
        "turns": sums["turns"],
        "edits": sums["edits"],
        "reads": sums["reads"],
        "edits_per_turn": _ratio(sums["edits"], sums["turns"]),
        "read_write_ratio": _ratio(sums["reads"], sums["edits"]),
    }
