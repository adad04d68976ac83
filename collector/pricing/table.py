"""The price table and the pure cost function: the Python mirror of the Alloy `cost` module.

    table = load_price_table()                       # prices.yaml + price_overrides.yaml, validated and merged
    table.cost("claude-sonnet-4-5-20250929", Usage(uncached_input=12, output=350, cache_write_5m=20000),
               at=datetime(2026, 10, 1, tzinfo=UTC))  # -> CostBreakdown(total=0.080286, ...) or None (unpriced)

The dataclasses below are the intermediate representation that BOTH this mirror and the renderer
(`ccotel.collector.pricing.render`, price table -> OTTL) read, so the collector's figure and the report's
figure come from the same table. Rules (Anthropic's, as genai-prices models them):

- Prices are USD per 1,000,000 tokens (web search: USD per 1,000 requests).
- A model's windows cover time without gaps: a window applies from `start` (UTC date, inclusive) to `end`
  (exclusive); None = unbounded. The window in force at the request's start time is used.
- Long context is a cliff: once a request's prompt (uncached input + cache reads + 5m and 1h cache writes)
  exceeds `above_prompt_tokens`, EVERY token of that request is billed at the long-context rates.
- Fast mode (`speed == "fast"`) uses the window's fast rates across the whole context; a fast request on a
  model without fast rates is unpriced (a standard-rate figure would look real and be wrong).
- US-only inference (`inference_geo == "us"`) multiplies the token cost where the window has a multiplier.
- Web search requests are added at the window's per-1,000 price when it has one.
- An unknown model (including `<synthetic>`) is unpriced: `cost()` returns None, never 0.

Only the standard library here (the loader, `price_catalogue`, adds PyYAML); the report calls this.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

TOKEN_KINDS = ("input", "output", "cache_read", "cache_write_5m", "cache_write_1h")
PER_MILLION = 1_000_000.0
PER_THOUSAND = 1000.0


@dataclass(frozen=True, slots=True)
class Rates:
    """USD per million tokens for each token kind."""

    input: float
    output: float
    cache_read: float
    cache_write_5m: float
    cache_write_1h: float

    def as_dict(self) -> dict[str, float]:
        return {kind: getattr(self, kind) for kind in TOKEN_KINDS}


@dataclass(frozen=True, slots=True)
class LongContext:
    """Anthropic's long-context cliff: above this many prompt tokens every token costs `rates`."""

    above_prompt_tokens: int
    rates: Rates


@dataclass(frozen=True, slots=True)
class PriceWindow:
    start: date | None  # inclusive (UTC); None = since forever
    end: date | None  # exclusive (UTC); None = still in force
    standard: Rates
    long_context: LongContext | None = None
    fast: Rates | None = None
    web_search_per_1k: float | None = None
    us_multiplier: float | None = None

    def contains(self, at: datetime) -> bool:
        day = _utc(at).date()
        return (self.start is None or day >= self.start) and (self.end is None or day < self.end)


@dataclass(frozen=True, slots=True)
class ModelPrices:
    id: str
    name: str
    match: str  # RE2-compatible regex, searched (unanchored) in the normalised lower-case model name
    windows: tuple[PriceWindow, ...]
    origin: str = "genai-prices"  # or "price_overrides.yaml"
    overrides: tuple[str, ...] = ()  # which override entries changed this model (for `ccotel prices`)

    def window_at(self, at: datetime) -> PriceWindow:
        for window in self.windows:
            if window.contains(at):
                return window
        raise AssertionError(f"price windows of {self.id} do not cover {at}")  # validated on load


@dataclass(frozen=True, slots=True)
class NameRule:
    """A model-name rewrite applied (every match, like OTTL replace_pattern) before matching."""

    pattern: str
    replace: str


@dataclass(frozen=True, slots=True)
class Usage:
    """One API request's tokens, as exclusive buckets (uncached_input excludes cache reads and writes)."""

    uncached_input: int = 0
    output: int = 0
    cache_read: int = 0
    cache_write_5m: int = 0
    cache_write_1h: int = 0
    speed: str | None = None  # "fast" | "standard"
    inference_geo: str | None = None  # "us" = US-only inference
    web_search_requests: int = 0

    @property
    def prompt_tokens(self) -> int:
        return self.uncached_input + self.cache_read + self.cache_write_5m + self.cache_write_1h

    @classmethod
    def from_span_attributes(cls, attributes: Mapping[str, Any]) -> Usage:
        """Derive usage from a `chat` span's attributes exactly as the rendered OTTL does.

        Missing or unreadable counts are 0, negative counts are 0; without the 5m/1h breakdown all cache
        creation is 5-minute writes; uncached input = inclusive input - cache read - cache creation.
        """

        def count(key: str) -> int:
            value = _ottl_int(attributes.get(key))
            return 0 if value is None else max(0, value)

        inclusive_input, cache_read = count("gen_ai.usage.input_tokens"), count("gen_ai.usage.cache_read.input_tokens")
        cache_creation = count("gen_ai.usage.cache_creation.input_tokens")
        five_key = "claude_code.usage.cache_creation.5m_input_tokens"
        hour_key = "claude_code.usage.cache_creation.1h_input_tokens"
        has_breakdown = attributes.get(five_key) is not None or attributes.get(hour_key) is not None
        write_5m = count(five_key) if has_breakdown else cache_creation
        speed, geo = attributes.get("claude_code.usage.speed"), attributes.get("claude_code.usage.inference_geo")
        return cls(
            uncached_input=max(0, inclusive_input - cache_read - cache_creation),
            output=count("gen_ai.usage.output_tokens"),
            cache_read=cache_read,
            cache_write_5m=write_5m,
            cache_write_1h=count(hour_key),
            speed=speed if isinstance(speed, str) else None,
            inference_geo=geo if isinstance(geo, str) else None,
            web_search_requests=count("claude_code.usage.web_search_requests"),
        )


