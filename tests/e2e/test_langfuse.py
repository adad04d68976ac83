"""The Langfuse sink gets what Langfuse's OTLP mapping needs (reference/langfuse-otlp.md): its route, Basic auth
with the project keys, ingestion version 4, protobuf; session.id and user.id on every span; usage and a numeric
cost on every generation, none on agent spans; input/output on generations and tools."""

from __future__ import annotations

import base64
from pathlib import Path

from e2e.conftest import LANGFUSE_KEYS, USER_ID, PipelineRun


def test_requests_carry_the_route_auth_and_headers_langfuse_needs(pipeline: PipelineRun) -> None:
    requests = pipeline.sinks["langfuse"].snapshot()[2]
    assert requests
    token = base64.b64encode(f"{LANGFUSE_KEYS[0]}:{LANGFUSE_KEYS[1]}".encode()).decode()
    for request in requests:
        assert request.path == "/api/public/otel/v1/traces"
        assert request.headers.get("authorization") == f"Basic {token}"
        assert request.headers.get("x-langfuse-ingestion-version") == "4"
        assert "application/x-protobuf" in request.headers.get("content-type", "")


def test_spans_carry_session_user_usage_cost_and_input_output(pipeline: PipelineRun) -> None:
    expected = pipeline.expected_ids()
    spans = [span for span in pipeline.sinks["langfuse"].snapshot()[0] if span.span_id in expected]
    by_session = {session.session_id: set(session.expected) for session in pipeline.sessions}
    problems = []
    for span in spans:
        attributes = span.attributes
        owner = [sid for sid, ids in by_session.items() if span.span_id in ids]
        if attributes.get("session.id") != (owner[0] if owner else None):
            problems.append((span.name, "session.id", attributes.get("session.id")))
        if attributes.get("user.id") != USER_ID:
            problems.append((span.name, "user.id", attributes.get("user.id")))
        if span.operation == "chat":
            for key in ("gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens"):
                if key not in attributes:
                    problems.append((span.name, key, None))
            tokens = sum(int(attributes.get(key) or 0) for key in attributes if key.startswith("gen_ai.usage.")
                         and key.endswith("_tokens"))
            if tokens and "gen_ai.request.model" not in attributes:  # API-error lines (`<synthetic>`) have none
                problems.append((span.name, "gen_ai.request.model", None))
            if attributes.get("claude_code.cost.status") != "unpriced" and not isinstance(
                    attributes.get("gen_ai.usage.cost"), float):
                problems.append((span.name, "gen_ai.usage.cost", attributes.get("gen_ai.usage.cost")))
        if span.operation == "invoke_agent" and any(key.startswith("gen_ai.usage.") for key in attributes):
            problems.append((span.name, "usage on an agent span", None))
    assert problems == []
    generated = [s for s in spans if s.attributes.get("session.id") == pipeline.generated.session_id]
    chats = [s for s in generated if s.operation == "chat"]
    tools = [s for s in generated if s.operation == "execute_tool"]
    assert len(chats) == pipeline.generated.chat_calls and len(tools) == pipeline.generated.tool_calls
    assert all("gen_ai.input.messages" in s.attributes and "gen_ai.output.messages" in s.attributes for s in chats)
    assert all("gen_ai.tool.call.arguments" in s.attributes and "gen_ai.tool.call.result" in s.attributes
               for s in tools)


def test_langfuse_and_tempo_get_every_span_exactly_once(pipeline: PipelineRun) -> None:
    expected = pipeline.expected_ids()
    for name in ("langfuse", "tempo"):
        ids = [i for i in pipeline.sinks[name].span_ids() if i in expected]
        assert sorted(ids) == sorted(expected), name


def test_the_collector_answers_every_hook_run_within_the_hooks_deadline(pipeline: PipelineRun) -> None:
    """With a 5 s deadline (tests/e2e/conftest.py says why not the default 2 s): no POST went unanswered (which
    would make the hook resend a turn the collector then delivers twice), however large the turn the redaction
    stage had to work through."""
    text = (Path(pipeline.hook_env["CCOTEL_STATE_DIR"]) / "ccotel.log").read_text(encoding="utf-8", errors="replace")
    assert "new spans" in text  # the log is the hook's: it exported
    assert [line for line in text.splitlines() if "delivery failed" in line] == []
