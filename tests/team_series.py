"""Claude Code-shaped Prometheus series of a small team, as the ccotel pipeline writes them: Claude Code's own
metrics (claude_code_*, after delta -> cumulative), the span metrics and derived counters of the hook's spans,
and Alloy's own metrics. Names and labels follow collector/metrics/metrics.yaml.

`team_series(now, trouble)`: 40 minutes of samples every 15 s up to `now`. With trouble=True every alert
condition of stack/prometheus/rules holds: alice's session costs $24 (Claude Code's figure: $30.40 in all,
ccotel's $28.50), Bash fails 2 calls in 3, the receiver refuses spans, the Langfuse sink fails, Tempo's queue
fills, the span metrics stop 6 minutes before `now` and Alloy's build info 12 minutes before. With
trouble=False the spend is the same but the pipeline and the tools are healthy.
"""

from __future__ import annotations

from prometheus_support import Labels, Series

STEP = 15.0
WINDOW = 40 * 60.0
# (span person = CCOTEL_USER_ID, Claude Code's anonymous user.id, session)
PEOPLE = {"alice@example.com": ("3f1c0a", "s-alice-1"), "bob@example.com": ("9b2d7e", "s-bob-1")}
SPAN_ONLY = "carol"
BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600, 1800, 3600)


def _times(now: float, end: float | None = None) -> list[float]:
    last = now if end is None else end
    first = now - WINDOW
    return [first + index * STEP for index in range(int((last - first) // STEP) + 1)]


def counter(name: str, labels: Labels, final: float, now: float, end: float | None = None) -> Series:
    """A counter rising evenly from 0 (the zero sample the pipeline writes at a series' start) to `final`."""
    times = _times(now, end)
    span = max(len(times) - 1, 1)
    return {"__name__": name, **labels}, [(at, final * index / span) for index, at in enumerate(times)]


def gauge(name: str, labels: Labels, first: float, last: float, now: float, end: float | None = None) -> Series:
    times = _times(now, end)
    span = max(len(times) - 1, 1)
    return {"__name__": name, **labels}, [(at, first + (last - first) * index / span)
                                          for index, at in enumerate(times)]


def histogram(name: str, labels: Labels, count: float, now: float, end: float | None) -> list[Series]:
    """Buckets with a fifth of the calls under 1 s, half under 5 s, 80 % under 30 s, all under 300 s."""
    def share(bound: float) -> float:
        for limit, fraction in ((1, 0.0), (5, 0.2), (30, 0.5), (300, 0.8)):
            if bound < limit:
                return fraction
        return 1.0

    series = [counter(f"{name}_bucket", {**labels, "le": str(bound)}, count * share(bound), now, end)
              for bound in BUCKETS]
    series.append(counter(f"{name}_bucket", {**labels, "le": "+Inf"}, count, now, end))
    series.append(counter(f"{name}_count", labels, count, now, end))
    series.append(counter(f"{name}_sum", labels, count * 20, now, end))
    return series


def _native(now: float) -> list[Series]:
    out: list[Series] = []
    scale = {"alice@example.com": 1.0, "bob@example.com": 0.25}
    for email, (install_id, session) in PEOPLE.items():
        base = {"session_id": session, "user_id": install_id, "user_email": email, "user_account_uuid": install_id,
                "organization_id": "org-1", "terminal_type": "vscode", "job": "claude-code",
                "otel_scope_name": "com.anthropic.claude_code"}
        k = scale[email]
        main = {"model": "claude-sonnet-4-5", "query_source": "main"}
        out += [
            counter("claude_code_session_count_total", {**base, "start_type": "fresh"}, 1, now),
            counter("claude_code_lines_of_code_count_total", {**base, "type": "added", **main}, 300 * k, now),
            counter("claude_code_lines_of_code_count_total", {**base, "type": "removed", **main}, 120 * k, now),
            counter("claude_code_commit_count_total", base, 4 * k, now),
            counter("claude_code_pull_request_count_total", base, 4 * k, now),
            counter("claude_code_cost_usage_USD_total", {**base, **main}, 24 * k, now),
            counter("claude_code_active_time_seconds_total", {**base, "type": "user"}, 900 * k, now),
            counter("claude_code_active_time_seconds_total", {**base, "type": "cli"}, 1500 * k, now),
            counter("claude_code_code_edit_tool_decision_total", {**base, "tool_name": "Edit", "decision": "accept",
                    "source": "user_temporary", "language": "Python"}, 12 * k, now),
            counter("claude_code_code_edit_tool_decision_total", {**base, "tool_name": "Write", "decision": "reject",
                    "source": "user_reject", "language": "TypeScript"}, 4 * k, now),
        ]
        for kind, tokens in (("input", 2000), ("output", 30000), ("cacheRead", 900000), ("cacheCreation", 50000)):
            out.append(counter("claude_code_token_usage_tokens_total", {**base, "type": kind, **main}, tokens * k,
                               now))
        if email == "alice@example.com":  # the session title: a side call no transcript shows
            out.append(counter("claude_code_cost_usage_USD_total", {**base, "model": "claude-haiku-4-5",
                               "query_source": "auxiliary"}, 0.4, now))
    return out


def tool(span: Labels, name: str) -> Labels:
    return {**span, "span_name": f"execute_tool {name}", "gen_ai_operation_name": "execute_tool",
            "gen_ai_tool_name": name}


def _spans(now: float, trouble: bool) -> list[Series]:
    out: list[Series] = []
    spans_end = now - 6 * 60 if trouble else None
    people = {"alice@example.com": ("web", 1.0), "bob@example.com": ("api", 0.25), SPAN_ONLY: ("web", 0.05)}
    for person, (project, k) in people.items():
        derived = {"job": "claude-code", "instance": "host-1", "claude_code_project": project, "user_id": person}
        model = {"gen_ai_request_model": "claude-sonnet-4-5"}
        out += [
            counter("ccotel_cost_USD_total", {**derived, **model}, 22 * k, now),
            counter("ccotel_turns_total", derived, 20 * k + 1, now),
            counter("ccotel_sessions_total", derived, 1, now),
            counter("ccotel_tool_errors_total", {**derived, "gen_ai_tool_name": "Bash", "error_type": "exit_1"},
                    20 * k, now),
            counter("ccotel_unpriced_calls_total", {**derived, "gen_ai_request_model": "claude-future-9"}, 2, now),
            counter("ccotel_redacted_spans_total", {"job": "claude-code", "claude_code_project": project,
                                                    "gen_ai_operation_name": "execute_tool"}, 3, now),
        ]
        for kind, tokens in (("input", 2000), ("output", 30000), ("cacheRead", 900000), ("cacheCreation", 50000)):
            out.append(counter("ccotel_tokens_total", {**derived, **model, "type": kind}, tokens * k, now))

        span = {"service_name": "claude-code", "span_kind": "SPAN_KIND_INTERNAL", "claude_code_project": project,
                "user_id": person, "job": "claude-code", "instance": "host-1"}
        ok, error = {"status_code": "STATUS_CODE_UNSET"}, {"status_code": "STATUS_CODE_ERROR"}
        turn = {**span, "span_name": "invoke_agent claude-code", "gen_ai_operation_name": "invoke_agent",
                "gen_ai_agent_name": "claude-code"}
        subagent = {**span, "span_name": "invoke_agent Explore", "gen_ai_operation_name": "invoke_agent",
                    "gen_ai_agent_name": "Explore"}
        chat = {**span, "span_name": "chat claude-sonnet-4-5", "gen_ai_operation_name": "chat", **model}

        bash_errors = 20 * k if trouble else 1 * k
        bash, read, mcp = tool(span, "Bash"), tool(span, "Read"), tool(span, "mcp__github__search_issues")
        calls = [(turn, ok, 20 * k), (turn, error, 1), (subagent, ok, 3), (chat, ok, 60 * k), (bash, ok, 10 * k),
                 (bash, error, bash_errors), (read, ok, 30 * k), (mcp, ok, 4), (mcp, error, 1)]
        for labels, status, count in calls:
            out.append(counter("traces_span_metrics_calls_total", {**labels, **status}, count, now, spans_end))
            out += histogram("traces_span_metrics_duration_seconds", {**labels, **status}, count, now, spans_end)
    out.append(counter("ccotel_redacted_log_records_total", {"job": "claude-code",
                                                             "event_name": "claude_code.user_prompt"}, 1, now))
    return out


def _alloy(now: float, trouble: bool) -> list[Series]:
    alloy = {"job": "alloy", "instance": "alloy-1"}
    receiver = {**alloy, "component_id": "otelcol.receiver.otlp.default", "receiver": "otlp", "transport": "http"}
    langfuse = {**alloy, "component_id": "otelcol.exporter.otlphttp.langfuse", "exporter": "otlphttp"}
    tempo = {**alloy, "component_id": "otelcol.exporter.otlp.tempo", "exporter": "otlp"}
    loki = {**alloy, "component_id": "otelcol.exporter.otlphttp.loki", "exporter": "otlphttp"}
    remote = {**alloy, "component_id": "prometheus.remote_write.default", "url": "http://prometheus:9090",
              "remote_name": "default"}
    bad = 1.0 if trouble else 0.0
    return [
        counter("otelcol_receiver_accepted_spans_total", receiver, 5000, now),
        counter("otelcol_receiver_refused_spans_total", receiver, 50 * bad, now),
        counter("otelcol_receiver_accepted_log_records_total", receiver, 300, now),
        counter("otelcol_receiver_refused_log_records_total", receiver, 0, now),
        counter("otelcol_receiver_accepted_metric_points_total", receiver, 1000, now),
        counter("otelcol_receiver_refused_metric_points_total", receiver, 0, now),
        counter("otelcol_exporter_sent_spans_total", langfuse, 4000, now),
        counter("otelcol_exporter_sent_spans_total", tempo, 5000, now),
        counter("otelcol_exporter_send_failed_spans_total", langfuse, 40 * bad, now),
        counter("otelcol_exporter_send_failed_spans_total", tempo, 0, now),
        counter("otelcol_exporter_enqueue_failed_spans_total", tempo, 0, now),
        counter("otelcol_exporter_sent_log_records_total", loki, 300, now),
        counter("otelcol_exporter_send_failed_log_records_total", loki, 0, now),
        counter("otelcol_exporter_enqueue_failed_log_records_total", loki, 0, now),
        gauge("otelcol_exporter_queue_size", {**tempo, "data_type": "traces"}, 0, 900 * bad + 2, now),
        gauge("otelcol_exporter_queue_capacity", {**tempo, "data_type": "traces"}, 1000, 1000, now),
        gauge("otelcol_exporter_queue_size", {**langfuse, "data_type": "traces"}, 1, 1, now),
        gauge("otelcol_exporter_queue_capacity", {**langfuse, "data_type": "traces"}, 1000, 1000, now),
        counter("prometheus_remote_storage_samples_total", remote, 90000, now),
        counter("prometheus_remote_storage_samples_failed_total", remote, 0, now),
        counter("prometheus_remote_storage_samples_retried_total", remote, 12, now),
        gauge("prometheus_remote_storage_samples_pending", remote, 0, 5, now),
        gauge("alloy_component_controller_running_components", {**alloy, "health_type": "healthy"}, 40, 40, now),
        gauge("alloy_component_controller_running_components", {**alloy, "health_type": "unhealthy"}, 0, 0, now),
        gauge("alloy_build_info", {**alloy, "version": "v1.19.2"}, 1, 1, now, now - 12 * 60 if trouble else None),
    ]


def team_series(now: float, trouble: bool) -> list[Series]:
    return [*_native(now), *_spans(now, trouble), *_alloy(now, trouble)]
