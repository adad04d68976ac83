"""alloy/modules/cost.alloy: committed = rendered, well-formed Alloy and OTTL, and it computes what the mirror computes.

The proof that the rendered OTTL and the mirror come from the same table: the module's statements, parsed
by ccotel.collector.pipeline.ottl and run by a small evaluator (pricing/ottl_eval.py), give the mirror's figure
bit for bit on thousands of synthetic chat spans.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pricing.ottl_eval import EvalSpan, run_group

from ccotel.collector.pipeline.ottl import Statement, parse_condition, parse_statement
from ccotel.collector.pipeline.syntax import parse_file
from ccotel.collector.pipeline.tree import dotted_name, string_list, string_value
from ccotel.collector.pricing.render import cost_module_path, render_cost_module
from ccotel.collector.pricing.table import PriceTable, load_price_table


@pytest.fixture(scope="module")
def table() -> PriceTable:
    return load_price_table()


@pytest.fixture(scope="module")
def group() -> tuple[list, list[Statement]]:
    module = parse_file(cost_module_path())
    assert module.errors == []
    transform = next(b for b in module.walk() if b.name == "otelcol.processor.transform")
    block = transform.blocks("trace_statements")[0]
    conditions = [text for text, _ in string_list(block.attribute("conditions").value)]
    statements = [text for text, _ in string_list(block.attribute("statements").value)]
    return [parse_condition(c) for c in conditions], [parse_statement(s) for s in statements]


def test_committed_module_is_the_rendering_of_the_committed_table(table: PriceTable) -> None:
    assert cost_module_path().read_text(encoding="utf-8") == render_cost_module(table), (
        "alloy/modules/cost.alloy is stale: run `ccotel prices render`")


def test_module_shape() -> None:
    module = parse_file(cost_module_path())
    assert module.errors == []
    (declare,) = module.blocks("declare")
    assert declare.label == "cost"
    assert [b.label for b in declare.blocks("argument")] == ["traces_output"]
    (transform,) = declare.blocks("otelcol.processor.transform")
    assert transform.label == "cost" and string_value(transform.attribute("error_mode").value) == "ignore"
    (group,) = transform.blocks("trace_statements")
    assert string_value(group.attribute("context").value) == "span"
    assert [t for t, _ in string_list(group.attribute("conditions").value)] == [
        'span.attributes["gen_ai.operation.name"] == "chat"']
    (output,) = transform.blocks("output")
    assert dotted_name(output.attribute("traces").value) == ["argument", "traces_output", "value"]
    (export,) = declare.blocks("export")
    assert export.label == "input"
    assert dotted_name(export.attribute("value").value) == ["otelcol", "processor", "transform", "cost", "input"]


def test_only_cost_and_status_are_written_to_the_span(group: tuple[list, list[Statement]]) -> None:
    written = set()
    for statement in group[1]:
        target = statement.editor.args[0].value
        if statement.editor.name == "set" and target.segments == ("span", "attributes"):
            written.add(target.keys[0].value)
    assert written == {"gen_ai.usage.cost", "claude_code.cost.cache_savings", "claude_code.cost.status"}


def _evaluate(group: tuple[list, list[Statement]], attributes: dict[str, Any], start: datetime) -> EvalSpan:
    span = EvalSpan(dict(attributes), int(start.timestamp()) * 1_000_000_000 + start.microsecond * 1000)
    errors = run_group(group[0], group[1], span)
    assert errors == []
    return span


def _chat(model: Any, **usage: Any) -> dict[str, Any]:
    names = {"input": "gen_ai.usage.input_tokens", "output": "gen_ai.usage.output_tokens",
             "read": "gen_ai.usage.cache_read.input_tokens", "creation": "gen_ai.usage.cache_creation.input_tokens",
             "w5m": "claude_code.usage.cache_creation.5m_input_tokens",
             "w1h": "claude_code.usage.cache_creation.1h_input_tokens", "speed": "claude_code.usage.speed",
             "geo": "claude_code.usage.inference_geo", "web": "claude_code.usage.web_search_requests"}
    attributes = {"gen_ai.operation.name": "chat", "gen_ai.request.model": model}
    attributes.update({names[key]: value for key, value in usage.items()})
    return attributes


OCT = datetime(2026, 10, 1, 9, 0, 5, tzinfo=UTC)


@pytest.mark.parametrize(("attributes", "start", "expected"), [
    # A1 of the scenarios, by hand: 12 x $3 + 350 x $15 + 20,000 x $3.75 (5m) per MTok
    (_chat("claude-sonnet-4-5-20250929", input=20012, output=350, read=0, creation=20000, w5m=20000, w1h=0),
     OCT, (12 * 3 + 350 * 15 + 20000 * 3.75) / 1e6),
    # no breakdown: all 700 cache-creation tokens at the 5m price (haiku-4-5: $1.25)
    (_chat("claude-haiku-4-5-20251001", input=9930, output=90, read=9200, creation=700), OCT,
     (30 * 1 + 90 * 5 + 9200 * 0.1 + 700 * 1.25) / 1e6),
    # 1h writes at their own price (opus-4-1: $30)
    (_chat("claude-opus-4-1-20250805", input=15010, output=800, creation=15000, w5m=0, w1h=15000), OCT,
     (10 * 15 + 800 * 75 + 15000 * 30) / 1e6),
    # the cliff: prompt 215,000 > 200k -> every token at Sonnet 4's long-context rates
    (_chat("claude-sonnet-4-20250514", input=215000, output=4000, read=180000, creation=30000, w5m=30000), OCT,
     (5000 * 6 + 4000 * 22.5 + 30000 * 7.5 + 180000 * 0.6) / 1e6),
    # dated: Opus 4.6 before 2026-03-13 had a long-context tier
    (_chat("claude-opus-4-6", input=211000, output=1000, read=160000, creation=50000, w5m=50000),
     datetime(2026, 3, 10, 10, tzinfo=UTC), (1000 * 10 + 1000 * 37.5 + 50000 * 12.5 + 160000 * 1) / 1e6),
    # fast mode, US-only inference and web search together (opus-4-8: fast $10/$50, x1.1, $10 per 1,000)
    (_chat("claude-opus-4-8", input=1000, output=100, speed="fast", geo="us", web=2), OCT,
     (1000 * 10 + 100 * 50) / 1e6 * 1.1 + 2 * 10 / 1000),
    (_chat("us.anthropic.claude-sonnet-4-5-20250929-v1:0", input=1000), OCT, 1000 * 3 / 1e6),
])
def test_rendered_statements_by_hand(group, attributes, start, expected) -> None:  # type: ignore[no-untyped-def]
    span = _evaluate(group, attributes, start)
    assert "claude_code.cost.cache_savings" in span.attributes
    assert span.attributes["gen_ai.usage.cost"] == pytest.approx(expected, abs=1e-12)
    assert span.attributes["claude_code.cost.status"] == "priced"


def test_cache_savings_by_hand(group) -> None:  # type: ignore[no-untyped-def]
    # Sonnet 4.5: 12 uncached + 20,000 read + 3,000 written for 1 h, 640 out. Without caching all 23,012
    # prompt tokens are $3 input: saved = 20,000 x (3 - 0.30) - 3,000 x (6 - 3) per MTok = $0.045.
    span = _evaluate(group, _chat("claude-sonnet-4-5-20250929", input=23012, output=640, read=20000,
                                  creation=3000, w5m=0, w1h=3000), OCT)
    assert span.attributes["claude_code.cost.cache_savings"] == pytest.approx((20000 * 2.7 - 3000 * 3) / 1e6)
    # A request that only writes the cache pays more than it would have without caching.
    span = _evaluate(group, _chat("claude-sonnet-4-5-20250929", input=10000, creation=10000, w5m=10000), OCT)
    assert span.attributes["claude_code.cost.cache_savings"] == pytest.approx(-10000 * 0.75 / 1e6)


@pytest.mark.parametrize("attributes", [
    _chat("claude-foo-9-20990101", input=1000, output=1000),  # unknown model
    _chat("<synthetic>", input=0, output=0),  # Claude Code's local error lines
    _chat(None, input=1000),  # no model at all
    _chat("claude-haiku-4-5", input=1000, speed="fast"),  # fast mode with no fast price
])
def test_unpriced_spans_get_a_status_and_no_cost(group, attributes) -> None:  # type: ignore[no-untyped-def]
    attributes = {k: v for k, v in attributes.items() if v is not None}
    span = _evaluate(group, {**attributes, "gen_ai.usage.cost": 0.0}, OCT)  # a stale incoming cost is removed
    assert "gen_ai.usage.cost" not in span.attributes
    assert "claude_code.cost.cache_savings" not in span.attributes
    assert span.attributes["claude_code.cost.status"] == "unpriced"


def test_other_spans_are_left_alone(group) -> None:  # type: ignore[no-untyped-def]
    attributes = {"gen_ai.operation.name": "execute_tool", "gen_ai.request.model": "claude-opus-4-6",
                  "gen_ai.usage.input_tokens": 5}
    assert _evaluate(group, attributes, OCT).attributes == attributes


MODELS = ["claude-sonnet-4-5-20250929", "claude-sonnet-4-20250514", "claude-opus-4-6", "claude-opus-4-8",
          "claude-opus-5-5", "claude-haiku-4-5", "claude-haiku-5-5", "claude-sonnet-4-6", "claude-opus-4-1",
          "claude-3-haiku-20240307", "claude-fable-5-2", "claude-mythos-5-1", "us.anthropic.claude-opus-4-7-v1:0",
          "claude-sonnet-5@20260601", "ANTHROPIC/Claude-Opus-4.5", "claude-foo-9", "<synthetic>", "", 7]
DAYS = [datetime(2025, 6, 1, tzinfo=UTC), datetime(2026, 3, 12, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(2026, 3, 13, tzinfo=UTC), datetime(2026, 10, 1, 12, tzinfo=UTC)]


def _random_attributes(rng: random.Random) -> dict[str, Any]:
    model = rng.choice(MODELS)
    threshold = rng.choice([100_000, 200_000])
    read, write_5m, write_1h = (rng.choice([0, rng.randint(0, threshold)]) for _ in range(3))
    uncached = rng.choice([0, 1, rng.randint(0, 30_000), threshold - read - write_5m - write_1h + rng.choice([0, 1])])
    attributes: dict[str, Any] = {"gen_ai.operation.name": "chat", "gen_ai.request.model": model}
    fields = {
        "gen_ai.usage.input_tokens": uncached + read + write_5m + write_1h,
        "gen_ai.usage.output_tokens": rng.randint(0, 40_000),
        "gen_ai.usage.cache_read.input_tokens": read,
        "gen_ai.usage.cache_creation.input_tokens": write_5m + write_1h,
        "claude_code.usage.cache_creation.5m_input_tokens": write_5m,
        "claude_code.usage.cache_creation.1h_input_tokens": write_1h,
        "claude_code.usage.speed": rng.choice(["fast", "standard"]),
        "claude_code.usage.inference_geo": rng.choice(["us", "global", "not_available", ""]),
        "claude_code.usage.web_search_requests": rng.choice([0, 0, 1, 5]),
    }
    for key, value in fields.items():
        roll = rng.random()
        if roll < 0.12:
            continue  # attribute absent (e.g. no 5m/1h breakdown in old transcripts)
        if roll < 0.16 and isinstance(value, int):
            value = rng.choice([str(value), float(value), -value, "n/a"])  # what a foreign producer might send
        attributes[key] = value
    return attributes


def test_rendered_ottl_equals_the_mirror_on_many_spans(table: PriceTable, group) -> None:  # type: ignore[no-untyped-def]
    rng, seen = random.Random(20261121), {"priced": 0, "unpriced": 0}
    for _ in range(4000):
        attributes = _random_attributes(rng)
        start = rng.choice(DAYS) + timedelta(microseconds=rng.choice([0, 1]))
        span = _evaluate(group, attributes, start)
        expected = table.cost_for_span(attributes, start)
        status = span.attributes["claude_code.cost.status"]
        seen[status] += 1
        if expected is None:
            assert status == "unpriced" and "gen_ai.usage.cost" not in span.attributes, attributes
        else:
            assert status == "priced", attributes
            assert span.attributes["gen_ai.usage.cost"] == expected.total, (attributes, start)  # bit for bit
            assert span.attributes["claude_code.cost.cache_savings"] == expected.cache_savings, (attributes, start)
    assert min(seen.values()) > 500
