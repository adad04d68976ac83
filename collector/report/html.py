"""The report as one self-contained HTML file: inline CSS and SVG charts, no script, no network. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

from ccotel.collector.report import tables as tables
from ccotel.collector.report.tables import count, money, pct

CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:1100px;color:#1d2330;padding:0 1rem}
h1{font-size:1.5rem}h2{font-size:1.1rem;margin-top:2rem;border-bottom:1px solid #d8dce6;padding-bottom:.3rem}
.cards{display:flex;gap:1rem;flex-wrap:wrap}
.card{background:#f3f5f9;border-radius:8px;padding:.7rem 1rem;min-width:10rem}
.card b{display:block;font-size:1.3rem}table{border-collapse:collapse;width:100%;margin:.5rem 0}
td,th{padding:.25rem .5rem;border-bottom:1px solid #eceef3;text-align:right}
td:first-child,th:first-child{text-align:left}
th{font-weight:600;background:#f7f8fb}.note{color:#5b6475;font-size:.9rem}
svg text{font:11px system-ui,sans-serif}
td.text,th.text{text-align:left;max-width:30rem;overflow-wrap:anywhere}
"""
BAR = "#4a6fd8"


def _cards(items: Sequence[tuple[str, str]]) -> str:
    return (
        '<div class="cards">'
        + "".join(f'<div class="card">{escape(label)}<b>{escape(value)}</b></div>' for label, value in items)
        + "</div>"
    )


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], text_columns: Sequence[int] = ()) -> str:
    if not rows:
        return '<p class="note">(none)</p>'
    head = "".join(
        f'<th class="text">{escape(h)}</th>' if i in text_columns else f"<th>{escape(h)}</th>"
        for i, h in enumerate(headers)
    )
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="text">{escape(str(c))}</td>' if i in text_columns else f"<td>{escape(str(c))}</td>"
            for i, c in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def hbar_chart(items: Sequence[tuple[str, float]], label: str, fmt: Any = count) -> str:
    """Horizontal bars, one per item, scaled to the largest value."""
    if not items or max(value for _, value in items) <= 0:
        return '<p class="note">(no data)</p>'
    top = max(value for _, value in items)
    row, left, width = 22, 190, 520
    parts = [
        f'<svg role="img" aria-label="{escape(label)}" width="{left + width + 110}" '
        f'height="{row * len(items) + 6}" viewBox="0 0 {left + width + 110} {row * len(items) + 6}">'
    ]
    for index, (name, value) in enumerate(items):
        y = index * row + 3
        bar = max(width * value / top, 1 if value else 0)
        parts.append(
            f'<text x="{left - 6}" y="{y + 14}" text-anchor="end">{escape(name[-32:])}</text>'
            f'<rect x="{left}" y="{y}" width="{bar:.1f}" height="{row - 6}" fill="{BAR}"/>'
            f'<text x="{left + bar + 5:.1f}" y="{y + 14}">{escape(fmt(value))}</text>'
        )
    return "".join(parts) + "</svg>"


def column_chart(items: Sequence[tuple[str, float]], label: str, fmt: Any = money) -> str:
    """Vertical columns in time order (days), labelled at the ends and at the tallest column."""
    if not items or max(value for _, value in items) <= 0:
        return '<p class="note">(no data)</p>'
    top = max(value for _, value in items)
    height, width, pad = 180, 900, 40
    base = height + 24  # room above the tallest column for its label
    step = width / len(items)
    parts = [
        f'<svg role="img" aria-label="{escape(label)}" width="{width + 2 * pad}" height="{base + 30}" '
        f'viewBox="0 0 {width + 2 * pad} {base + 30}">',
        f'<line x1="{pad}" y1="{base}" x2="{width + pad}" y2="{base}" stroke="#99a"/>',
    ]
    peak = max(range(len(items)), key=lambda i: items[i][1])
    for index, (name, value) in enumerate(items):
        bar = height * value / top
        x = pad + index * step
        parts.append(
            f'<rect x="{x + step * 0.1:.1f}" y="{base - bar:.1f}" width="{step * 0.8:.1f}" '
            f'height="{bar:.1f}" fill="{BAR}"><title>{escape(name)}: {escape(fmt(value))}</title></rect>'
        )
        if index in (0, len(items) - 1):
            parts.append(f'<text x="{x + step / 2:.1f}" y="{base + 16}" text-anchor="middle">{escape(name)}</text>')
        if index == peak:
            parts.append(
                f'<text x="{x + step / 2:.1f}" y="{base - bar - 6:.1f}" text-anchor="middle">'
                f"{escape(fmt(value))}</text>"
            )
    return "".join(parts) + "</svg>"


