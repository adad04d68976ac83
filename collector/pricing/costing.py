"""Price chat records with the price table (ccotel.collector.pricing.table, the mirror of the collector's prices).

Each call gets its actual cost and what it would have cost with no caching (every prompt token at the
uncached input rate: CostBreakdown.uncached_total, the figure the collector's cost module puts on spans as
claude_code.cost.cache_savings = uncached - actual), so the report can say what caching saved. Pure.
"""

from __future__ import annotations

from ccotel.collector.pricing.table import PriceTable, Usage
from ccotel.collector.report.records import CHAT, SpanRecord


def record_usage(record: SpanRecord) -> Usage:
    return Usage(
        uncached_input=record.input_tokens,
        output=record.output_tokens,
        cache_read=record.cache_read_tokens,
        cache_write_5m=record.cache_write_5m_tokens,
        cache_write_1h=record.cache_write_1h_tokens,
        speed=record.speed or None,
        inference_geo=record.inference_geo or None,
        web_search_requests=record.web_search_requests,
    )


def price_record(record: SpanRecord, table: PriceTable, keep_cost: bool = False) -> SpanRecord:
    """A chat record with cost_usd and uncached_cost_usd filled in; other records unchanged.

    keep_cost: the record already carries the collector's cost (a Langfuse observation); only the
    uncached counterfactual is computed here. A call with no tokens at all costs 0 whatever its model
    (Claude Code's local `<synthetic>` error lines).
    """
    if record.operation != CHAT:
        return record
    if record.total_tokens == 0 and record.web_search_requests == 0:
        return record.with_costs(record.cost_usd if keep_cost and record.cost_usd is not None else 0.0, 0.0)
    actual = table.cost(record.model, record_usage(record), record.start) if record.model else None
    cost = record.cost_usd if keep_cost else (actual.total if actual else None)
    if cost is None or actual is None:
        return record.with_costs(cost, None)
    return record.with_costs(cost, actual.uncached_total)
