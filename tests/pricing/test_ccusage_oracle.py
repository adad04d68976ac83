"""The mirror against ccusage 20.0.24 (`--offline --mode calculate`), the outside oracle.

Where ccusage's rules and Anthropic's (as genai-prices models them) agree, the mirror must give ccusage's
figure. Where they differ, the test asserts the Anthropic figure worked out by hand from published per-MTok
prices, and names the difference. The same table is in the README part (docs: readme-parts/pricing.md).
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import PRICING_SCENARIOS
from pricing.scenarios import read_requests, run_ccusage, write_session

from ccotel.collector.pricing.table import PriceTable, Usage, load_price_table

A = "057d5e67-0143-57ea-88cb-46fcd61a43e5"  # sonnet-4-5
B = "90764891-8414-5b8c-bae7-85c91744e54a"  # opus-4-1
C = "db997e02-17a0-59e5-a072-f5aec40a13c3"  # haiku-4-5 (+ <synthetic>)
D = "2ca850fc-922d-5528-a705-b8c802a22781"  # sonnet-4 >200k
E = "262976dc-a1fb-518c-a02d-98acdf1bb01d"  # sonnet-4-5 >200k, 1M beta era
F = "cfabee6a-c94a-5565-aaa9-c9d4f66c29eb"  # opus-4-6 before/after 2026-03-13
G = "eceb775c-42dc-54ef-a0b3-964892518b61"  # unknown model


@pytest.fixture(scope="module")
def table() -> PriceTable:
    return load_price_table()


@pytest.fixture(scope="module")
def ccusage_answers() -> dict[str, dict]:
    data = json.loads((PRICING_SCENARIOS / "ccusage-20.0.24-session-calculate.json").read_text())
    return {session["sessionId"]: session for session in data["sessions"]}


def mirror_sessions(table: PriceTable) -> dict[str, tuple[float, list[str]]]:
    """Per session: the sum of priced requests and the models left unpriced."""
    totals: dict[str, tuple[float, list[str]]] = {}
    for request in read_requests(PRICING_SCENARIOS / "claude"):
        total, unpriced = totals.get(request.session_id, (0.0, []))
        cost = table.cost(request.model, request.usage, request.at)
        if cost is None:
            unpriced = [*unpriced, request.model]
        totals[request.session_id] = (total + (cost.total if cost else 0.0), unpriced)
    return totals


@pytest.mark.parametrize("session", [A, B, C])
def test_ordinary_sessions_equal_ccusage(table: PriceTable, ccusage_answers: dict, session: str) -> None:
    # A: sonnet-4-5, 5m + 1h writes, a duplicate line, a streamed duplicate, a retry under a new requestId.
    # B: opus-4-1 with 1h writes and a legacy costUSD line (ignored, as in --mode calculate).
    # C: haiku-4-5, a line without the 5m/1h breakdown, and a <synthetic> line.
    total, unpriced = mirror_sessions(table)[session]
    assert math.isclose(total, ccusage_answers[session]["totalCost"], rel_tol=0, abs_tol=1e-12)
    # ccusage drops <synthetic> silently; the mirror calls it unpriced (it has zero tokens, so $0 either way).
    assert unpriced == (["<synthetic>"] if session == C else [])


def test_session_a_by_hand(table: PriceTable) -> None:
    # Independent of both tools: sonnet-4-5 at $3 in / $15 out / $3.75 5m / $6 1h / $0.30 read per MTok.
    # writes: A1 20000 5m, A2 3000 1h, A3 2000 5m + 3000 1h, A4 500 5m  -> 22500 5m, 6000 1h
    by_hand = (36 * 3 + 3500 * 15 + 22500 * 3.75 + 6000 * 6 + 128000 * 0.3) / 1e6
    assert math.isclose(mirror_sessions(table)[A][0], by_hand, abs_tol=1e-12)


def test_long_context_sonnet_4_is_a_cliff_over_the_whole_prompt(table: PriceTable, ccusage_answers: dict) -> None:
    # DIFFERENCE (>200k rule): ccusage tiers each token kind above 200k separately; Anthropic bills EVERY token
    # of a request whose prompt exceeds 200k at $6 / $22.50 / $7.50 (5m) / $0.60 (read). genai-prices lacks
    # Sonnet 4's tier; price_overrides.yaml adds it.
    d1 = (5000 * 6 + 4000 * 22.5 + 30000 * 7.5 + 180000 * 0.6) / 1e6  # prompt 215,000 -> long context
    d2 = (10 * 6 + 3000 * 22.5 + 250000 * 0.6) / 1e6  # prompt 250,010 -> long context
    d3 = (100 * 3 + 500 * 15 + 120000 * 0.3) / 1e6  # prompt 120,100 -> standard
    assert math.isclose(mirror_sessions(table)[D][0], d1 + d2 + d3, abs_tol=1e-12)  # 0.71436
    assert math.isclose(ccusage_answers[D]["totalCost"], 0.42033, abs_tol=1e-9)  # what ccusage says instead


def test_long_context_sonnet_4_5_in_the_1m_beta(table: PriceTable, ccusage_answers: dict) -> None:
    # DIFFERENCE (>200k rule): both E requests have prompts above 200k (220,000 and 232,005).
    e1 = (20000 * 6 + 2000 * 22.5 + 10000 * 7.5 + 190000 * 0.6) / 1e6
    e2 = (5 * 6 + 1500 * 22.5 + 2000 * 12 + 230000 * 0.6) / 1e6  # 1h write at the long-context 1h rate $12
    assert math.isclose(mirror_sessions(table)[E][0], e1 + e2, abs_tol=1e-12)  # 0.54978
    assert math.isclose(ccusage_answers[E]["totalCost"], 0.297015, abs_tol=1e-9)


def test_opus_4_6_price_depends_on_the_date(table: PriceTable, ccusage_answers: dict) -> None:
    # DIFFERENCE (dates): genai-prices has Opus 4.6's >200k tier ($10 / $37.50 / $12.50 / $1) until 2026-03-12
    # and flat prices from 2026-03-13; ccusage prices Opus 4.6 flat at every date. Same usage, two dates.
    f1 = (1000 * 10 + 1000 * 37.5 + 50000 * 12.5 + 160000 * 1) / 1e6  # 2026-03-10, prompt 211,000
    f2 = (1000 * 5 + 1000 * 25 + 50000 * 6.25 + 160000 * 0.5) / 1e6  # 2026-03-20, flat
    assert math.isclose(mirror_sessions(table)[F][0], f1 + f2, abs_tol=1e-12)  # 1.255
    assert math.isclose(ccusage_answers[F]["totalCost"], 2 * f2, abs_tol=1e-9)  # 0.845


def test_unknown_model_is_unpriced_not_zero(table: PriceTable, ccusage_answers: dict) -> None:
    # DIFFERENCE (unknown model): ccusage reports $0 and lists the name in unpricedModels; the mirror has no price.
    total, unpriced = mirror_sessions(table)[G]
    assert (total, unpriced) == (0.0, ["claude-foo-9-20990101"])
    assert ccusage_answers[G]["totalCost"] == 0
    assert table.cost("claude-foo-9-20990101", Usage(uncached_input=1000), datetime(2026, 10, 3, tzinfo=UTC)) is None


BASE = {"input_tokens": 1000, "cache_creation_input_tokens": 2000, "cache_read_input_tokens": 3000,
        "cache_creation": {"ephemeral_5m_input_tokens": 2000, "ephemeral_1h_input_tokens": 0}, "output_tokens": 500}
OPUS_46 = (1000 * 5 + 500 * 25 + 2000 * 6.25 + 3000 * 0.5) / 1e6  # 0.0315
# name: (model, usage, ccusage's figure or None for "unpriced by ccusage", the mirror's figure or None)
PROBES = {
    "opus-4-6-fast": ("claude-opus-4-6", {**BASE, "speed": "fast"}, 6 * OPUS_46, 6 * OPUS_46),
    "opus-4-7-fast": ("claude-opus-4-7", {**BASE, "speed": "fast"}, 6 * OPUS_46, 6 * OPUS_46),
    "opus-4-8-fast": ("claude-opus-4-8", {**BASE, "speed": "fast"}, 2 * OPUS_46, 2 * OPUS_46),
    "opus-5-fast": ("claude-opus-5", {**BASE, "speed": "fast"}, 2 * OPUS_46, 2 * OPUS_46),
    "vertex-name": ("claude-sonnet-4-5@20250929", BASE, 0.0189, 0.0189),
    "exactly-200k": ("claude-sonnet-4-5", {**BASE, "input_tokens": 195000},  # prompt 200,000: not above
                     (195000 * 3 + 500 * 15 + 2000 * 3.75 + 3000 * 0.3) / 1e6,
                     (195000 * 3 + 500 * 15 + 2000 * 3.75 + 3000 * 0.3) / 1e6),
    # DIFFERENCE (>200k rule): one token more; ccusage charges that token's kind above 200k only (none here).
    "just-over-200k": ("claude-sonnet-4-5", {**BASE, "input_tokens": 195001},
                       (195001 * 3 + 500 * 15 + 2000 * 3.75 + 3000 * 0.3) / 1e6,
                       (195001 * 6 + 500 * 22.5 + 2000 * 7.5 + 3000 * 0.6) / 1e6),
    # DIFFERENCE (US-only inference): ccusage ignores inference_geo; Anthropic charges 1.1x from Opus 4.6 on.
    "opus-4-6-us-only": ("claude-opus-4-6", {**BASE, "inference_geo": "us"}, OPUS_46, OPUS_46 * 1.1),
    # DIFFERENCE (web search): ccusage ignores server_tool_use; Anthropic charges $10 per 1,000 searches.
    "opus-4-6-web-search": ("claude-opus-4-6", {**BASE, "server_tool_use": {"web_search_requests": 3}},
                            OPUS_46, OPUS_46 + 3 * 10 / 1000),
    # DIFFERENCE (Bedrock names): ccusage finds LiteLLM's Bedrock key (+10% regional uplift); the mirror strips the
    # Bedrock prefix/suffix and prices at Anthropic's first-party rates.
    "bedrock-name": ("us.anthropic.claude-sonnet-4-5-20250929-v1:0", BASE, 0.0189 * 1.1, 0.0189),
    # DIFFERENCE (fast without a fast price): ccusage falls back to standard rates; the mirror leaves it unpriced.
    "haiku-4-5-fast": ("claude-haiku-4-5", {**BASE, "speed": "fast"}, 0.0063, None),
    # DIFFERENCE (newer model): ccusage 20.0.24 does not know Opus 5.5 ($0, unpricedModels); genai-prices has
    # its fast rates $8 / $40 (cache multipliers on top).
    "opus-5-5-fast": ("claude-opus-5-5", {**BASE, "speed": "fast"}, None,
                      (1000 * 8 + 500 * 40 + 2000 * 10 + 3000 * 0.4) / 1e6),
}


def test_single_request_probes_against_the_real_ccusage(ccusage_bin: Path, tmp_path: Path, table: PriceTable) -> None:
    config = tmp_path / "claude"
    ids = {}
    for index, (name, (model, usage, _, _)) in enumerate(PROBES.items()):
        ids[name] = f"00000000-0000-4000-8000-{index + 1:012d}"
        write_session(config, ids[name], model, usage, "2026-10-01T10:00:00.000Z")
    report = run_ccusage(ccusage_bin, config, tmp_path / "home")
    by_session = {session["sessionId"]: session for session in report["sessions"]}
    mirror = {request.session_id: request for request in read_requests(config)}
    for name, (model, _, ccusage_expected, mirror_expected) in PROBES.items():
        session = by_session[ids[name]]
        if ccusage_expected is None:
            assert session["totalCost"] == 0 and any(model in m for m in report["totals"]["unpricedModels"]), name
        else:
            assert math.isclose(session["totalCost"], ccusage_expected, abs_tol=1e-12), name
        request = mirror[ids[name]]
        cost = table.cost(request.model, request.usage, request.at)
        if mirror_expected is None:
            assert cost is None, name
        else:
            assert cost is not None and math.isclose(cost.total, mirror_expected, abs_tol=1e-12), name
