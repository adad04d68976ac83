"""The alerting rules (stack/prometheus/rules): promtool checks and unit tests, the budgets and the contact point
rendered from .env by Compose, and a real Prometheus fed with a team's Claude Code-shaped series in which every
alert fires when its condition holds and none fires when the stack is healthy and no budget is set. The same
Prometheus answers every dashboard query with data.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import REPO
from prometheus_support import Prometheus, running_prometheus
from stack_support import budget_rules, compose_model
from team_series import team_series

RULES = REPO / "stack" / "prometheus" / "rules"
RULE_TESTS = REPO / "stack" / "prometheus" / "tests"
DASHBOARDS = REPO / "stack" / "grafana" / "dashboards"
ALERTS = {"DailySpendOverBudget", "SessionSpendOverThreshold", "ToolErrorRateSpike", "CollectorRefusingData",
          "SinkFailing", "SinkQueueGrowing", "DerivedMetricsSilent", "PipelineMetricsSilent"}
BUDGETS = {"CCOTEL_DAILY_BUDGET_USD": "25", "CCOTEL_SESSION_BUDGET_USD": "10"}
# What Grafana puts in a query's variables when the dashboard shows everything of the last hour.
GRAFANA_VARIABLES = {"$__range": "1h", "$__rate_interval": "15m", "$__interval": "1h", "$project": ".*"}


def promtool(*arguments: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("promtool")
    assert binary, "promtool is missing (Debian package prometheus; .ci/run installs it)"
    return subprocess.run([binary, *map(str, arguments)], capture_output=True, text=True, cwd=cwd, timeout=120)


def rule_files() -> list[Path]:
    files = sorted(RULES.glob("*.yml"))
    assert files
    return files


def test_every_rule_file_passes_promtool_check() -> None:
    for path in rule_files():
        checked = promtool("check", "rules", path)
        assert checked.returncode == 0 and "SUCCESS" in checked.stdout, checked.stdout + checked.stderr
    alerts = {rule["alert"] for path in rule_files()
              for group in yaml.safe_load(path.read_text(encoding="utf-8"))["groups"] for rule in group["rules"]}
    assert alerts == ALERTS


def test_promtool_unit_tests_pass_and_cover_every_alert_firing() -> None:
    tests = sorted(RULE_TESTS.glob("*.yml"))
    result = promtool("test", "rules", *tests, cwd=RULE_TESTS)
    assert result.returncode == 0 and "SUCCESS" in result.stdout, result.stdout + result.stderr
    fired = {case["alertname"] for path in tests for group in yaml.safe_load(path.read_text(encoding="utf-8"))["tests"]
             for case in group.get("alert_rule_test", []) if case.get("exp_alerts")}
    assert fired == ALERTS


def test_promtool_unit_tests_fail_when_a_threshold_moves(tmp_path: Path) -> None:
    (tmp_path / "rules").mkdir()
    text = (RULES / "ccotel.yml").read_text(encoding="utf-8")
    assert ") > 0.5\n" in text
    (tmp_path / "rules" / "ccotel.yml").write_text(text.replace(") > 0.5\n", ") > 0.7\n"), encoding="utf-8")
    (tmp_path / "tests").mkdir()
    shutil.copy(RULE_TESTS / "ccotel_test.yml", tmp_path / "tests")
    result = promtool("test", "rules", "ccotel_test.yml", cwd=tmp_path / "tests")
    assert result.returncode != 0 and "ToolErrorRateSpike" in result.stdout + result.stderr


@pytest.mark.parametrize("env", [{}, {"CCOTEL_DAILY_BUDGET_USD": "0"}, BUDGETS])
def test_budgets_render_from_env_into_valid_rules(env: dict[str, str], tmp_path: Path) -> None:
    path = budget_rules(env, tmp_path)
    checked = promtool("check", "rules", path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    expressions = [rule["expr"] for rule in yaml.safe_load(path.read_text(encoding="utf-8"))["groups"][0]["rules"]]
    daily = env.get("CCOTEL_DAILY_BUDGET_USD", "0")
    assert expressions[0] == f"vector({daily}) > 0"


def test_prometheus_loads_the_rule_folder_and_the_budgets() -> None:
    config = yaml.safe_load((REPO / "stack" / "prometheus.yml").read_text(encoding="utf-8"))
    assert config["rule_files"] == ["/etc/prometheus/rules/*.yml", "/etc/prometheus/budgets.yml"]
    prometheus = compose_model({})["services"]["prometheus"]
    assert "./stack/prometheus/rules:/etc/prometheus/rules:ro" in prometheus["volumes"]
    assert prometheus["configs"] == [{"source": "prometheus-budgets", "target": "/etc/prometheus/budgets.yml"}]


def test_no_contact_point_by_default_and_a_webhook_from_env() -> None:
    def grafana_alerting(env: dict[str, str]) -> dict[str, Any]:
        model = compose_model(env)
        [mount] = model["services"]["grafana"]["configs"]
        assert mount["target"] == "/etc/grafana/provisioning/alerting/ccotel.yaml"
        return yaml.safe_load(model["configs"][mount["source"]]["content"])

    assert grafana_alerting({}) == {"apiVersion": 1}
    assert grafana_alerting({"CCOTEL_ALERT_WEBHOOK_URL": ""}) == {"apiVersion": 1}
    hook = "http://127.0.0.1:8080/hooks/ccotel?team=a"
    provisioned = grafana_alerting({"CCOTEL_ALERT_WEBHOOK_URL": hook})
    [contact] = provisioned["contactPoints"]
    assert contact["receivers"][0]["type"] == "webhook" and contact["receivers"][0]["settings"]["url"] == hook
    assert provisioned["policies"][0]["receiver"] == contact["name"]
    [rule] = provisioned["groups"][0]["rules"]
    assert rule["data"][0]["datasourceUid"] == "prometheus"
    assert rule["annotations"]["summary"].startswith("{{ $labels.prometheus_alert }} is firing")


def forwarded_query() -> str:
    """The PromQL of the Grafana rule that forwards Prometheus' firing alerts to the contact point."""
    model = compose_model({"CCOTEL_ALERT_WEBHOOK_URL": "http://127.0.0.1:1/x"})
    return str(yaml.safe_load(model["configs"]["grafana-alerting-webhook"]["content"])["groups"][0]["rules"][0]
               ["data"][0]["model"]["expr"])


