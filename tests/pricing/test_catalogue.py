"""The generated table, its fidelity to genai-prices, the overrides, and the validation errors."""

from __future__ import annotations

import dataclasses
import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from genai_prices import Usage as GenaiUsage
from genai_prices import calc_price
from genai_prices.data_snapshot import get_snapshot

from ccotel.collector.pricing.catalogue import (
    OVERRIDES_FILE,
    PRICES_FILE,
    PriceTableError,
    load_price_table,
    package_file,
    parse_prices,
)
from ccotel.collector.pricing.refresh import diff_summary, generate_prices_yaml
from ccotel.collector.pricing.table import PriceTable, Usage

PRICES = package_file(PRICES_FILE)
OVERRIDES = package_file(OVERRIDES_FILE)


def test_regenerating_from_the_installed_genai_prices_gives_the_committed_bytes() -> None:
    # A genai-prices bump shows up as a diff of prices.yaml that someone reviews (`ccotel prices refresh`).
    assert generate_prices_yaml() == PRICES.read_text(encoding="utf-8")


def _generated_only() -> PriceTable:
    label, models = parse_prices(yaml.safe_load(PRICES.read_text()))
    return PriceTable(tuple(models), (), label)


def _anthropic_models() -> list:
    return next(p for p in get_snapshot().providers if p.id == "anthropic").models


NAMES = [
    "claude-sonnet-4-5-20250929", "claude-sonnet-4-5", "claude-sonnet-4.5", "claude-sonnet-4-20250514",
    "claude-sonnet-4", "claude-sonnet-4-0", "claude-4-sonnet-20250514", "claude-opus-4-1-20250805",
    "claude-opus-4-20250514", "claude-opus-4", "claude-opus-4-6", "claude-opus-4-6-20260205", "claude-opus-4-7",
    "claude-opus-4-8", "claude-opus-5", "claude-opus-5-20261001", "claude-opus-5-5", "claude-haiku-4-5-20251001",
    "claude-haiku-4-5", "claude-3-5-haiku-20241022", "claude-3-7-sonnet-20250219", "claude-3-5-sonnet-20241022",
    "claude-3-haiku-20240307", "claude-3-opus-20240229", "claude-sonnet-4-6", "claude-sonnet-5",
    "claude-sonnet-5-20260601", "claude-sonnet-5-5", "claude-haiku-5-5", "claude-fable-5", "claude-fable-5-1",
    "claude-fable-5-2", "claude-mythos-5-2", "Claude-Sonnet-4-5", "claude-sonnet-4-5-20250929-thinking",
    "<synthetic>", "claude-foo-9-20990101", "gpt-4o", "claude", "claude-mythos-5", "claude-mythos-preview",
]


@pytest.mark.parametrize("name", NAMES)
def test_name_matching_agrees_with_genai_prices(name: str) -> None:
    ours = _generated_only().find_model(name)
    try:
        theirs = calc_price(GenaiUsage(input_tokens=1), name, provider_id="anthropic").model.id
    except LookupError:
        theirs = None
    if theirs in ("claude-2", "claude-v1"):  # skipped: genai-prices has no cache prices for them
        theirs = None
    assert (ours.id if ours else None) == theirs


@pytest.mark.parametrize(("name", "expected"), [
    ("us.anthropic.claude-sonnet-4-5-20250929-v1:0", "claude-sonnet-4-5"),  # Bedrock profile
    ("global.anthropic.claude-opus-4-6-v1", "claude-opus-4-6"),
    ("anthropic.claude-3-5-haiku-20241022-v1:0", "claude-3-5-haiku-latest"),
    ("claude-sonnet-4@20250514", "claude-sonnet-4-0"),  # Vertex
    ("claude-opus-5@20261001", "claude-opus-5"),
    ("anthropic/claude-sonnet-4.5", "claude-sonnet-4-5"),  # LiteLLM / OpenRouter
    ("claude-mythos-5", "claude-mythos-5"),  # added in price_overrides.yaml
    ("claude-mythos-5-1-20260701", "claude-mythos-5-1"),
    ("claude-mythos-5-2", "claude-mythos-5-2"),  # upstream, not shadowed by the added models
    ("<synthetic>", None),  # Claude Code's local error lines: never priced
    ("claude-opus", None),
    ("", None),
])
def test_name_policy_of_the_merged_table(name: str, expected: str | None) -> None:
    found = load_price_table().find_model(name)
    assert (found.id if found else None) == expected