@dataclass(frozen=True, slots=True)
class CostBreakdown:
    """USD per kind (token kinds include the US-only multiplier) and the total."""

    model_id: str
    rates_used: str  # "standard" | "long_context" | "fast"
    multiplier: float
    input: float
    output: float
    cache_read: float
    cache_write_5m: float
    cache_write_1h: float
    web_search: float
    total: float
    uncached_total: float  # the same request with nothing read from or written to the cache

    @property
    def cache_savings(self) -> float:
        """What caching saved on this request (negative when cache writes cost more than they paid back)."""
        return self.uncached_total - self.total


@dataclass(frozen=True, slots=True)
class PriceTable:
    models: tuple[ModelPrices, ...]
    name_rules: tuple[NameRule, ...]
    source: str  # e.g. "genai-prices 0.2.3"

    def normalise_model_name(self, model: str) -> str:
        name = model.lower()
        for rule in self.name_rules:
            name = re.sub(rule.pattern, rule.replace.replace("\\", "\\\\"), name)  # literal text (validated)
        return name

    def find_model(self, model: str) -> ModelPrices | None:
        """The first entry whose regex matches the normalised name (the table's order is the policy)."""
        name = self.normalise_model_name(model)
        return next((entry for entry in self.models if re.search(entry.match, name)), None)

    def cost(self, model: str, usage: Usage, at: datetime) -> CostBreakdown | None:
        """Price one request; None when the model (or its fast mode) has no price. Pure."""
        entry = self.find_model(model)
        if entry is None:
            return None
        window = entry.window_at(at)
        rates, rates_used = window.standard, "standard"
        if window.long_context is not None and usage.prompt_tokens > window.long_context.above_prompt_tokens:
            rates, rates_used = window.long_context.rates, "long_context"
        if usage.speed == "fast":
            if window.fast is None:
                return None
            rates, rates_used = window.fast, "fast"
        multiplier = 1.0
        if usage.inference_geo == "us" and window.us_multiplier is not None:
            multiplier = window.us_multiplier
        # The same operations in the same order as the rendered OTTL, so both give the same float.
        token_cost = (
            usage.uncached_input * rates.input
            + usage.output * rates.output
            + usage.cache_read * rates.cache_read
            + usage.cache_write_5m * rates.cache_write_5m
            + usage.cache_write_1h * rates.cache_write_1h
        ) / PER_MILLION
        # Without caching every prompt token is uncached input (same rates: the tier depends on the prompt).
        uncached_cost = (usage.prompt_tokens * rates.input + usage.output * rates.output) / PER_MILLION
        if multiplier != 1.0:
            token_cost = token_cost * multiplier
            uncached_cost = uncached_cost * multiplier
        total, uncached_total, web_search = token_cost, uncached_cost, 0.0
        if usage.web_search_requests > 0 and window.web_search_per_1k is not None:
            web_search = usage.web_search_requests * window.web_search_per_1k / PER_THOUSAND
            total = token_cost + web_search
            uncached_total = uncached_cost + web_search
        kinds = {
            kind: getattr(usage, "uncached_input" if kind == "input" else kind) * getattr(rates, kind)
            / PER_MILLION * multiplier
            for kind in TOKEN_KINDS
        }
        return CostBreakdown(
            entry.id, rates_used, multiplier, web_search=web_search, total=total, uncached_total=uncached_total, **kinds
        )

    def cost_for_span(self, attributes: Mapping[str, Any], start: datetime) -> CostBreakdown | None:
        """What the collector's cost module computes for a `chat` span with these attributes."""
        model = attributes.get("gen_ai.request.model")
        if not isinstance(model, str):
            return None
        return self.cost(model, Usage.from_span_attributes(attributes), start)


def _utc(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


_INT_TEXT = re.compile(r"[+-]?[0-9]+")


def _ottl_int(value: object) -> int | None:
    """OTTL's Int(): ints as-is, doubles truncated, bools 0/1, decimal strings parsed, anything else nil."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value == value and abs(value) != float("inf") else None
    if isinstance(value, str) and _INT_TEXT.fullmatch(value):
        return int(value)
    return None


def load_price_table(prices_path: str | None = None, overrides_path: str | None = None) -> PriceTable:
    """Load, validate and merge the generated table and the reviewed overrides (package files by default)."""
    from ccotel.collector.pricing.catalogue import load_price_table as _load

    return _load(prices_path, overrides_path)
