"""Overview: spend (today, 7 and 30 days, by model and project), tokens, cache, turns and sessions, and the
most expensive sessions with links to Langfuse and Tempo.

Spend comes from Tempo (TraceQL metrics over gen_ai.usage.cost on the chat spans): exact sums at each span's
own time, so a backfill lands on the right day and a quiet hour shows $0, not a gap. Counts and ratios come
from Prometheus (span metrics and the derived token counters of collector/metrics/metrics.yaml).
"""

from __future__ import annotations

from ccotel.collector.dashboards.panels import (
    CHAT_SPANS,
    PROJECT,
    ROOT_SPANS,
    SPAN_PROJECT,
    TEMPO_SERIES_TO_TABLE,
    TURN,
    Json,
    bargauge,
    dashboard,
    explore_traceql,
    field_links,
    field_unit,
    grid,
    langfuse_variable,
    person_variable,
    piechart,
    project_variable,
    prom,
    rename,
    row,
    stat,
    table,
    timeseries,
    traceql_metrics,
    traceql_search,
)

COST = f"{{ {CHAT_SPANS} && {SPAN_PROJECT} }} | sum_over_time(span.gen_ai.usage.cost)"
USD = "currencyUSD"
NO_SPEND = "$0.00"


# Which figure the spend panels use: ccotel's, over the calls the transcripts hold.
FIGURE = ("Figure: ccotel's — the API calls in the transcripts, priced by ccotel's price table. Claude Code's own "
          "cost counter also counts side calls the transcript never shows (titles, summaries): both side by "
          "side on the Claude Code activity dashboard, “Spend reconciled”.")


def _spend_stat(title: str, x: int, time_from: str, description: str) -> Json:
    return stat(title, [traceql_metrics(COST, instant=True)], grid(x, 1, 3, 4), unit=USD, decimals=2,
                time_from=time_from, description=f"{description} {FIGURE}", no_value=NO_SPEND)


def _tokens(kind: str) -> str:
    return f'sum(increase(ccotel_tokens_total{{type=~"{kind}", {PROJECT}}}[$__range]))'