def _start(directory: Path, trouble: bool) -> Iterator[Prometheus]:
    """Prometheus with the rule files (`for` set to 0s: promtool's tests cover the durations) and the budgets
    (set only with trouble), fed with the team's series, its rules evaluated after the push."""
    directory.mkdir(parents=True, exist_ok=True)
    rules = []
    for path in rule_files():
        copy = directory / path.name
        copy.write_text(re.sub(r"(?m)^(\s+for: )\S+$", r"\g<1>0s", path.read_text(encoding="utf-8")),
                        encoding="utf-8")
        rules.append(copy)
    rules.append(budget_rules(BUDGETS if trouble else {}, directory))
    with running_prometheus(directory / "prometheus", rules) as server:
        now = time.time()
        server.push(team_series(now, trouble=trouble))
        server.wait_for_evaluation_after(time.time())
        rules = [rule for group in server.rule_groups() for rule in group["rules"]]
        assert len(rules) == len(ALERTS) + 2  # and the two budget recording rules
        assert [rule["name"] for rule in rules if rule["health"] != "ok"] == []
        yield server


@pytest.fixture(scope="module")
def troubled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Prometheus]:
    yield from _start(tmp_path_factory.mktemp("troubled"), trouble=True)


def firing(server: Prometheus) -> dict[str, list[dict[str, str]]]:
    found: dict[str, list[dict[str, str]]] = {}
    for alert in server.alerts():
        if alert["state"] == "firing":
            found.setdefault(alert["labels"]["alertname"], []).append(alert["labels"])
    return found


