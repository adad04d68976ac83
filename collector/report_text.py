"""The report as readable text (what `ccotel report` prints). Pure: report dict in, string out."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

MAX_ROWS = 15
MAX_DAYS = 31


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


_NUMERIC = re.compile(r"^(-|unpriced|[-$]?[0-9][0-9,.]*%?)$")


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], indent: str = "  ") -> list[str]:
    """Columns padded to their widest cell; numeric columns right-aligned, text columns left-aligned."""
    if not rows:
        return [f"{indent}(none)"]
    columns = list(zip(headers, *rows, strict=False))
    widths = [max(len(str(cell)) for cell in column) for column in columns]
    numeric = [
        index > 0 and all(_NUMERIC.match(str(cell)) for cell in column[1:]) for index, column in enumerate(columns)
    ]

    def line(cells: Sequence[str]) -> str:
        parts = [
            str(cell).rjust(widths[index]) if numeric[index] else str(cell).ljust(widths[index])
            for index, cell in enumerate(cells)
        ]
        return (indent + "  ".join(parts)).rstrip()

    return [line(headers), indent + "  ".join("-" * width for width in widths), *map(line, rows)]


def _usage_cells(entry: dict[str, Any]) -> list[str]:
    return [
        count(entry["calls"]),
        count(entry["input_tokens"]),
        count(entry["output_tokens"]),
        count(entry["cache_creation_tokens"]),
        count(entry["cache_read_tokens"]),
        money(entry["cost_usd"]),
    ]


USAGE_HEADERS = ["calls", "input", "output", "cache write", "cache read", "cost"]


def _section(title: str) -> list[str]:
    return ["", title, "=" * len(title)]


def render_text(report: dict[str, Any]) -> str:
    totals, cache, analyses = report["totals"], report["cache"], report["analyses"]
    sessions, days = report["sessions"], report["days"]
    span = f"{days[0]['date']} .. {days[-1]['date']} (UTC)" if days else "no activity"
    out = [
        f"ccotel report: {totals['sessions']} sessions, {count(totals['turns'])} turns, {span}",
        f"source: {report['source'].get('description', '')}",
    ]
    out += _section("Usage and spend")
    out.append(
        f"  tokens  input {count(totals['input_tokens'])} | output {count(totals['output_tokens'])} | "
        f"cache write {count(totals['cache_creation_tokens'])} | cache read "
        f"{count(totals['cache_read_tokens'])} | total {count(totals['total_tokens'])}"
    )
    unpriced = ""
    if totals["unpriced_calls"]:
        unpriced = f" ({totals['unpriced_calls']} calls unpriced: {', '.join(totals['unpriced_models'])})"
    out.append(f"  spend   {money(totals['cost_usd'])} over {count(totals['calls'])} API calls{unpriced}")
    out.append(
        f"  cache   hit ratio {pct(None if cache['hit_ratio'] is None else 100 * cache['hit_ratio'])} | "
        f"without caching {money(cache['cost_without_cache_usd'])} | saved {money(cache['saved_usd'])}"
    )
    for row in report["source"].get("server_model_totals") or []:  # Langfuse's own sums, for comparison
        out.append(
            f"  langfuse metrics (not de-duplicated): {row.get('model')}: {count(row.get('calls'))} calls, "
            f"{money(row.get('cost_usd'))}"
        )
    out += _section("By day")
    out += table(["date", *USAGE_HEADERS], [[d["date"], *_usage_cells(d)] for d in days[-MAX_DAYS:]])
    out += _more(len(days), MAX_DAYS, "earlier days")
    out += _section("By project")
    out += table(
        ["project", "sessions", "turns", *USAGE_HEADERS],
        [
            [p["project"], count(p["sessions"]), count(p["turns"]), *_usage_cells(p)]
            for p in report["projects"][:MAX_ROWS]
        ],
    )
    out += _more(len(report["projects"]), MAX_ROWS, "more projects")
    out += _section("By model")
    out += table(["model", *USAGE_HEADERS], [[m["model"], *_usage_cells(m)] for m in report["models"]])
    out += _section("Sessions (most expensive first)")
    ranked = sorted(sessions, key=lambda s: (-(s["cost_usd"] or 0), -s["total_tokens"]))[:MAX_ROWS]
    out += table(
        ["session", "project", "first activity", "turns", *USAGE_HEADERS],
        [
            [
                s["session_id"][:8],
                s["project"][-30:],
                (s["first_activity"] or "")[:16],
                count(s["turns"]),
                *_usage_cells(s),
            ]
            for s in ranked
        ],
    )
    out += _more(len(sessions), MAX_ROWS, "more sessions")
    out += render_analyses(analyses)
    return "\n".join(out) + "\n"


def render_analyses(analyses: dict[str, Any]) -> list[str]:
    out = _section("Tool use by category")
    out += table(
        ["category", "calls", "share"],
        [[c["category"], count(c["calls"]), pct(c["pct"])] for c in analyses["tool_categories"]],
    )
    out += _section("Turns per session")
    out += table(["turns", "sessions"], [[b["bucket"], count(b["sessions"])] for b in analyses["turns_per_session"]])
    out += _section("Productivity by session length")
    out += table(
        ["session length", "sessions", "turns", "edits", "reads", "edits/turn", "read:write"],
        [
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
        ],
    )
    rbe, explore = analyses["read_before_edit"], analyses["exploration_to_edit"]
    out += _section("Habits")
    out.append(
        f"  read before edit     {count(rbe['edits_after_read'])} of {count(rbe['edits'])} edits "
        f"({pct(rbe['pct'])}) touched a file Read earlier in the session"
    )
    out.append(
        f"  exploration -> edit  {count(explore['converted_turns'])} of "
        f"{count(explore['exploration_turns'])} "
        f"turns that read or searched ({pct(explore['pct'])}) went on to edit"
    )
    out += _section("Most expensive turns")
    out += table(
        ["session", "turn", "calls", "tools", "tokens", "cost", "prompt"],
        [
            [
                t["session_id"][:8],
                count(t["turn_index"]),
                count(t["calls"]),
                count(t["tool_calls"]),
                count(t["total_tokens"]),
                money(t["cost_usd"]),
                _one_line(t["prompt"], 50),
            ]
            for t in analyses["expensive_turns"]
        ],
    )
    out += _section("Most expensive calls")
    out += table(
        ["session", "turn", "model", "context", "output", "cost"],
        [
            [
                c["session_id"][:8],
                count(c["turn_index"]),
                c["model"],
                count(c["context_tokens"]),
                count(c["output_tokens"]),
                money(c["cost_usd"]),
            ]
            for c in analyses["expensive_calls"]
        ],
    )
    out += _section("Repeated prompts (candidates for skills or subagents)")
    out += table(
        ["times", "sessions", "prompt"],
        [[count(p["count"]), count(p["sessions"]), _one_line(p["prompt"], 70)] for p in analyses["repeated_prompts"]],
    )
    compactions = analyses["compactions"]
    out += _section("Context growth (largest contexts)")
    out.append(f"  compactions: {compactions['total']} in {compactions['sessions']} sessions")
    out += table(
        ["session", "calls", "first", "mean", "peak", "last", "compactions"],
        [
            [
                c["session_id"][:8],
                count(c["calls"]),
                count(c["first_context_tokens"]),
                count(c["mean_context_tokens"]),
                count(c["peak_context_tokens"]),
                count(c["last_context_tokens"]),
                count(c["compactions"]),
            ]
            for c in analyses["context_growth"]
        ],
    )
    out += _section("Tool error hot spots")
    out += table(
        ["tool", "errors", "calls", "error rate"],
        [
            [
                e["tool"],
                count(e["errors"]),
                count(e["calls"]),
                pct(None if e["error_rate"] is None else 100 * e["error_rate"]),
            ]
            for e in analyses["tool_errors"][:MAX_ROWS]
        ],
    )
    out += _section("Subagents")
    out += table(
        ["agent", "runs", "calls", "tokens", "cost"],
        [
            [a["agent"], count(a["runs"]), count(a["calls"]), count(a["total_tokens"]), money(a["cost_usd"])]
            for a in analyses["subagents"]
        ],
    )
    return out


def _more(total: int, shown: int, what: str) -> list[str]:
    return [f"  ... {total - shown:,} {what} (--json lists them all)"] if total > shown else []


def _one_line(text: str, width: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 3] + "..."
