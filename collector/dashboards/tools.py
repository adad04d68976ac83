"""Tools: calls, error rate and p50/p95 duration per tool; the slowest and the failed calls; MCP tools apart.

Built on the span metrics (traces_span_metrics_*, re-emitted every 15 s, so increase() over any range is
well defined) and on TraceQL searches for single calls.
"""

from __future__ import annotations

from ccotel.collector.dashboards.panels import (
    MERGE,
    PROJECT,
    SPAN_PROJECT,
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
    stat,
    table,
    timeseries,
    traceql_search,
)

BUILTIN = 'gen_ai_tool_name!~"mcp__.*"'
MCP = 'gen_ai_tool_name=~"mcp__.*"'


def _selector(which: str, *extra: str) -> str:
    return ", ".join(('gen_ai_operation_name="execute_tool"', which, PROJECT, *extra))


def _calls(which: str, *extra: str, window: str = "$__range", by: str = "gen_ai_tool_name") -> str:
    return f"sum by ({by}) (increase(traces_span_metrics_calls_total{{{_selector(which, *extra)}}}[{window}]))"


def _quantile(q: float, which: str, window: str = "$__range") -> str:
    buckets = f"traces_span_metrics_duration_seconds_bucket{{{_selector(which)}}}"
    return f"histogram_quantile({q}, sum by (le, gen_ai_tool_name) (increase({buckets}[{window}])))"


def _per_tool_table(title: str, which: str, pos: Json) -> Json:
    errors = 'status_code="STATUS_CODE_ERROR"'
    # Tools without a single error get 0 (not a missing cell): errors `or` calls*0, divided by calls.
    error_ratio = f"({_calls(which, errors)} or {_calls(which)} * 0) / {_calls(which)}"
    targets = [
        prom(_calls(which), instant=True, table=True, ref="A"),
        prom(f"{_calls(which, errors)} or {_calls(which)} * 0", instant=True, table=True, ref="B"),
        prom(error_ratio, instant=True, table=True, ref="C"),
        prom(_quantile(0.5, which), instant=True, table=True, ref="D"),
        prom(_quantile(0.95, which), instant=True, table=True, ref="E"),
    ]
    names = {"gen_ai_tool_name": "Tool", "Value #A": "Calls", "Value #B": "Errors", "Value #C": "Error rate",
             "Value #D": "p50", "Value #E": "p95"}
    return table(title, targets, pos, transformations=[MERGE, rename(names)], sort_by="Calls",
                 overrides=[field_unit("Error rate", "percentunit"), field_unit("p50", "s"),
                            field_unit("p95", "s"), field_unit("Calls", "none"), field_unit("Errors", "none")],
                 description="In the selected range. Durations from the span-metrics histogram (bucket "
                 "interpolation), from the tool_use line to its tool_result line.")


def _failed_and_slow(y: int, mcp: bool) -> list[Json]:
    name_filter = ('span.gen_ai.tool.name =~ "mcp__.*"' if mcp else 'span.gen_ai.tool.name !~ "mcp__.*"')
    base = f'span.gen_ai.operation.name = "execute_tool" && {name_filter} && {SPAN_PROJECT}'
    kind = "MCP tool" if mcp else "tool"
    return [
        table(f"Slowest {kind} calls (over $slow)", [traceql_search(
            f"{{ {base} && duration > $slow }} | select(span.gen_ai.tool.name, span.session.id)", limit=25)],
            grid(0, y, 12, 9), description="Calls that took longer than the `slow` variable, newest first."),
        table(f"Failed {kind} calls", [traceql_search(
            f"{{ {base} && status = error }} | select(span.gen_ai.tool.name, span.error.type, span.session.id)",
            limit=25)], grid(12, y, 12, 9), description="Calls whose result was an error, newest first."),
    ]


def build() -> Json:
    all_tools = 'gen_ai_tool_name=~".+"'
    errors = 'status_code="STATUS_CODE_ERROR"'
    panels: list[Json] = [
        row("Built-in tools", 0),
        stat("Tool calls", [prom(f"sum(increase(traces_span_metrics_calls_total{{{_selector(all_tools)}}}"
                                 "[$__range])) or vector(0)", instant=True)], grid(0, 1, 6, 4), decimals=0),
        stat("Failed tool calls", [prom(f"sum(increase(traces_span_metrics_calls_total"
                                        f"{{{_selector(all_tools, errors)}}}[$__range])) or vector(0)",
                                        instant=True)], grid(6, 1, 6, 4), decimals=0),
        stat("Tool error rate", [prom(
            f"(sum(increase(traces_span_metrics_calls_total{{{_selector(all_tools, errors)}}}[$__range])) or "
            f"vector(0)) / sum(increase(traces_span_metrics_calls_total{{{_selector(all_tools)}}}[$__range]))",
            instant=True)], grid(12, 1, 6, 4), unit="percentunit", decimals=1, no_value="no calls yet"),
        stat("MCP tool calls", [prom(f"sum(increase(traces_span_metrics_calls_total{{{_selector(MCP)}}}"
                                     "[$__range])) or vector(0)", instant=True)], grid(18, 1, 6, 4), decimals=0),
        _per_tool_table("Calls, errors and duration per tool", BUILTIN, grid(0, 5, 12, 10)),
        bargauge("Calls per tool", [prom(_calls(BUILTIN), "{{gen_ai_tool_name}}", instant=True)],
                 grid(12, 5, 12, 10), decimals=0),
        timeseries("Tool calls per minute", [prom(
            f"sum by (gen_ai_tool_name) (rate(traces_span_metrics_calls_total{{{_selector(BUILTIN)}}}"
            "[$__rate_interval])) * 60", "{{gen_ai_tool_name}}")], grid(0, 15, 12, 8), stack=True),
        timeseries("p95 duration per tool", [prom(_quantile(0.95, BUILTIN, "$__rate_interval"),
                                                  "{{gen_ai_tool_name}}")], grid(12, 15, 12, 8), unit="s"),
        *_failed_and_slow(23, mcp=False),
        row("MCP tools", 32),
        _per_tool_table("Calls, errors and duration per MCP tool", MCP, grid(0, 33, 12, 9)),
        timeseries("MCP tool calls per minute", [prom(
            f"sum by (gen_ai_tool_name) (rate(traces_span_metrics_calls_total{{{_selector(MCP)}}}"
            "[$__rate_interval])) * 60", "{{gen_ai_tool_name}}")], grid(12, 33, 12, 9), stack=True),
        *_failed_and_slow(42, mcp=True),
    ]
    slow = {"name": "slow", "label": "Slow call", "type": "custom", "query": "5s,10s,30s,1m,5m",
            "current": {"text": "10s", "value": "10s"}, "options": []}
    return dashboard("ccotel-tools", "ccotel / Tools", "Which tools Claude Code calls, how often they fail, "
                     "how long they take.", panels,
                     variables=[project_variable(), person_variable(), slow, langfuse_variable()])
