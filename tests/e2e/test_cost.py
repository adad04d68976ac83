"""Every chat span's cost, as it arrives, equals the pricing mirror; per session it equals ccusage's where the
rules agree (the pricing scenarios A, B, C of tests/pricing/test_ccusage_oracle.py)."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime

from conftest import PRICING_SCENARIOS
from e2e.conftest import PipelineRun

from ccotel.collector.pricing.table import load_price_table

AGREEING_SESSIONS = ("057d5e67-0143-57ea-88cb-46fcd61a43e5", "90764891-8414-5b8c-bae7-85c91744e54a",
                     "db997e02-17a0-59e5-a072-f5aec40a13c3")


def chat_spans(pipeline: PipelineRun) -> list:
    expected = pipeline.expected_ids()
    return [s for s in pipeline.sinks["tempo"].snapshot()[0] if s.operation == "chat" and s.span_id in expected]


def test_every_chat_span_costs_what_the_mirror_says(pipeline: PipelineRun) -> None:
    table = load_price_table()
    spans = chat_spans(pipeline)
    assert len(spans) > 100
    wrong, unpriced = [], 0
    for span in spans:
        mirror = table.cost_for_span(span.attributes, datetime.fromtimestamp(span.start_ns / 1e9, UTC))
        cost, status = span.attributes.get("gen_ai.usage.cost"), span.attributes.get("claude_code.cost.status")
        if mirror is None:
            unpriced += 1
            if cost is not None or status != "unpriced":
                wrong.append((span.attributes.get("gen_ai.request.model"), cost, status, None))
        elif not isinstance(cost, float) or not math.isclose(cost, mirror.total, rel_tol=1e-9, abs_tol=1e-12):
            wrong.append((span.attributes.get("gen_ai.request.model"), cost, status, mirror.total))
    assert wrong == []
    assert unpriced >= pipeline.generated.unpriced_calls > 0


def test_per_session_cost_equals_ccusage_where_the_rules_agree(pipeline: PipelineRun) -> None:
    answers = json.loads((PRICING_SCENARIOS / "ccusage-20.0.24-session-calculate.json").read_text())
    ccusage = {session["sessionId"]: session["totalCost"] for session in answers["sessions"]}
    arrived = chat_spans(pipeline)
    members = {session.session_id: set(session.expected) for session in pipeline.sessions}
    for session_id in AGREEING_SESSIONS:
        total = sum(float(s.attributes.get("gen_ai.usage.cost") or 0.0) for s in arrived
                    if s.span_id in members[session_id])
        assert math.isclose(total, ccusage[session_id], rel_tol=0, abs_tol=1e-9), session_id