def build() -> Json:
    cache_ratio = f'{_tokens("cacheRead")} / {_tokens("input|cacheRead|cacheCreation")}'
    panels: list[Json] = [
        row("Spend and activity", 0),
        _spend_stat("Spend today (transcripts)", 0, "now/d",
                    "Cost of today's API calls (since midnight), priced by ccotel."),
        _spend_stat("Spend, 7 days (transcripts)", 3, "7d", "Cost of the API calls of the last 7 days."),
        _spend_stat("Spend, 30 days (transcripts)", 6, "30d", "Cost of the API calls of the last 30 days."),
        stat("Turns", [prom(f"sum(increase(traces_span_metrics_calls_total{{{TURN}, {PROJECT}}}[$__range]))"
                            " or vector(0)", instant=True)], grid(9, 1, 3, 4), decimals=0,
             description="Prompts typed and answered in the selected range."),
        stat("Sessions started", [traceql_metrics(
            f"{{ {ROOT_SPANS} && span.claude_code.turn.index = 1 && {SPAN_PROJECT} }} | count_over_time()",
            instant=True)], grid(12, 1, 3, 4), decimals=0, no_value="0",
            description="Sessions whose first turn falls in the selected range."),
        stat("API calls", [prom('sum(increase(traces_span_metrics_calls_total{gen_ai_operation_name="chat", '
                                f'{PROJECT}}}[$__range])) or vector(0)', instant=True)], grid(15, 1, 3, 4),
             decimals=0, description="Requests to the model (chat spans), subagents included."),
        stat("Cache hit ratio", [prom(cache_ratio, instant=True)], grid(18, 1, 3, 4), unit="percentunit",
             decimals=1, no_value="no calls yet",
             description="Input tokens read from the prompt cache / all input tokens (uncached + cache read + "
             "cache write)."),
        stat("What caching saved", [traceql_metrics(
            f"{{ {CHAT_SPANS} && {SPAN_PROJECT} }} | sum_over_time(span.claude_code.cost.cache_savings)",
            instant=True)], grid(21, 1, 3, 4), unit=USD, decimals=2, no_value=NO_SPEND,
            description="What the same API calls would have cost with no prompt caching (every prompt token at "
            "the uncached input price), minus what they cost; cache writes cost more than input, so a session "
            "that only writes can save less than nothing."),

        timeseries("Spend over time, by model", [traceql_metrics(
            f"{{ {CHAT_SPANS} && {SPAN_PROJECT} }} | sum_over_time(span.gen_ai.usage.cost) "
            "by (span.gen_ai.request.model)")], grid(0, 5, 12, 9), bars=True, stack=True, unit=USD,
            description=f"Cost per time bucket, stacked by model (TraceQL metrics over the chat spans). {FIGURE}"),
        piechart("Spend by model", [traceql_metrics(
            f"{{ {CHAT_SPANS} && {SPAN_PROJECT} }} | sum_over_time(span.gen_ai.usage.cost) "
            "by (span.gen_ai.request.model)", instant=True)], grid(12, 5, 6, 9), unit=USD, decimals=2),
        bargauge("Spend by project", [traceql_metrics(
            f"{{ {CHAT_SPANS} && {SPAN_PROJECT} }} | sum_over_time(span.gen_ai.usage.cost) "
            "by (span.claude_code.project)", instant=True)], grid(18, 5, 6, 9), unit=USD, decimals=2),

        bargauge("Tokens by type", [prom(
            f'sum by (type) (increase(ccotel_tokens_total{{{PROJECT}}}[$__range]))', "{{type}}",
            instant=True)], grid(0, 14, 8, 7), unit="short", decimals=1,
            description="input = uncached input; cacheRead / cacheCreation = read from / written to the "
            "prompt cache; output. The four add up to every token of every API call."),
        timeseries("Turns and API calls", [
            prom(f"sum(increase(traces_span_metrics_calls_total{{{TURN}, {PROJECT}}}[$__interval]))", "turns"),
            prom('sum(increase(traces_span_metrics_calls_total{gen_ai_operation_name="chat", '
                 f'{PROJECT}}}[$__interval]))', "API calls", ref="B"),
        ], grid(8, 14, 10, 7), bars=True, decimals=0, min_interval="1m"),
        stat("Unpriced API calls", [prom(f"sum(increase(ccotel_unpriced_calls_total{{{PROJECT}}}[$__range]))"
                                         " or vector(0)", instant=True)], grid(18, 14, 6, 7), decimals=0,
             thresholds=[{"color": "green", "value": None}, {"color": "red", "value": 1}],
             description="Calls to a model missing from the price table: the spend above leaves them out. "
             "Add the model (collector price overrides), then re-render the pipeline."),

        row("Sessions", 21),
        _expensive_sessions(),
        table("Recent turns", [traceql_search(
            f"{{ {ROOT_SPANS} && {SPAN_PROJECT} }} | select(span.claude_code.turn.index, span.session.id, "
            "span.claude_code.project)", limit=30, table="traces")], grid(12, 22, 12, 11),
            description="The latest turns; click a trace id to open it."),
    ]
    return dashboard("ccotel-overview", "ccotel / Overview",
                     "What Claude Code cost and did: spend (ccotel's figure, from the transcripts), tokens, "
                     "cache, turns, sessions.", panels,
                     variables=[project_variable(), person_variable(), langfuse_variable()])


def _expensive_sessions() -> Json:
    query = (f"{{ {CHAT_SPANS} && {SPAN_PROJECT} }} | sum_over_time(span.gen_ai.usage.cost) "
             "by (span.session.id, span.claude_code.project) | topk(15)")
    links = [
        {"title": "Open the session in Langfuse", "url": "${langfuse}/sessions/${__value.raw}",
         "targetBlank": True},
        explore_traceql('{ span.session.id = "${__value.raw}" }', "Open the session's traces in Tempo"),
    ]
    return table("Most expensive sessions", [traceql_metrics(query, instant=True)], grid(0, 22, 12, 11),
                 transformations=[*TEMPO_SERIES_TO_TABLE,
                                  rename({"span.session.id": "Session", "span.claude_code.project": "Project",
                                          "Value": "Spend"})],
                 overrides=[field_links("Session", links), field_unit("Spend", USD)], sort_by="Spend",
                 description="Sessions by spend in the selected range. Click a session for Langfuse or its "
                 "traces in Tempo.")
