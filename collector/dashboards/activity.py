"""Claude Code activity: Claude Code's own metrics (native telemetry, claude_code_*): code written, commits and
PRs, edit decisions, active time, sessions, cost and tokens as Claude Code counts them; and spend reconciled
(Claude Code's cost counter against ccotel's span cost, per model and day: what the transcripts do not show).

Claude Code's metrics carry session_id (one series per session): every query sums before anything else.
Without native telemetry these panels are empty: each says so and points at the "Turn it on" panel.
"""

from __future__ import annotations

from ccotel.collector.dashboards.panels import (
    MERGE,
    NATIVE_PERSON,
    PERSON,
    Json,
    bargauge,
    dashboard,
    field_unit,
    grid,
    langfuse_variable,
    person_variable,
    piechart,
    prom,
    rename,
    row,
    stat,
    table,
    text,
    timeseries,
)

USD = "currencyUSD"
OFF = "no data: is Claude Code's telemetry on? (first panel)"
N = NATIVE_PERSON

TURN_IT_ON = """Claude Code sends these metrics itself when its telemetry is on. In `~/.claude/settings.json` (or the
environment):

```json
{"env": {
  "CLAUDE_CODE_ENABLE_TELEMETRY": "1",
  "OTEL_METRICS_EXPORTER": "otlp",
  "OTEL_LOGS_EXPORTER": "otlp",
  "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
  "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"
}}
```

Then start a new Claude Code session; the first points arrive within a minute. Keep Claude Code's beta traces
off (the hook already sends every turn). The **Person** filter matches Claude Code's `user.email`: set
`CCOTEL_USER_ID` to that email so the spans and these metrics name the same person.
Details: docs/pipeline.md, "Claude Code's own telemetry"."""


def _sum(metric: str, selector: str = "", by: str = "", window: str = "$__range") -> str:
    labels = f"{N}, {selector}" if selector else N
    grouping = f" by ({by})" if by else ""
    return f"sum{grouping} (increase({metric}{{{labels}}}[{window}]))"


def _native_stat(title: str, expr: str, pos: Json, **kwargs: object) -> Json:
    return stat(title, [prom(expr, instant=True)], pos, no_value=OFF, **kwargs)  # type: ignore[arg-type]


def spend_in_transcripts(by_model: bool, window: str) -> str:
    """ccotel's span cost with Claude Code's label names (model), so the two figures line up."""
    inner = f"sum by (gen_ai_request_model) (increase(ccotel_cost_USD_total{{{PERSON}}}[{window}]))"
    renamed = f'label_replace({inner}, "model", "$1", "gen_ai_request_model", "(.*)")'
    return f"sum by (model) ({renamed})" if by_model else f"sum({renamed})"


def reconciliation_targets(window: str) -> list[Json]:
    native = _sum("claude_code_cost_usage_USD_total", by="model", window=window)
    spans = spend_in_transcripts(True, window)
    # Models Claude Code reports that no transcript call used (e.g. the small model of title generation)
    # count whole: spans `or` native * 0 fills them with zero.
    return [prom(native, table=True, ref="A"), prom(spans, table=True, ref="B"),
            prom(f"{native} - ({spans} or {native} * 0)", table=True, ref="C")]


def reconciliation() -> list[Json]:
    daily = reconciliation_targets("1d")
    for target in daily:
        target["interval"] = "1d"
    names = {"model": "Model", "Value #A": "Claude Code's figure", "Value #B": "ccotel (transcripts)",
             "Value #C": "Not in transcripts"}
    money = [field_unit(name, USD) for name in ("Claude Code's figure", "ccotel (transcripts)",
                                                 "Not in transcripts")]
    total_native = _sum("claude_code_cost_usage_USD_total")
    total_spans = spend_in_transcripts(False, "$__range")
    return [
        table("Spend reconciled, per model and day", daily, grid(0, 48, 16, 10), min_interval="1d",
              transformations=[MERGE, rename(names)], overrides=money, sort_by="Time",
              description="Per day (UTC) and model: Claude Code's own cost counter, ccotel's cost of the calls "
              "in the transcripts, and the difference. Claude Code also counts calls the transcript never "
              "shows (session titles, summaries, other side calls), so its figure is the larger; a large "
              "difference on a main model points at a price-table gap (Pipeline health: unpriced calls)."),
        stat("Not in transcripts", [prom(f"{total_native} - ({total_spans} or vector(0))", instant=True)],
             grid(16, 48, 8, 5), unit=USD, decimals=2, no_value=OFF,
             description="Claude Code's cost counter minus ccotel's span cost, over the selected range."),
        bargauge("Claude Code's cost by query source", [prom(
            _sum("claude_code_cost_usage_USD_total", by="query_source"), "{{query_source}}", instant=True)],
            grid(16, 53, 8, 5), unit=USD, decimals=2, no_value=OFF,
            description="main = the conversation, subagent = Task/Agent runs, auxiliary = side calls (titles, "
            "summaries) the transcript does not show."),
    ]


