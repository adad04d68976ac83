"""Sessions and turns: how long turns take, how many turns a session has, compactions, subagent use."""

from __future__ import annotations

from ccotel.collector.dashboards.panels import (
    PROJECT,
    ROOT_SPANS,
    SPAN_PROJECT,
    TEMPO_SERIES_TO_TABLE,
    TURN,
    Json,
    bargauge,
    dashboard,
    grid,
    langfuse_variable,
    loki,
    panel,
    person_variable,
    project_variable,
    prom,
    rename,
    row,
    stat,
    table,
    timeseries,
    traceql_metrics,
)

SUBAGENT = 'gen_ai_operation_name="invoke_agent", gen_ai_agent_name!="claude-code"'


def _turn_quantile(q: float, window: str = "$__range") -> str:
    return (f"histogram_quantile({q}, sum by (le) (increase(traces_span_metrics_duration_seconds_bucket"
            f"{{{TURN}, {PROJECT}}}[{window}])))")


def build() -> Json:
    turns_per_session = f"{{ {ROOT_SPANS} && {SPAN_PROJECT} }} | count_over_time() by (span.session.id)"
    compactions = f"{{ span.claude_code.compaction = true && {SPAN_PROJECT} }} | count_over_time()"
    heatmap = panel(
        "heatmap", "Turn duration over time",
        [prom(f"sum by (le) (increase(traces_span_metrics_duration_seconds_bucket{{{TURN}, {PROJECT}}}"
              "[$__rate_interval]))", "{{le}}")],
        grid(0, 5, 12, 9), unit="s",
        options={"calculate": False, "yAxis": {"unit": "s"}, "cellGap": 1,
                 "color": {"mode": "scheme", "scheme": "Oranges", "exponent": 0.5},
                 "rowsFrame": {"layout": "auto"}, "tooltip": {"mode": "single", "yHistogram": True}},
        description="Turns per duration bucket (from the prompt to the last answer, subagents included).")
    heatmap["targets"][0]["format"] = "heatmap"
    distribution = bargauge(
        "Turns that finished within …",
        [prom(f"sum by (le) (increase(traces_span_metrics_duration_seconds_bucket{{{TURN}, {PROJECT}}}"
              "[$__range]))", "≤ {{le}} s", instant=True)],
        grid(12, 5, 12, 9), decimals=0,
        description="Cumulative: how many turns of the selected range took at most each bucket's bound.")
    distribution["targets"][0]["format"] = "heatmap"

    panels: list[Json] = [
        row("Turns", 0),
        stat("Turns", [prom(f"sum(increase(traces_span_metrics_calls_total{{{TURN}, {PROJECT}}}[$__range]))"
                            " or vector(0)", instant=True)], grid(0, 1, 4, 4), decimals=0),
        stat("Median turn", [prom(_turn_quantile(0.5), instant=True)], grid(4, 1, 4, 4), unit="s",
             no_value="no turns yet"),
        stat("p95 turn", [prom(_turn_quantile(0.95), instant=True)], grid(8, 1, 4, 4), unit="s",
             no_value="no turns yet"),
        stat("Failed turns", [prom(f'sum(increase(traces_span_metrics_calls_total{{{TURN}, {PROJECT}, '
                                   'status_code="STATUS_CODE_ERROR"}[$__range])) or vector(0)', instant=True)],
             grid(12, 1, 4, 4), decimals=0, description="Turns that ended on an API error."),
        stat("Compactions", [traceql_metrics(compactions, instant=True)], grid(16, 1, 4, 4), decimals=0,
             no_value="0", description="Calls that summarised the conversation to free context."),
        stat("Subagent runs", [prom(f"sum(increase(traces_span_metrics_calls_total{{{SUBAGENT}, {PROJECT}}}"
                                    "[$__range])) or vector(0)", instant=True)], grid(20, 1, 4, 4), decimals=0),
        heatmap,
        distribution,

        row("Sessions", 14),
        panel("histogram", "Turns per session", [traceql_metrics(turns_per_session, instant=True)],
              grid(0, 15, 12, 9), transformations=TEMPO_SERIES_TO_TABLE,
              options={"bucketCount": 20, "combine": True, "legend": {"showLegend": False}},
              description="How many turns the sessions of the selected range had."),
        table("Longest sessions (turns)", [traceql_metrics(f"{turns_per_session} | topk(15)", instant=True)],
              grid(12, 15, 12, 9), sort_by="Turns",
              transformations=[*TEMPO_SERIES_TO_TABLE, rename({"span.session.id": "Session", "Value": "Turns"})],
              overrides=[{"matcher": {"id": "byName", "options": "Session"}, "properties": [
                  {"id": "links", "value": [{"title": "Open the session in Langfuse", "targetBlank": True,
                                             "url": "${langfuse}/sessions/${__value.raw}"}]}]}]),

        row("Compactions and subagents", 24),
        timeseries("Compactions", [traceql_metrics(compactions)], grid(0, 25, 12, 8), bars=True, decimals=0,
                   description="Auto-compactions and /compact, over time."),
        bargauge("Subagent runs by type", [prom(
            f"sum by (gen_ai_agent_name) (increase(traces_span_metrics_calls_total{{{SUBAGENT}, {PROJECT}}}"
            "[$__range]))", "{{gen_ai_agent_name}}", instant=True)], grid(12, 25, 12, 8), decimals=0),
        timeseries("Subagent p95 duration by type", [prom(
            "histogram_quantile(0.95, sum by (le, gen_ai_agent_name) (increase("
            f"traces_span_metrics_duration_seconds_bucket{{{SUBAGENT}, {PROJECT}}}[$__rate_interval])))",
            "{{gen_ai_agent_name}}")], grid(0, 33, 24, 8), unit="s"),

        row("Turn log", 41),
        panel("logs", "One line per turn (Loki)", [loki(
            '{service_name="claude-code"} | event_name = "ccotel.turn"')],
            grid(0, 42, 24, 10), options={"showTime": True, "wrapLogMessage": True, "sortOrder": "Descending",
                                          "enableLogDetails": True},
            description="The pipeline writes one log line per turn (span, duration, project, trace id), all "
            "projects and people: expand a line and follow its trace_id to Tempo."),
    ]
    return dashboard("ccotel-sessions", "ccotel / Sessions and turns",
                     "Turn durations, turns per session, compactions and subagents.", panels,
                     variables=[project_variable(), person_variable(), langfuse_variable()])