def test_every_alert_fires_on_a_real_prometheus_when_its_condition_holds(troubled: Prometheus) -> None:
    # The series are pushed once, stamped with the wall clock, and each group is evaluated on its own 1 s
    # schedule, so a group's first evaluations can fall just before the newest samples: poll until every alert
    # is firing and Grafana's forwarding query (over the ALERTS series) sees all of them, at most 30 s.
    def state() -> tuple[dict[str, list[dict[str, str]]], set[str]]:
        return firing(troubled), {row["metric"]["prometheus_alert"] for row in troubled.query(forwarded_query())}

    deadline = time.monotonic() + 30
    alerts, forwarded = state()
    while (set(alerts) != ALERTS or forwarded != ALERTS) and time.monotonic() < deadline:
        time.sleep(0.5)
        alerts, forwarded = state()
    assert set(alerts) == ALERTS
    assert forwarded == ALERTS
    assert {labels["figure"] for labels in alerts["DailySpendOverBudget"]} == {"claude_code", "ccotel"}
    assert [(labels["session_id"], labels["user_email"]) for labels in alerts["SessionSpendOverThreshold"]] == [
        ("s-alice-1", "alice@example.com")]
    assert [labels["gen_ai_tool_name"] for labels in alerts["ToolErrorRateSpike"]] == ["Bash"]
    assert [labels["component_id"] for labels in alerts["SinkFailing"]] == ["otelcol.exporter.otlphttp.langfuse"]
    assert [labels["component_id"] for labels in alerts["SinkQueueGrowing"]] == ["otelcol.exporter.otlp.tempo"]
    assert all(labels["ccotel"] == "true" for group in alerts.values() for labels in group)


def test_no_alert_fires_when_the_stack_is_healthy_and_no_budget_is_set(tmp_path: Path) -> None:
    for server in _start(tmp_path / "healthy", trouble=False):
        assert firing(server) == {}
        # The spend is the same as in the troubled run: only the missing budgets keep those alerts off.
        assert float(server.query("sum(increase(claude_code_cost_usage_USD_total[1d]))")[0]["value"][1]) > 25
        assert server.query("ccotel_budget_daily_usd") == []


def prometheus_queries(names: tuple[str, ...] = ()) -> Iterator[tuple[str, str]]:
    for path in sorted(DASHBOARDS.glob("*.json")):
        if names and path.stem not in names:
            continue
        dashboard = json.loads(path.read_text(encoding="utf-8"))
        for item in dashboard["panels"]:
            for target in item.get("targets", []):
                if target["datasource"]["type"] == "prometheus":
                    yield f"{path.name} / {item['title']} / {target['refId']}", target["expr"]


def concrete(expr: str, person: str) -> str:
    for variable, value in {**GRAFANA_VARIABLES, "$person": person}.items():
        expr = expr.replace(variable, value)
    assert "$" not in expr.replace("$1", ""), expr
    return expr


def test_every_dashboard_query_returns_data(troubled: Prometheus) -> None:
    empty = [where for where, expr in prometheus_queries() if not troubled.query(concrete(expr, ".*"))]
    assert empty == []
    assert len(list(prometheus_queries())) > 80


def test_one_person_selected_the_team_and_activity_queries_return_that_person(troubled: Prometheus) -> None:
    for where, expr in prometheus_queries(("ccotel-team", "ccotel-activity")):
        rows = troubled.query(concrete(expr, "alice@example.com"))
        assert rows, where
        people = {row["metric"][label] for row in rows for label in ("user_id", "user_email") if label in row["metric"]}
        assert people <= {"alice@example.com"}, f"{where}: {people}"
    carol = troubled.query(concrete(next(expr for where, expr in prometheus_queries(("ccotel-team",))
                                         if where.endswith("People / A")), "carol"))
    assert [row["metric"]["user_id"] for row in carol] == ["carol"]
