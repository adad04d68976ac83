"""Every PromQL query of every dashboard returns data over the test's series (an empty query is a broken panel),
and every alert rule of stack/prometheus/rules evaluates without error. What cannot run here (TraceQL, LogQL,
Alloy's own internal metrics) is listed by name as unverified, outside the count."""

from __future__ import annotations

from e2e import summary
from e2e.conftest import PipelineRun, wait_until
from e2e.dashboards import queries


def test_every_dashboard_query_returns_data(pipeline: PipelineRun) -> None:
    found = queries()
    runnable = [query for query in found if query.unverified_reason is None]
    summary.unverified[:] = [f"{q.where}: {q.unverified_reason}" for q in found if q.unverified_reason]

    def empty() -> list[str]:
        return [f"{q.where}: {q.expr}" for q in runnable if not pipeline.prometheus.query(q.expr)]

    # span metrics are flushed every 15 s and increase() needs two samples: give them a few flushes
    wait_until(lambda: not empty(), timeout=90, step=3)
    missing = empty()
    summary.record("queries_ok", len(runnable) - len(missing))
    summary.record("queries", len(runnable))
    assert len(runnable) > 40
    assert missing == []


def test_every_alert_rule_is_evaluated_without_error(pipeline: PipelineRun) -> None:
    prometheus = pipeline.prometheus
    wait_until(lambda: prometheus.rules_state()[0] == prometheus.rules_state()[1], timeout=10)
    good, total, bad = prometheus.rules_state()
    summary.record("rules_ok", good)
    summary.record("rules", total)
    assert (total > 0) == bool(prometheus.rules)
    assert bad == []


def test_the_spend_alerts_fire_when_the_run_spends_more_than_the_budgets(pipeline: PipelineRun) -> None:
    """The budgets are rendered from .env the way the stack renders them (conftest.BUDGETS, below what the run
    spends): both figures of the daily spend and every session of Claude Code's own telemetry are over them."""
    prometheus = pipeline.prometheus

    def firing(alert: str) -> list[dict[str, str]]:
        return [row["metric"] for row in prometheus.query(f'ALERTS{{alertname="{alert}", alertstate="firing"}}')]

    sessions = {row["metric"]["session_id"] for row in prometheus.query(
        "sum by (session_id) (claude_code_cost_usage_USD_total)")}
    assert sessions, "the run sent no native cost series"
    wait_until(lambda: len(firing("DailySpendOverBudget")) == 2
               and {m["session_id"] for m in firing("SessionSpendOverThreshold")} == sessions, timeout=30)
    assert sorted(m["figure"] for m in firing("DailySpendOverBudget")) == ["ccotel", "claude_code"]
    assert {m["session_id"] for m in firing("SessionSpendOverThreshold")} == sessions
    assert all(m["ccotel"] == "true" for m in firing("DailySpendOverBudget"))
