"""Small builders for Grafana dashboard JSON: datasources, queries, panels, variables, links.

The dashboards are written in Python (dashboards_*.py beside this file) and rendered to JSON by render.py;
the JSON files in stack/grafana/dashboards are what Grafana loads, committed, and checked by
tests/stack/test_dashboards.py (a stale render fails there).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

Json = dict[str, Any]

PROMETHEUS: Json = {"type": "prometheus", "uid": "prometheus"}
TEMPO: Json = {"type": "tempo", "uid": "tempo"}
LOKI: Json = {"type": "loki", "uid": "loki"}

# Every Prometheus query is filtered by the dashboard's project and person variables; spans carry
# claude_code.project and user.id (CCOTEL_USER_ID, default the OS user). Claude Code's own metrics have no
# project; their person is user.email (OAuth login), so set CCOTEL_USER_ID to that email to join the two.
PERSON = 'user_id=~"$person"'
PROJECT = f'claude_code_project=~"$project", {PERSON}'
NATIVE_PERSON = 'user_email=~"$person"'
SPAN_PROJECT = 'span.claude_code.project =~ "$project" && span.user.id =~ "$person"'
TURN = 'gen_ai_operation_name="invoke_agent", gen_ai_agent_name="claude-code"'
ROOT_SPANS = 'span.gen_ai.operation.name = "invoke_agent" && span.gen_ai.agent.name = "claude-code"'
CHAT_SPANS = 'span.gen_ai.operation.name = "chat"'


def prom(expr: str, legend: str = "", *, instant: bool = False, table: bool = False, ref: str = "A") -> Json:
    target: Json = {"refId": ref, "datasource": PROMETHEUS, "expr": expr, "legendFormat": legend or "__auto",
                    "range": not instant, "instant": instant, "editorMode": "code"}
    if table:
        target["format"] = "table"
    return target


def traceql_metrics(query: str, *, instant: bool = False, ref: str = "A") -> Json:
    """A TraceQL metrics query (`{...} | sum_over_time(...)`): exact sums over the spans themselves."""
    return {"refId": ref, "datasource": TEMPO, "queryType": "traceql", "query": query,
            "metricsQueryType": "instant" if instant else "range", "limit": 20, "tableType": "traces"}


def traceql_search(query: str, *, limit: int = 20, table: str = "spans", ref: str = "A") -> Json:
    return {"refId": ref, "datasource": TEMPO, "queryType": "traceql", "query": query, "limit": limit,
            "spss": 3, "tableType": table}


def loki(expr: str, *, ref: str = "A") -> Json:
    return {"refId": ref, "datasource": LOKI, "expr": expr, "queryType": "range", "editorMode": "code"}


def grid(x: int, y: int, w: int, h: int) -> Json:
    return {"x": x, "y": y, "w": w, "h": h}


def panel(kind: str, title: str, targets: list[Json], pos: Json, *, description: str = "", unit: str = "",
          decimals: int | None = None, options: Json | None = None, overrides: list[Json] | None = None,
          transformations: list[Json] | None = None, time_from: str | None = None, custom: Json | None = None,
          links: list[Json] | None = None, thresholds: list[Json] | None = None,
          no_value: str | None = None, min_interval: str | None = None) -> Json:
    datasource = targets[0]["datasource"] if targets else PROMETHEUS
    defaults: Json = {"custom": custom or {}}
    if unit:
        defaults["unit"] = unit
    if decimals is not None:
        defaults["decimals"] = decimals
    if links:
        defaults["links"] = links
    if no_value is not None:
        defaults["noValue"] = no_value  # what an empty result means, instead of "No data"
    if thresholds is not None:
        defaults["thresholds"] = {"mode": "absolute", "steps": thresholds}
    result: Json = {"type": kind, "title": title, "description": description, "datasource": datasource,
                    "gridPos": pos, "targets": targets,
                    "fieldConfig": {"defaults": defaults, "overrides": overrides or []},
                    "options": options or {}}
    if transformations:
        result["transformations"] = transformations
    if min_interval:
        result["interval"] = min_interval  # $__interval never below it: every window holds several samples
    if time_from:
        result["timeFrom"] = time_from
        result["hideTimeOverride"] = False
    return result


def stat(title: str, targets: list[Json], pos: Json, **kwargs: Any) -> Json:
    options = {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
               "colorMode": "none", "graphMode": "none", "textMode": "value_and_name"
               if len(targets) > 1 else "value", "justifyMode": "auto"}
    return panel("stat", title, targets, pos, options=options, **kwargs)


def timeseries(title: str, targets: list[Json], pos: Json, *, bars: bool = False, stack: bool = False,
               **kwargs: Any) -> Json:
    custom = {"drawStyle": "bars" if bars else "line", "fillOpacity": 60 if bars else 10,
              "stacking": {"mode": "normal" if stack else "none", "group": "A"}, "showPoints": "never",
              "spanNulls": False, "lineWidth": 1}
    options = {"legend": {"displayMode": "table", "placement": "right", "calcs": ["sum"] if bars else ["mean"]},
               "tooltip": {"mode": "multi", "sort": "desc"}}
    return panel("timeseries", title, targets, pos, custom=custom, options=options, **kwargs)


def bargauge(title: str, targets: list[Json], pos: Json, **kwargs: Any) -> Json:
    options = {"orientation": "horizontal", "displayMode": "basic", "showUnfilled": True,
               "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False}}
    return panel("bargauge", title, targets, pos, options=options, **kwargs)


def piechart(title: str, targets: list[Json], pos: Json, **kwargs: Any) -> Json:
    options = {"pieType": "donut", "legend": {"displayMode": "table", "placement": "right", "values": ["value",
               "percent"]}, "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False}}
    return panel("piechart", title, targets, pos, options=options, **kwargs)


def table(title: str, targets: list[Json], pos: Json, *, sort_by: str | None = None, **kwargs: Any) -> Json:
    options: Json = {"showHeader": True, "cellHeight": "sm"}
    if sort_by:
        options["sortBy"] = [{"displayName": sort_by, "desc": True}]
    return panel("table", title, targets, pos, options=options, **kwargs)


def text(title: str, content: str, pos: Json) -> Json:
    return {"type": "text", "title": title, "gridPos": pos, "options": {"mode": "markdown", "content": content}}


def row(title: str, y: int) -> Json:
    return {"type": "row", "title": title, "collapsed": False, "gridPos": grid(0, y, 24, 1), "panels": []}


# Grafana joins the frames of several instant queries into one table on their common labels.
MERGE = {"id": "merge", "options": {}}
TEMPO_SERIES_TO_TABLE = [{"id": "labelsToFields", "options": {"mode": "columns"}}, MERGE]


def rename(mapping: dict[str, str], hide: tuple[str, ...] = ("Time",)) -> Json:
    return {"id": "organize", "options": {"renameByName": mapping,
                                          "excludeByName": dict.fromkeys(hide, True)}}


def field_links(field: str, links: list[Json]) -> Json:
    return {"matcher": {"id": "byName", "options": field}, "properties": [{"id": "links", "value": links}]}


def field_unit(field: str, unit: str) -> Json:
    return {"matcher": {"id": "byName", "options": field}, "properties": [{"id": "unit", "value": unit}]}


def explore_traceql(query: str, title: str) -> Json:
    """A data link that opens a TraceQL search in Explore (the query may use ${__value.raw})."""
    state = {"datasource": "tempo", "queries": [{"refId": "A", "datasource": TEMPO, "queryType": "traceql",
                                                  "query": query, "tableType": "traces", "limit": 50}],
             "range": {"from": "${__from}", "to": "${__to}"}}
    encoded = quote(json.dumps(state, separators=(",", ":")), safe="${}_.:")
    return {"title": title, "url": f"/explore?left={encoded}", "targetBlank": False}


def project_variable() -> Json:
    return {"name": "project", "label": "Project", "type": "query", "datasource": PROMETHEUS,
            "query": {"qryType": 1, "query": "label_values(traces_span_metrics_calls_total, claude_code_project)",
                      "refId": "PrometheusVariableQueryEditor-VariableQuery"},
            "definition": "label_values(traces_span_metrics_calls_total, claude_code_project)",
            "refresh": 2, "includeAll": True, "multi": True, "allValue": ".*",
            "current": {"text": ["All"], "value": ["$__all"]}, "sort": 1}


def person_variable() -> Json:
    """The person: user.id on the spans (CCOTEL_USER_ID), also matched against Claude Code's user.email."""
    definition = "label_values(traces_span_metrics_calls_total, user_id)"
    return {"name": "person", "label": "Person", "type": "query", "datasource": PROMETHEUS,
            "query": {"qryType": 1, "query": definition, "refId": "PrometheusVariableQueryEditor-VariableQuery"},
            "definition": definition, "refresh": 2, "includeAll": True, "multi": True, "allValue": ".*",
            "current": {"text": ["All"], "value": ["$__all"]}, "sort": 1,
            "description": "user.id of the spans (CCOTEL_USER_ID, default the OS user); Claude Code's own "
            "metrics match it on user.email."}


