"""The report as readable text (what `ccotel report` prints). Pure: report dict in, string out."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from ccotel.collector.report import tables as tables
from ccotel.collector.report.tables import count, money, pct

MAX_ROWS = 15
MAX_DAYS = 31


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
    out += table(*tables.days(days[-MAX_DAYS:]))
    out += _more(len(days), MAX_DAYS, "earlier days")
    out += _section("By project")
    out += table(*tables.projects(report["projects"][:MAX_ROWS]))
    out += _more(len(report["projects"]), MAX_ROWS, "more projects")
    out += _section("By model")
    out += table(*tables.models(report["models"]))
    out += _section("Sessions (most expensive first)")
    ranked = sorted(sessions, key=lambda s: (-(s["cost_usd"] or 0), -s["total_tokens"]))[:MAX_ROWS]
    out += table(*tables.sessions(ranked, short=True))
    out += _more(len(sessions), MAX_ROWS, "more sessions")
    out += render_analyses(analyses)
    out += render_tips(report.get("tips", []))
    if report.get("team"):
        out += render_team(report["team"])
    return "\n".join(out) + "\n"


def render_team(people: Sequence[dict[str, Any]]) -> list[str]:
    """The team breakdown: one usage row per person, then each person's models, analyses and tips."""
    out = _section("By person (Langfuse user id)")
    out += table(*tables.people(people))
    for person in people:
        out += _section(f"Person: {person['user_id']}")
        out += table(*tables.models(person["models"]))
        out += render_analyses(person["analyses"])
        out += render_tips(person["tips"])
    return out


def render_tips(tips: Sequence[dict[str, Any]]) -> list[str]:
    out = _section("Tips (each with its evidence and what it cost)")
    out += table(*tables.tips(tips, short=True))
    for tip in tips:
        out += ["", f"  {tip['kind']}: {tip['summary']}"]
        out += table(*tables.tip_evidence(tip, short=True), indent="    ")
    return out


def render_analyses(analyses: dict[str, Any]) -> list[str]:
    out = _section("Tool use by category")
    out += table(*tables.tool_categories(analyses))
    out += _section("Turns per session")
    out += table(*tables.turns_per_session(analyses))
    out += _section("Productivity by session length")
    out += table(*tables.productivity(analyses))
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
    out += table(*tables.expensive_turns(analyses, short=True))
    out += _section("Most expensive calls")
    out += table(*tables.expensive_calls(analyses, short=True))
    out += _section("Repeated prompts (candidates for skills or subagents)")
    out += table(*tables.repeated_prompts(analyses, short=True))
    compactions = analyses["compactions"]
    out += _section("Context growth (largest contexts)")
    out.append(f"  compactions: {compactions['total']} in {compactions['sessions']} sessions")
    out += table(*tables.context_growth(analyses, short=True))
    out += _section("Tool error hot spots")
    out += table(*tables.tool_errors(analyses["tool_errors"][:MAX_ROWS]))
    out += _section("Subagents")
    out += table(*tables.subagents(analyses))
    return out


def _more(total: int, shown: int, what: str) -> list[str]:
    return [f"  ... {total - shown:,} {what} (--json lists them all)"] if total > shown else []