def _usage_samples(rng: random.Random, threshold: int) -> list[Usage]:
    samples = [Usage(), Usage(uncached_input=threshold), Usage(uncached_input=threshold + 1)]
    for _ in range(25):
        scale = rng.choice([1_000, 50_000, threshold // 2, threshold])
        samples.append(Usage(*(rng.randint(0, scale) for _ in range(5))))
    return samples


def test_every_generated_price_equals_genai_prices_calc_price() -> None:
    """The generated table (no overrides) prices like genai-prices itself: every model, window, tier, fast."""
    rng, table, checked = random.Random(7), _generated_only(), 0
    for model in _anthropic_models():
        entry = next((m for m in table.models if m.id == model.id), None)
        if entry is None:
            continue
        for window in entry.windows:
            day = window.start or date(2025, 6, 1)
            at = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(hours=1)
            threshold = window.long_context.above_prompt_tokens if window.long_context else 200_000
            for usage in _usage_samples(rng, threshold):
                for speed in ["standard", "fast"] if window.fast else ["standard"]:
                    genai = calc_price(
                        GenaiUsage(input_tokens=usage.prompt_tokens, output_tokens=usage.output,
                                   cache_read_tokens=usage.cache_read,
                                   cache_write_tokens=usage.cache_write_5m + usage.cache_write_1h,
                                   cache_write_1h_tokens=usage.cache_write_1h),
                        model.id, provider_id="anthropic", genai_request_timestamp=at,
                        price_context={"speed": "fast"} if speed == "fast" else None)
                    ours = table.cost(model.id, dataclasses.replace(usage, speed=speed), at)
                    assert ours is not None
                    assert abs(Decimal(repr(ours.total)) - genai.total_price) < Decimal("1e-12"), (model.id, usage)
                    checked += 1
    assert checked > 700


def test_cost_breakdown_kinds_add_up_and_windows_switch_at_utc_midnight() -> None:
    table = load_price_table()
    usage = Usage(uncached_input=1000, output=1000, cache_read=160000, cache_write_5m=50000)
    before = table.cost("claude-opus-4-6", usage, datetime(2026, 3, 12, 23, 59, 59, tzinfo=UTC))
    after = table.cost("claude-opus-4-6", usage, datetime(2026, 3, 13, 0, 0, tzinfo=UTC))
    assert before is not None and after is not None
    assert (before.rates_used, after.rates_used) == ("long_context", "standard")
    assert before.total == pytest.approx(0.8325, abs=1e-12) and after.total == pytest.approx(0.4225, abs=1e-12)
    kinds = after.input + after.output + after.cache_read + after.cache_write_5m + after.cache_write_1h
    assert kinds == pytest.approx(after.total, abs=1e-15)
    naive = table.cost("claude-opus-4-6", usage, datetime(2026, 3, 13, 0, 0))  # naive = UTC
    assert naive is not None and naive.total == after.total


# --- validation ---------------------------------------------------------------------------------------------


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _load_with(tmp_path: Path, prices: str | None = None, overrides: str | None = None) -> PriceTable:
    prices_path = _write(tmp_path, "prices.yaml", prices) if prices is not None else PRICES
    overrides_path = _write(tmp_path, "price_overrides.yaml", overrides) if overrides is not None else OVERRIDES
    return load_price_table(prices_path, overrides_path)


PRICES_TEXT = PRICES.read_text(encoding="utf-8")
OVERRIDES_TEXT = OVERRIDES.read_text(encoding="utf-8")


@pytest.mark.parametrize(("prices", "overrides", "message"), [
    (PRICES_TEXT + "  - id: [broken\n", None, "prices.yaml: not valid YAML (line"),
    (PRICES_TEXT.replace("input: 0.8,", "input: -0.8,", 1), None,
     "prices.yaml: models.claude-3-5-haiku-latest.prices[0].standard.input: expected a price >= 0, got -0.8"),
    (PRICES_TEXT.replace("cache_write_1h: 1.6}", "}", 1), None,
     "prices.yaml: models.claude-3-5-haiku-latest.prices[0].standard.cache_write_1h: missing"),
    (PRICES_TEXT.replace("        web_search: 10\n", "        web_serch: 10\n", 1), None,
     "prices.yaml: models.claude-3-5-haiku-latest.prices[0].web_serch: unknown key"),
    (PRICES_TEXT.replace("match: '^claude-3-haiku'", "match: '^claude-3-(?=haiku)'", 1), None,
     "prices.yaml: models.claude-3-haiku.match: not a valid RE2/Python regex"),
    (PRICES_TEXT.replace("from: '2026-03-13'", "from: '2026-13-01'", 1), None,
     "prices.yaml: models.claude-opus-4-6.prices[1].from: expected a YYYY-MM-DD date"),
    (PRICES_TEXT.replace("match: '^claude-3-5-sonnet|^claude-3\\.5-sonnet'\n    prices:\n      - from: null",
                         "match: '^claude-3-5-sonnet|^claude-3\\.5-sonnet'\n    prices:\n      - from: '2025-01-01'",
                         1), None,
     "prices.yaml: models.claude-3-5-sonnet.prices[0].from: the first price window must be `from: null`"),
    (PRICES_TEXT.replace("id: claude-3-sonnet\n", "id: claude-3-haiku\n", 1), None,
     "prices.yaml: models.claude-3-haiku: duplicate model id"),
    (None, OVERRIDES_TEXT.replace("claude-opus-4-7:\n", "claude-opus-9-9:\n", 1),
     "price_overrides.yaml: models.claude-opus-9-9: no such model in prices.yaml"),
    (None, OVERRIDES_TEXT.replace("    fast: {input: 30, output: 150, cache_read: 3, cache_write_5m: 37.5, "
                                  "cache_write_1h: 60}\n    reason: 'Fast mode is 6x",
                                  "    web_search: 10\n    reason: 'Fast mode is 6x", 1),
     "price_overrides.yaml: models.claude-opus-4-7: identical to prices.yaml (genai-prices has it now)"),
    (None, OVERRIDES_TEXT.replace("source: 'LiteLLM provider_specific_entry.fast = 6.0; ccusage 20.0.24 built-in "
                                  "multiplier 6 for claude-opus-4-7.'", "", 1),
     "price_overrides.yaml: models.claude-opus-4-7.source: missing"),
    (None, OVERRIDES_TEXT.replace("match: '^claude-mythos-5$|^claude-mythos-5-\\d{8}$'", "match: '^claude-mythos-5'", 1)
     .replace("examples: [claude-mythos-5, claude-mythos-5-20260415]",
              "examples: [claude-mythos-5, claude-fable-5]", 1),
     "price_overrides.yaml: add_models[0].examples: 'claude-fable-5' is priced as claude-fable-5, not claude-mythos-5"),
    (None, OVERRIDES_TEXT.replace("- id: claude-mythos-5\n", "- id: claude-fable-5\n", 1),
     "price_overrides.yaml: add_models[0].id: claude-fable-5 is in prices.yaml now: delete the added model"),
    (None, OVERRIDES_TEXT.replace("replace: '-'", "replace: '$1'", 1),
     "price_overrides.yaml: model_names[3].replace: expected literal text"),
    (None, OVERRIDES_TEXT.replace("claude-mythos-5-2]", "claude-mythos-5-2, claude-opus-9]", 1),
     "price_overrides.yaml: inference_geo_us.models: no such model: claude-opus-9"),
    (None, OVERRIDES_TEXT.replace("above_prompt_tokens: 200000,", "above_prompt_tokens: 2.5e5,", 1),
     "price_overrides.yaml: models.claude-sonnet-4-0.long_context.above_prompt_tokens: expected a positive whole"),
])
def test_broken_price_files_fail_naming_file_and_key(tmp_path: Path, prices: str | None, overrides: str | None,
                                                      message: str) -> None:
    assert prices != PRICES_TEXT and overrides != OVERRIDES_TEXT  # the edit above really happened
    with pytest.raises(PriceTableError) as caught:
        _load_with(tmp_path, prices, overrides)
    assert str(caught.value).startswith(message), str(caught.value)


def test_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(PriceTableError, match=r"^prices.yaml: cannot read: No such file"):
        load_price_table(tmp_path / "prices.yaml", OVERRIDES)


def test_diff_summary_names_each_changed_fact() -> None:
    changed = PRICES_TEXT.replace("input: 0.8,", "input: 0.9,", 1)
    changed = changed.replace("version: '0.2.3'", "version: '0.2.2'")
    lines = diff_summary(changed, PRICES_TEXT)
    assert "source: genai-prices 0.2.2 -> 0.2.3" in lines
    assert "claude-3-5-haiku-latest: prices[0].standard.input: 0.9 -> 0.8" in lines
    assert diff_summary(None, PRICES_TEXT) == ["new table: 25 models from genai-prices 0.2.3"]
    assert diff_summary(PRICES_TEXT, PRICES_TEXT) == []