def render_html(report: dict[str, Any], title: str = "ccotel report") -> str:
    totals, cache, analyses = report["totals"], report["cache"], report["analyses"]
    days = report["days"]
    hit = None if cache["hit_ratio"] is None else 100 * cache["hit_ratio"]
    sections = [
        f"<h1>{escape(title)}</h1>",
        f'<p class="note">{escape(report["source"].get("description", ""))}</p>',
        _cards(
            [
                ("spend", money(totals["cost_usd"])),
                ("sessions", count(totals["sessions"])),
                ("turns", count(totals["turns"])),
                ("API calls", count(totals["calls"])),
                ("tokens", count(totals["total_tokens"])),
                ("cache hit ratio", pct(hit)),
                ("saved by caching", money(cache["saved_usd"])),
            ]
        ),
        '<h2 id="days">Spend by day</h2>',
        column_chart([(d["date"], d["cost_usd"] or 0.0) for d in days], "spend by day"),
        _table(*tables.days(days)),
        '<h2 id="projects">Spend by project</h2>',
        hbar_chart([(p["project"], p["cost_usd"] or 0.0) for p in report["projects"][:15]], "spend by project", money),
        '<h2 id="models">By model</h2>',
        _table(*tables.models(report["models"])),
        '<h2 id="sessions">Sessions</h2>',
        _table(*tables.sessions(sorted(report["sessions"], key=lambda s: -(s["cost_usd"] or 0))[:50], short=False)),
        '<h2 id="tools">Tool use by category</h2>',
        hbar_chart([(c["category"], c["calls"]) for c in analyses["tool_categories"]], "tool use by category"),
        '<h2 id="turns">Turns per session</h2>',
        hbar_chart([(b["bucket"], b["sessions"]) for b in analyses["turns_per_session"]], "turns per session"),
        '<h2 id="productivity">Productivity by session length</h2>',
        _table(*tables.productivity(analyses)),
        _habits(analyses),
        '<h2 id="expensive">Most expensive turns</h2>',
        _table(*tables.expensive_turns(analyses, short=False), text_columns=(6,)),
        '<h2 id="calls">Most expensive calls</h2>',
        _table(*tables.expensive_calls(analyses, short=False)),
        '<h2 id="repeated">Repeated prompts</h2>',
        _table(*tables.repeated_prompts(analyses, short=False), text_columns=(2,)),
        '<h2 id="context">Context growth and compactions</h2>',
        hbar_chart(
            [(c["session_id"][:8], c["peak_context_tokens"]) for c in analyses["context_growth"]],
            "peak context per session",
        ),
        _table(*tables.context_growth(analyses, short=False)),
        '<h2 id="errors">Tool error hot spots</h2>',
        _table(*tables.tool_errors(analyses["tool_errors"])),
        '<h2 id="subagents">Subagents</h2>',
        _table(*tables.subagents(analyses)),
        _tips(report.get("tips", [])),
        _team(report.get("team", [])),
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body>\n"
        + "\n".join(sections)
        + "\n</body></html>\n"
    )


def _habits(analyses: dict[str, Any]) -> str:
    rbe, explore = analyses["read_before_edit"], analyses["exploration_to_edit"]
    return '<h2 id="habits">Read before edit, exploration to edit</h2>' + _cards(
        [
            ("read before edit", f"{pct(rbe['pct'])} of {count(rbe['edits'])} edits"),
            ("exploration to edit", f"{pct(explore['pct'])} of {count(explore['exploration_turns'])} turns"),
        ]
    )


def _tips(tips: Sequence[dict[str, Any]]) -> str:
    parts = ['<h2 id="tips">Tips</h2>', _table(*tables.tips(tips, short=False), text_columns=(3,))]
    for tip in tips:
        parts.append(f'<p class="note">{escape(tip["kind"])}: {escape(tip["summary"])}</p>')
        parts.append(_table(*tables.tip_evidence(tip, short=False)))
    return "\n".join(parts)


def _team(people: Sequence[dict[str, Any]]) -> str:
    if not people:
        return ""
    parts = ['<h2 id="team">By person</h2>', _table(*tables.people(people))]
    for person in people:
        parts.append(f"<h3>{escape(person['user_id'])}</h3>")
        parts.append(_table(*tables.models(person["models"])))
        parts.append(_table(*tables.tool_categories(person["analyses"])))
        parts.append(_table(*tables.productivity(person["analyses"])))
        parts.append(_tips(person["tips"]).replace('<h2 id="tips">Tips</h2>', "<h4>Tips</h4>"))
    return "\n".join(parts)
