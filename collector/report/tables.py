"""The report's tables, once: headers and formatted cells, shared by the text and the HTML renderers. Pure.

Each function takes a section of the report dict and returns (headers, rows). `short` shortens ids,
projects and prompts for a terminal; the HTML report shows them whole.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

Table = tuple[list[str], list[list[str]]]
USAGE_HEADERS = ["calls", "input", "output", "cache write", "cache read", "cost"]


def money(value: float | None) -> str:
    if value is None:
        return "unpriced"
    return f"${value:,.2f}" if abs(value) >= 0.995 or value == 0 else f"${value:.4f}"


def count(value: int | float | None) -> str:
    return "-" if value is None else f"{value:,}"


def pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}%"


def ratio(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def one_line(text: str, width: int | None) -> str:
    flat = " ".join(text.split())
    return flat if not width or len(flat) <= width else flat[: width - 3] + "..."


def usage_cells(entry: dict[str, Any]) -> list[str]:
    return [
        count(entry["calls"]),
        count(entry["input_tokens"]),
        count(entry["output_tokens"]),
        count(entry["cache_creation_tokens"]),
        count(entry["cache_read_tokens"]),
        money(entry["cost_usd"]),
    ]


def _session(session_id: str, short: bool) -> str:
    return session_id[:8] if short else session_id


def days(entries: Sequence[dict[str, Any]]) -> Table:
    return ["date", *USAGE_HEADERS], [[d["date"], *usage_cells(d)] for d in entries]


def projects(entries: Sequence[dict[str, Any]]) -> Table:
    return ["project", "sessions", "turns", *USAGE_HEADERS], [
        [p["project"], count(p["sessions"]), count(p["turns"]), *usage_cells(p)] for p in entries
    ]


def models(entries: Sequence[dict[str, Any]]) -> Table:
    return ["model", *USAGE_HEADERS], [[m["model"], *usage_cells(m)] for m in entries]


def sessions(entries: Sequence[dict[str, Any]], short: bool) -> Table:
    return ["session", "project", "first activity", "turns", *USAGE_HEADERS], [
        [
            _session(s["session_id"], short),
            s["project"][-30:] if short else s["project"],
            (s["first_activity"] or "")[:16],
            count(s["turns"]),
            *usage_cells(s),
        ]
        for s in entries
    ]


def tool_categories(analyses: dict[str, Any]) -> Table:
    return ["category", "calls", "share"], [
        [c["category"], count(c["calls"]), pct(c["pct"])] for c in analyses["tool_categories"]
    ]


def turns_per_session(analyses: dict[str, Any]) -> Table:
    return ["turns", "sessions"], [[b["bucket"], count(b["sessions"])] for b in analyses["turns_per_session"]]


def productivity(analyses: dict[str, Any]) -> Table:
    """Session-length buckets that have sessions."""
    return ["session length", "sessions", "turns", "edits", "reads", "edits/turn", "read:write"], [
        [
            p["bucket"],
            count(p["sessions"]),
            count(p["turns"]),
            count(p["edits"]),
            count(p["reads"]),
            ratio(p["edits_per_turn"]),
            ratio(p["read_write_ratio"], 1),
        ]
        for p in analyses["productivity_by_length"]
        if p["sessions"]
    ]


def expensive_turns(analyses: dict[str, Any], short: bool) -> Table:
    return ["session", "turn", "calls", "tools", "tokens", "cost", "prompt"], [
        [
            _session(t["session_id"], short),
            count(t["turn_index"]),
            count(t["calls"]),
            count(t["tool_calls"]),
            count(t["total_tokens"]),
            money(t["cost_usd"]),
            one_line(t["prompt"], 50 if short else None),
        ]
        for t in analyses["expensive_turns"]
    ]


def expensive_calls(analyses: dict[str, Any], short: bool) -> Table:
    return ["session", "turn", "model", "context", "output", "cost"], [
        [
            _session(c["session_id"], short),
            count(c["turn_index"]),
            c["model"],
            count(c["context_tokens"]),
            count(c["output_tokens"]),
            money(c["cost_usd"]),
        ]
        for c in analyses["expensive_calls"]
    ]


def repeated_prompts(analyses: dict[str, Any], short: bool) -> Table:
    return ["times", "sessions", "prompt"], [
        [count(p["count"]), count(p["sessions"]), one_line(p["prompt"], 70 if short else None)]
        for p in analyses["repeated_prompts"]
    ]


def context_growth(analyses: dict[str, Any], short: bool) -> Table:
    return ["session", "calls", "first", "mean", "peak", "last", "compactions"], [
        [
            _session(c["session_id"], short),
            count(c["calls"]),
            count(c["first_context_tokens"]),
            count(c["mean_context_tokens"]),
            count(c["peak_context_tokens"]),
            count(c["last_context_tokens"]),
            count(c["compactions"]),
        ]
        for c in analyses["context_growth"]
    ]


def tool_errors(entries: Sequence[dict[str, Any]]) -> Table:
    return ["tool", "errors", "calls", "error rate"], [
        [
            e["tool"],
            count(e["errors"]),
            count(e["calls"]),
            pct(None if e["error_rate"] is None else 100 * e["error_rate"]),
        ]
        for e in entries
    ]


def subagents(analyses: dict[str, Any]) -> Table:
    return ["agent", "runs", "calls", "tokens", "cost"], [
        [a["agent"], count(a["runs"]), count(a["calls"]), count(a["total_tokens"]), money(a["cost_usd"])]
        for a in analyses["subagents"]
    ]


def tips(entries: Sequence[dict[str, Any]], short: bool) -> Table:
    return ["tip", "dollars", "sessions", "what"], [
        [tip["kind"], money(tip["dollars"]), count(len(tip["sessions"])), one_line(tip["summary"], 90 if short else 0)]
        for tip in entries
    ]


def tip_evidence(tip: dict[str, Any], short: bool) -> Table:
    """A tip's evidence rows, whatever their keys (each kind has its own); dollars as money."""
    rows = tip["evidence"]
    if not rows:
        return [], []
    headers = list(rows[0])

    def cell(key: str, value: Any) -> str:
        if key in ("dollars", "cost_usd", "next_model_cost_usd", "late_usd"):
            return money(value)
        if key == "session_id":
            return _session(str(value), short)
        if key == "prompt":
            return one_line(str(value), 50 if short else None)
        return count(value) if isinstance(value, int) else str(value)

    return headers, [[cell(key, row.get(key)) for key in headers] for row in rows]


def people(entries: Sequence[dict[str, Any]]) -> Table:
    headers = ["person", "sessions", "turns", *USAGE_HEADERS, "cache hit"]
    return headers, [
        [
            person["user_id"],
            count(person["totals"]["sessions"]),
            count(person["totals"]["turns"]),
            *usage_cells(person["totals"]),
            pct(None if person["cache"]["hit_ratio"] is None else 100 * person["cache"]["hit_ratio"]),
        ]
        for person in entries
    ]
