"""Merge per-session facts into the report (a JSON-ready dict). Memory holds aggregates, not records.

The report's shape is the `--json` schema documented in the README (`schema: ccotel.report/1`).
"""

from __future__ import annotations

import heapq
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from ccotel.collector.report.analytics import TOP_N, SessionFacts, TurnFacts, Usage
from ccotel.collector.report.tool_categories import ToolCategories

SCHEMA = "ccotel.report/1"
TURN_BUCKETS = (
    ("1 turn", 1, 1),
    ("2-3 turns", 2, 3),
    ("4-7 turns", 4, 7),
    ("8-12 turns", 8, 12),
    ("13+ turns", 13, 10**9),
)
MIN_REPEATS = 2
MIN_PROMPT_WORDS = 2


def _ratio(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole else None


def _money(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def cache_json(usage: Usage) -> dict[str, Any]:
    """Cache hit ratio (reads over the whole prompt) and what caching saved versus paying full input price."""
    prompt = usage.input_tokens + usage.cache_read_tokens + usage.cache_creation_tokens
    return {
        "hit_ratio": _ratio(usage.cache_read_tokens, prompt),
        "cost_without_cache_usd": _money(usage.uncached_cost_usd),
        "cost_with_cache_usd": _money(usage.cost_with_uncached_usd),
        "saved_usd": _money(usage.uncached_cost_usd - usage.cost_with_uncached_usd),
    }


def usage_json(usage: Usage) -> dict[str, Any]:
    data = usage.to_json()
    data["cost_usd"] = _money(usage.cost_or_none)
    return data


@dataclass
class ReportBuilder:
    categories: ToolCategories
    min_repeats: int = MIN_REPEATS
    totals: Usage = field(default_factory=Usage)
    sessions: list[dict[str, Any]] = field(default_factory=list)
    days: dict[str, Usage] = field(default_factory=lambda: defaultdict(Usage))
    models: dict[str, Usage] = field(default_factory=lambda: defaultdict(Usage))
    projects: dict[str, Usage] = field(default_factory=lambda: defaultdict(Usage))
    project_sessions: Counter[str] = field(default_factory=Counter)
    project_turns: Counter[str] = field(default_factory=Counter)
    tool_calls: Counter[str] = field(default_factory=Counter)
    tool_errors: Counter[str] = field(default_factory=Counter)
    bucket_sums: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    edits_with_path: int = 0
    edits_after_read: int = 0
    exploration_turns: int = 0
    converted_turns: int = 0
    prompt_counts: Counter[str] = field(default_factory=Counter)
    prompt_sessions: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    top_turns: list[tuple[float, int, TurnFacts]] = field(default_factory=list)
    top_calls: list[tuple[float, int, dict[str, Any]]] = field(default_factory=list)
    context: list[dict[str, Any]] = field(default_factory=list)
    subagents: dict[str, Usage] = field(default_factory=lambda: defaultdict(Usage))
    subagent_runs: Counter[str] = field(default_factory=Counter)
    _sequence: int = 0

    def add(self, facts: SessionFacts) -> None:
        self.totals.merge(facts.usage)
        for day, usage in facts.by_day.items():
            self.days[day].merge(usage)
        for model, usage in facts.by_model.items():
            self.models[model].merge(usage)
        self.projects[facts.project].merge(facts.usage)
        self.project_sessions[facts.project] += 1
        self.project_turns[facts.project] += facts.turns
        self.tool_calls.update(facts.tool_calls)
        self.tool_errors.update(facts.tool_errors)
        self._add_productivity(facts)
        self.edits_with_path += facts.edits_with_path
        self.edits_after_read += facts.edits_after_read
        self.exploration_turns += facts.exploration_turns
        self.converted_turns += facts.converted_turns
        for prompt in facts.prompts:
            if len(prompt.split()) >= MIN_PROMPT_WORDS:
                self.prompt_counts[prompt] += 1
                self.prompt_sessions[prompt].add(facts.session_id)
        for turn in facts.top_turns:
            self._push(self.top_turns, (turn.usage.cost_usd, turn))
        for cost, turn_index, start, model, context_tokens, output_tokens in facts.top_calls:
            self._push(
                self.top_calls,
                (
                    cost,
                    {
                        "session_id": facts.session_id,
                        "project": facts.project,
                        "turn_index": turn_index,
                        "start": start,
                        "model": model,
                        "context_tokens": context_tokens,
                        "output_tokens": output_tokens,
                        "cost_usd": _money(cost),
                    },
                ),
            )
        if facts.context:
            self.context.append(
                {
                    "session_id": facts.session_id,
                    "project": facts.project,
                    "calls": len(facts.context),
                    "first_context_tokens": facts.context[0],
                    "peak_context_tokens": max(facts.context),
                    "last_context_tokens": facts.context[-1],
                    "mean_context_tokens": round(sum(facts.context) / len(facts.context)),
                    "compactions": facts.compactions,
                }
            )
        for agent, usage in facts.subagents.items():
            self.subagents[agent].merge(usage)
        self.subagent_runs.update(facts.subagent_runs)
        self.sessions.append(self._session_json(facts))

    def _push(self, heap: list[Any], item: tuple[float, Any]) -> None:
        self._sequence += 1
        entry = (item[0], -self._sequence, item[1])
        if len(heap) < TOP_N:
            heapq.heappush(heap, entry)
        elif entry > heap[0]:
            heapq.heapreplace(heap, entry)

    def _add_productivity(self, facts: SessionFacts) -> None:
        for name, low, high in TURN_BUCKETS:
            if low <= facts.turns <= high:
                sums = self.bucket_sums[name]
                sums["sessions"] += 1
                sums["turns"] += facts.turns
                sums["edits"] += facts.file_edits
                sums["reads"] += facts.file_reads

    def _session_json(self, facts: SessionFacts) -> dict[str, Any]:
        data: dict[str, Any] = {
            "session_id": facts.session_id,
            "project": facts.project,
            "project_dir": facts.project_dir,
            "first_activity": facts.first.isoformat() if facts.first else None,
            "last_activity": facts.last.isoformat() if facts.last else None,
            "models": sorted(facts.by_model),
        }
        data.update(usage_json(facts.usage))
        data.update(
            {
                "turns": facts.turns,
                "tool_calls": sum(facts.tool_calls.values()),
                "tool_errors": sum(facts.tool_errors.values()),
                "subagent_runs": sum(facts.subagent_runs.values()),
                "compactions": facts.compactions,
                "cache": cache_json(facts.usage),
            }
        )
        return data

    def build(self, source: dict[str, Any]) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "source": source,
            "totals": usage_json(self.totals)
            | {"sessions": len(self.sessions), "turns": sum(self.project_turns.values())},
            "cache": cache_json(self.totals),
            "sessions": sorted(self.sessions, key=lambda s: (s["first_activity"] or "", s["session_id"])),
            "days": [{"date": day} | usage_json(usage) for day, usage in sorted(self.days.items())],
            "projects": sorted(
                (
                    {
                        "project": name,
                        "sessions": self.project_sessions[name],
                        "turns": self.project_turns[name],
                    }
                    | usage_json(usage)
                    for name, usage in self.projects.items()
                ),
                key=lambda p: (-(p["cost_usd"] or 0), -p["total_tokens"], p["project"]),
            ),
            "models": sorted(
                ({"model": name} | usage_json(usage) for name, usage in self.models.items()),
                key=lambda m: (-(m["cost_usd"] or 0), -m["total_tokens"], m["model"]),
            ),
            "analyses": self._analyses(),
        }

    def _analyses(self) -> dict[str, Any]:
        from ccotel.collector.report.analyses import analyses_json

        return analyses_json(self)
