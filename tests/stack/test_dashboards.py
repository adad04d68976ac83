"""The provisioned dashboards: they parse, name only catalogued metrics and labels (collector/metrics/metrics.yaml),
only span-contract attributes in TraceQL, only provisioned datasources, and avoid the classic "No data"
causes (a counter read without rate/increase, a stat with nothing to show for a true zero).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import REPO
from promql_support import PromQLError, analyse

from ccotel.hook import semconv

DASHBOARDS = REPO / "stack" / "grafana" / "dashboards"
PROVISIONING = REPO / "stack" / "grafana" / "provisioning"
RATE_FUNCTIONS = {"rate", "increase", "irate", "resets"}
# Attributes the collector adds to spans (span contract, "What the collector adds").
COLLECTOR_ATTRIBUTES = {"gen_ai.usage.cost", "claude_code.cost.status", "claude_code.cost.cache_savings",
                        "claude_code.redacted"}


def dashboards() -> list[tuple[str, dict[str, Any]]]:
    files = sorted(DASHBOARDS.glob("*.json"))
    assert len(files) == 6
    return [(path.name, json.loads(path.read_text(encoding="utf-8"))) for path in files]


def panels(dashboard: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for item in dashboard["panels"]:
        yield item
        yield from item.get("panels", [])


def targets(datasource_type: str) -> Iterator[tuple[str, dict[str, Any], dict[str, Any]]]:
    for name, dashboard in dashboards():
        for item in panels(dashboard):
            for target in item.get("targets", []):
                if target["datasource"]["type"] == datasource_type:
                    yield f"{name} / {item['title']}", item, target


def catalogue() -> tuple[dict[str, str], dict[str, set[str]]]:
    """series name -> type and series name -> allowed labels, from collector/metrics/metrics.yaml."""
    data = yaml.safe_load((REPO / "collector" / "metrics" / "metrics.yaml").read_text(encoding="utf-8"))
    common = {entry["name"] for entry in data["common_labels"]} | {"__name__"}
    types, labels = {}, {}
    for metric in data["metrics"]:
        allowed = set(metric["labels"]) | common
        if metric["type"] == "histogram":
            types[metric["name"] + "_bucket"], labels[metric["name"] + "_bucket"] = "counter", allowed | {"le"}
            for suffix in ("_sum", "_count"):
                types[metric["name"] + suffix], labels[metric["name"] + suffix] = "counter", allowed
        else:
            types[metric["name"]], labels[metric["name"]] = metric["type"], allowed
    return types, labels


def test_promql_analysis_finds_names_labels_and_context() -> None:
    facts = analyse('histogram_quantile(0.95, sum by (le, tool) (increase(a_bucket{x=~"${v:regex}", y!="z"}'
                    '[$__range]))) / on (tool) group_left sum(b) or vector(0) + c offset 1h')
    assert [(s.metric, s.function, s.has_range) for s in facts.selectors] == [
        ("a_bucket", "increase", True), ("b", "sum", False), ("c", None, False)]
    assert facts.selectors[0].matchers == [("x", "=~", "x"), ("y", "!=", "z")]
    assert facts.grouping_labels == {"le", "tool"}
    assert {"histogram_quantile", "sum", "increase", "vector"} <= facts.functions
    facts = analyse("sum(increase(last_over_time(m[31d])[$__range:5m])) by (k)")
    assert [(s.metric, s.function) for s in facts.selectors] == [("m", "last_over_time")]
    with pytest.raises(PromQLError):
        analyse("sum(rate(x[5m])")


def test_every_dashboard_parses_with_unique_ids_and_uids() -> None:
    uids = [dashboard["uid"] for _, dashboard in dashboards()]
    assert sorted(uids) == ["ccotel-activity", "ccotel-overview", "ccotel-pipeline", "ccotel-sessions",
                            "ccotel-team", "ccotel-tools"]
    for name, dashboard in dashboards():
        ids = [item["id"] for item in panels(dashboard)]
        assert len(ids) == len(set(ids)), name
        for item in panels(dashboard):
            if item["type"] != "row":
                position = item["gridPos"]
                assert position["x"] + position["w"] <= 24, f"{name} / {item['title']}"


def test_the_home_dashboard_is_provisioned() -> None:
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text(encoding="utf-8"))
    home = compose["services"]["grafana"]["environment"]["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    assert home.startswith("/etc/grafana/dashboards/")
    assert (DASHBOARDS / Path(home).name).exists()


def test_every_datasource_uid_is_provisioned() -> None:
    provisioned = yaml.safe_load((PROVISIONING / "datasources" / "ccotel.yaml").read_text(encoding="utf-8"))
    uids = {source["uid"]: source["type"] for source in provisioned["datasources"]}
    assert uids == {"prometheus": "prometheus", "tempo": "tempo", "loki": "loki"}
    for source in provisioned["datasources"]:
        for link in re.findall(r"'datasourceUid': '([^']+)'", str(source.get("jsonData", {}))):
            assert link in uids, f"{source['name']} links to {link}"

    def walk(node: Any, where: str) -> Iterator[tuple[str, dict[str, Any]]]:
        if isinstance(node, dict):
            if isinstance(node.get("datasource"), dict):
                yield where, node["datasource"]
            for value in node.values():
                yield from walk(value, where)
        elif isinstance(node, list):
            for value in node:
                yield from walk(value, where)

    seen = 0
    for name, dashboard in dashboards():
        for where, reference in walk(dashboard, name):
            assert uids.get(reference["uid"]) == reference["type"], f"{where}: {reference}"
            seen += 1
    assert seen > 100


def test_promql_uses_only_catalogued_metrics_and_labels() -> None:
    types, labels = catalogue()
    checked = 0
    for where, _, target in targets("prometheus"):
        facts = analyse(target["expr"])
        assert facts.selectors, f"{where}: no metric in {target['expr']!r}"
        used_labels: set[str] = set()
        for selector in facts.selectors:
            assert selector.metric in types, f"{where}: {selector.metric} is not in collector/metrics/metrics.yaml"
            for label, _, _ in selector.matchers:
                assert label in labels[selector.metric], f"{where}: {selector.metric} has no label {label}"
            used_labels |= labels[selector.metric]
            checked += 1
        # label_replace(v, "dst", "$1", "src", "(.*)") copies a catalogued label under a new name.
        for destination, source in re.findall(r'"(\w+)", "\$1", "(\w+)"', target["expr"]):
            assert source in used_labels, f"{where}: label_replace from {source}, which none of its metrics has"
            used_labels.add(destination)
        for label in facts.grouping_labels:
            assert label in used_labels, f"{where}: groups by {label}, which none of its metrics has"
        for label in re.findall(r"\{\{\s*(\w+)\s*\}\}", target.get("legendFormat", "")):
            assert label in used_labels, f"{where}: legend uses {label}"
    assert checked > 50
    for name, dashboard in dashboards():
        for variable in dashboard["templating"]["list"]:
            if variable.get("datasource", {}).get("type") == "prometheus":
                metric, label = re.fullmatch(r"label_values\((\w+), (\w+)\)", variable["definition"]).groups()
                assert label in labels[metric], f"{name}: variable {variable['name']}"


def test_counters_are_read_through_rate_or_increase_and_gauges_are_not() -> None:
    types, _ = catalogue()
    for where, item, target in targets("prometheus"):
        if "[$__interval]" in target["expr"]:
            # A window of one scrape holds one sample, and increase() of one sample is empty.
            assert item.get("interval") in ("1m", "5m", "1h"), f"{where}: [$__interval] without a min interval"
        for selector in analyse(target["expr"]).selectors:
            if types[selector.metric] == "counter":
                assert selector.function in RATE_FUNCTIONS and selector.has_range, (
                    f"{where}: counter {selector.metric} read as {selector.function}(...) — a reset or a "
                    "burst makes the raw value meaningless")
            else:
                assert selector.function not in RATE_FUNCTIONS, f"{where}: rate of gauge {selector.metric}"


def test_stats_show_a_true_zero_instead_of_no_data() -> None:
    for name, dashboard in dashboards():
        for item in panels(dashboard):
            if item["type"] != "stat":
                continue
            no_value = item["fieldConfig"]["defaults"].get("noValue")
            for target in item["targets"]:
                if no_value is None:
                    assert target["datasource"]["type"] == "prometheus", f"{name} / {item['title']}"
                    assert target["expr"].endswith(("or vector(0)", "or vector(0))")), (
                        f"{name} / {item['title']}: an empty result would show 'No data'")


def test_traceql_names_only_span_contract_attributes() -> None:
    contract = {value for name, value in vars(semconv).items()
                if name.isupper() and isinstance(value, str) and "." in value} | COLLECTOR_ATTRIBUTES
    found = set()
    for where, _, target in targets("tempo"):
        query = target["query"]
        assert query.count("{") == query.count("}"), where
        for attribute in re.findall(r"\b(?:span|resource)\.([A-Za-z_][\w.]*)", query):
            assert attribute in contract, f"{where}: {attribute} is not in the span contract"
            found.add(attribute)
    assert {"gen_ai.usage.cost", "session.id", "claude_code.project", "claude_code.compaction"} <= found


def test_dashboard_links_to_langfuse_use_its_session_path() -> None:
    overview = json.loads((DASHBOARDS / "ccotel-overview.json").read_text(encoding="utf-8"))
    table = next(item for item in panels(overview) if item["title"] == "Most expensive sessions")
    links = table["fieldConfig"]["overrides"][0]["properties"][0]["value"]
    assert links[0]["url"] == "${langfuse}/sessions/${__value.raw}"
    variable = next(v for v in overview["templating"]["list"] if v["name"] == "langfuse")
    assert variable["query"] == "http://localhost:3000/project/claude-code"


def test_committed_json_is_the_fresh_render() -> None:
    from ccotel.collector.dashboards import render

    for name, text in render.rendered().items():
        assert (DASHBOARDS / name).read_text(encoding="utf-8") == text, (
            f"{name} is stale: python -m ccotel.collector.dashboards.render")
