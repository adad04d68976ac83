"""Team: one row per person — spend, turns, sessions, cache hit ratio, tool error rate, lines changed per dollar,
dollars per active hour — and spend and turns per person over time.

The person is user.id on the spans (CCOTEL_USER_ID, default the OS user). Lines changed and Claude Code's own
cost come from Claude Code's native metrics, whose person is user.email: they land on the same row when
CCOTEL_USER_ID is that email (docs/stack.md#team-view).
"""

from __future__ import annotations

from ccotel.collector.dashboards.panels import (
    MERGE,
    NATIVE_PERSON,
    PROJECT,
    Json,
    bargauge,
    dashboard,
    field_unit,
    grid,
    langfuse_variable,
    person_variable,
    project_variable,
    prom,
    rename,
    row,
    table,
    timeseries,
)

USD = "currencyUSD"
TOOL = 'gen_ai_operation_name="execute_tool"'
ERROR = 'status_code="STATUS_CODE_ERROR"'


def _per_person(metric: str, *selector: str, window: str = "$__range") -> str:
    labels = ", ".join((*selector, PROJECT))
    return f"sum by (user_id) (increase({metric}{{{labels}}}[{window}]))"


def _native_per_person(metric: str) -> str:
    """Claude Code's metric per person, its user.email written into user_id (the spans' person label)."""
    inner = f"sum by (user_email) (increase({metric}{{{NATIVE_PERSON}}}[$__range]))"
    return f'sum by (user_id) (label_replace({inner}, "user_id", "$1", "user_email", "(.+)"))'


def person_targets() -> list[Json]:
    cached = _per_person("ccotel_tokens_total", 'type="cacheRead"')
    prompt = _per_person("ccotel_tokens_total", 'type=~"input|cacheRead|cacheCreation"')
    calls = _per_person("traces_span_metrics_calls_total", TOOL)
    failed = _per_person("traces_span_metrics_calls_total", TOOL, ERROR)
    lines = _native_per_person("claude_code_lines_of_code_count_total")
    native_cost = _native_per_person("claude_code_cost_usage_USD_total")
    active = _native_per_person("claude_code_active_time_seconds_total")
    expressions = [
        _per_person("ccotel_cost_USD_total"),
        _per_person("ccotel_turns_total"),
        _per_person("ccotel_sessions_total"),
        f"{cached} / {prompt}",
        f"({failed} or {calls} * 0) / {calls}",
        lines,
        native_cost,
        f"{lines} / {native_cost}",
        active,
        f"{native_cost} / ({active} / 3600)",
    ]
    return [prom(expr, instant=True, table=True, ref=chr(ord("A") + index))
            for index, expr in enumerate(expressions)]


COLUMNS = {"user_id": "Person", "Value #A": "Spend (transcripts)", "Value #B": "Turns", "Value #C": "Sessions",
           "Value #D": "Cache hit ratio", "Value #E": "Tool error rate", "Value #F": "Lines changed",
           "Value #G": "Spend (Claude Code)", "Value #H": "Lines per dollar", "Value #I": "Active time",
           "Value #J": "Dollars per active hour"}


def build() -> Json:
    units = [field_unit("Spend (transcripts)", USD), field_unit("Spend (Claude Code)", USD),
             field_unit("Cache hit ratio", "percentunit"), field_unit("Tool error rate", "percentunit"),
             field_unit("Turns", "none"), field_unit("Sessions", "none"), field_unit("Lines changed", "none"),
             field_unit("Lines per dollar", "none"), field_unit("Active time", "s"),
             field_unit("Dollars per active hour", USD)]
    panels: list[Json] = [
        row("Per person, in the selected range", 0),
        table("People", person_targets(), grid(0, 1, 24, 10), transformations=[MERGE, rename(COLUMNS)],
              overrides=units, sort_by="Spend (transcripts)",
              description="Spend (transcripts) = ccotel's cost of the calls in the transcripts; turns and sessions "
              "from the spans; cache hit ratio = cache-read input tokens / all input tokens; tool error rate = "
              "failed / all tool calls. Lines changed (added + removed), Claude Code's own spend and lines per "
              "dollar (the two divided), active time (you and Claude) and Claude Code's dollars per active hour come "
              "from Claude Code's telemetry, matched on user.email: empty without it."),
        row("Over time", 11),
        timeseries("Spend per person (transcripts)", [prom(
            _per_person("ccotel_cost_USD_total", window="$__interval"), "{{user_id}}")], grid(0, 12, 12, 9),
            bars=True, stack=True, unit=USD, min_interval="1h"),
        timeseries("Turns per person", [prom(
            _per_person("ccotel_turns_total", window="$__interval"), "{{user_id}}")], grid(12, 12, 12, 9),
            bars=True, stack=True, decimals=0, min_interval="1h"),
        bargauge("Tool calls per person", [prom(_per_person("traces_span_metrics_calls_total", TOOL),
                                                "{{user_id}}", instant=True)], grid(0, 21, 12, 8), decimals=0),
        bargauge("Tokens per person", [prom(_per_person("ccotel_tokens_total"), "{{user_id}}", instant=True)],
                 grid(12, 21, 12, 8), unit="short", decimals=1),
    ]
    return dashboard("ccotel-team", "ccotel / Team", "Per person: spend, turns, sessions, cache hit ratio, "
                     "tool error rate, lines changed per dollar, dollars per active hour.", panels,
                     variables=[project_variable(), person_variable(), langfuse_variable()])