def langfuse_variable() -> Json:
    """Where Langfuse's project lives (the links to sessions and traces); change it if the port differs."""
    url = "http://localhost:3000/project/claude-code"
    return {"name": "langfuse", "label": "Langfuse project URL", "type": "textbox", "query": url,
            "current": {"text": url, "value": url}, "hide": 2}


NAVIGATION: list[Json] = [
    {"title": "ccotel dashboards", "type": "dashboards", "tags": ["ccotel"], "asDropdown": True,
     "includeVars": True, "keepTime": True},
    {"title": "Langfuse", "type": "link", "url": "${langfuse}", "targetBlank": True},
    {"title": "Traces Drilldown", "type": "link", "url": "/a/grafana-exploretraces-app/explore", "keepTime": True},
]


def dashboard(uid: str, title: str, description: str, panels: list[Json], *, variables: list[Json],
              time_from: str = "now-7d") -> Json:
    for number, item in enumerate(panels, start=1):
        item["id"] = number
    return {"uid": uid, "title": title, "description": description, "tags": ["ccotel"],
            "timezone": "browser", "editable": True, "graphTooltip": 1, "schemaVersion": 41,
            "time": {"from": time_from, "to": "now"}, "refresh": "1m",
            "templating": {"list": variables}, "annotations": {"list": []}, "links": NAVIGATION,
            "panels": panels}