def build() -> Json:
    decision = "tool_name, language"
    accepted = _sum("claude_code_code_edit_tool_decision_total", 'decision="accept"', decision)
    # Pairs with no accepted decision get 0, not a missing cell.
    all_decisions = _sum("claude_code_code_edit_tool_decision_total", by=decision)
    accept_rate = f"({accepted} or {all_decisions} * 0) / {all_decisions}"
    panels: list[Json] = [
        text("Turn it on", TURN_IT_ON, grid(0, 0, 8, 10)),
        _native_stat("Sessions", _sum("claude_code_session_count_total"), grid(8, 0, 4, 5), decimals=0,
                     description="CLI sessions started (fresh, resumed, continued)."),
        _native_stat("Lines added", _sum("claude_code_lines_of_code_count_total", 'type="added"'),
                     grid(12, 0, 4, 5), decimals=0),
        _native_stat("Lines removed", _sum("claude_code_lines_of_code_count_total", 'type="removed"'),
                     grid(16, 0, 4, 5), decimals=0),
        _native_stat("Commits", f'{_sum("claude_code_commit_count_total")}', grid(20, 0, 4, 5),
                     decimals=0, description="Git commits Claude Code created."),
        _native_stat("Pull requests", _sum("claude_code_pull_request_count_total"), grid(8, 5, 4, 5),
                     decimals=0),
        _native_stat("Spend (Claude Code's figure)", _sum("claude_code_cost_usage_USD_total"), grid(12, 5, 4, 5),
                     unit=USD, decimals=2, description="Claude Code's own estimate at list price, side calls "
                     "included (the Overview's spend is ccotel's figure over the transcripts)."),
        _native_stat("Your active time", _sum("claude_code_active_time_seconds_total", 'type="user"'),
                     grid(16, 5, 4, 5), unit="s", description="Time you spent typing and reading."),
        _native_stat("Claude's active time", _sum("claude_code_active_time_seconds_total", 'type="cli"'),
                     grid(20, 5, 4, 5), unit="s", description="Time Claude Code spent working."),

        row("Code", 10),
        timeseries("Lines of code", [prom(_sum("claude_code_lines_of_code_count_total", by="type",
                                               window="$__interval"), "{{type}}")],
                   grid(0, 11, 12, 8), bars=True, decimals=0, min_interval="1h", no_value=OFF),
        timeseries("Commits and pull requests", [
            prom(_sum("claude_code_commit_count_total", window="$__interval"), "commits"),
            prom(_sum("claude_code_pull_request_count_total", window="$__interval"), "pull requests", ref="B"),
        ], grid(12, 11, 12, 8), bars=True, decimals=0, min_interval="1h", no_value=OFF),

        row("Edit decisions", 19),
        table("Edit accept rate by tool and language", [
            prom(_sum("claude_code_code_edit_tool_decision_total", by=decision), instant=True, table=True, ref="A"),
            prom(accept_rate, instant=True, table=True, ref="B"),
        ], grid(0, 20, 12, 9), transformations=[MERGE, rename(
            {"tool_name": "Tool", "language": "Language", "Value #A": "Decisions", "Value #B": "Accepted"})],
            overrides=[field_unit("Accepted", "percentunit"), field_unit("Decisions", "none")],
            sort_by="Decisions", no_value=OFF,
            description="Edit / Write / NotebookEdit permission decisions: how many, and the share accepted."),
        bargauge("Decisions by outcome and source", [prom(
            _sum("claude_code_code_edit_tool_decision_total", by="decision, source"), "{{decision}} ({{source}})",
            instant=True)], grid(12, 20, 12, 9), decimals=0, no_value=OFF,
            description="source: config (settings allow-list), hook, user_permanent / user_temporary (you "
            "accepted), user_reject / user_abort (you refused)."),

        row("Time and sessions", 29),
        timeseries("Active time: you and Claude", [prom(
            _sum("claude_code_active_time_seconds_total", by="type", window="$__interval"), "{{type}}")],
            grid(0, 30, 12, 8), bars=True, stack=True, unit="s", min_interval="1h", no_value=OFF,
            description="user = you typing and reading; cli = Claude Code working."),
        piechart("Sessions by how they started", [prom(
            _sum("claude_code_session_count_total", by="start_type"), "{{start_type}}", instant=True)],
            grid(12, 30, 12, 8), decimals=0, no_value=OFF),

        row("Cost and tokens as Claude Code reports them", 38),
        timeseries("Claude Code's cost by model", [prom(
            _sum("claude_code_cost_usage_USD_total", by="model", window="$__interval"), "{{model}}")],
            grid(0, 39, 12, 8), bars=True, stack=True, unit=USD, min_interval="1h", no_value=OFF),
        bargauge("Claude Code's tokens by model and type", [prom(
            _sum("claude_code_token_usage_tokens_total", by="model, type"), "{{model}} {{type}}", instant=True)],
            grid(12, 39, 12, 8), unit="short", decimals=1, no_value=OFF),

        row("Spend reconciled: Claude Code's figure and ccotel's", 47),
        *reconciliation(),
    ]
    return dashboard("ccotel-activity", "ccotel / Claude Code activity",
                     "Claude Code's own telemetry: code, commits, PRs, edit decisions, active time, sessions, cost "
                     "and tokens; spend reconciled with ccotel's.", panels,
                     variables=[person_variable(), langfuse_variable()])

