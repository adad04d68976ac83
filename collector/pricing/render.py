"""Price table -> OTTL -> alloy/modules/cost.alloy: the collector's half of "same table, same figure".

    text = render_cost_module(load_price_table())     # deterministic; committed; a test re-renders and compares

The statements run in span context, only on `chat` spans (the group's condition). Scratch values live in
`span.cache` (a per-span map that the transform processor discards after the statements ran), so nothing
but `gen_ai.usage.cost`, `claude_code.cost.cache_savings` and `claude_code.cost.status` is left on the
span. Integer token counts become doubles with Double() before they meet the (double) prices.
pricing.PriceTable.cost() does the same operations in the same order.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from importlib.resources import files
from pathlib import Path

from ccotel.collector.pricing.table import TOKEN_KINDS, PriceTable, PriceWindow, Rates

CHAT_CONDITION = 'span.attributes["gen_ai.operation.name"] == "chat"'
COST = "gen_ai.usage.cost"
STATUS = "claude_code.cost.status"
SAVINGS = "claude_code.cost.cache_savings"
_ATTR = 'span.attributes["{}"]'
_CACHE = 'span.cache["{}"]'
_COUNTS = {  # scratch name -> span attribute (an integer token or request count; missing = 0)
    "input": "gen_ai.usage.input_tokens",
    "output": "gen_ai.usage.output_tokens",
    "cache_read": "gen_ai.usage.cache_read.input_tokens",
    "cache_creation": "gen_ai.usage.cache_creation.input_tokens",
    "write_5m": "claude_code.usage.cache_creation.5m_input_tokens",
    "write_1h": "claude_code.usage.cache_creation.1h_input_tokens",
    "web_search": "claude_code.usage.web_search_requests",
}
_TOKENS = {"input": "uncached", "output": "output", "cache_read": "cache_read",
           "cache_write_5m": "write_5m", "cache_write_1h": "write_1h"}  # price kind -> scratch count
MODEL, SPEED, GEO = "gen_ai.request.model", "claude_code.usage.speed", "claude_code.usage.inference_geo"


def attr(name: str) -> str:
    return _ATTR.format(name)


def cache(name: str) -> str:
    return _CACHE.format(name)


def ottl_string(text: str) -> str:
    """An OTTL string literal (Go unquoting: backslash and double quote escaped)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def ottl_float(value: float) -> str:
    """A float64 literal OTTL's lexer accepts (digits '.' digits [e exp]); repr round-trips exactly."""
    text = repr(float(value))
    mantissa, _, exponent = text.partition("e")
    if "." not in mantissa:
        mantissa += ".0"
    return mantissa + ("e" + exponent if exponent else "")


def unix_nano(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()) * 1_000_000_000


def _rates_map(rates: Rates, window: PriceWindow) -> str:
    entries = [f'"{kind}": {ottl_float(getattr(rates, kind))}' for kind in TOKEN_KINDS]
    if window.web_search_per_1k is not None:
        entries.append(f'"web_search": {ottl_float(window.web_search_per_1k)}')
    if window.us_multiplier is not None:
        entries.append(f'"us_multiplier": {ottl_float(window.us_multiplier)}')
    return "{" + ", ".join(entries) + "}"


def input_statements(table: PriceTable) -> list[str]:
    """Read the model name and the token counts into span.cache, exactly as Usage.from_span_attributes."""
    lines = [
        f'delete_key(span.attributes, "{COST}")',
        f'delete_key(span.attributes, "{STATUS}")',
        f'delete_key(span.attributes, "{SAVINGS}")',
        f"set({cache('model')}, ToLowerCase({attr(MODEL)})) where IsString({attr(MODEL)})",
    ]
    lines += [f"replace_pattern({cache('model')}, {ottl_string(rule.pattern)}, {ottl_string(rule.replace)})"
              for rule in table.name_rules]
    for name, source in _COUNTS.items():
        lines += [f"set({cache(name)}, 0)", f"set({cache(name)}, Int({attr(source)}))",
                  f"set({cache(name)}, 0) where {cache(name)} < 0"]
    no_breakdown = f"{attr(_COUNTS['write_5m'])} == nil and {attr(_COUNTS['write_1h'])} == nil"
    lines += [
        f"set({cache('write_5m')}, {cache('cache_creation')}) where {no_breakdown}",
        f"set({cache('uncached')}, {cache('input')} - {cache('cache_read')} - {cache('cache_creation')})",
        f"set({cache('uncached')}, 0) where {cache('uncached')} < 0",
        f"set({cache('prompt')}, {cache('uncached')} + {cache('cache_read')} + {cache('write_5m')}"
        f" + {cache('write_1h')})",
    ]
    return lines


def _window_condition(model_id: str, window: PriceWindow) -> str:
    parts = [f"{cache('price_model')} == {ottl_string(model_id)}"]
    if window.start is not None:
        parts.append(f"span.start_time_unix_nano >= {unix_nano(window.start)}")
    if window.end is not None:
        parts.append(f"span.start_time_unix_nano < {unix_nano(window.end)}")
    return " and ".join(parts)


def price_statements(table: PriceTable) -> list[str]:
    """First matching model wins; then the window in force picks standard, long-context or fast rates."""
    lines = [f"set({cache('price_model')}, {ottl_string(model.id)}) where {cache('price_model')} == nil"
             f" and IsMatch({cache('model')}, {ottl_string(model.match)})" for model in table.models]
    for model in table.models:
        for window in model.windows:
            where = _window_condition(model.id, window)
            lines.append(f"set({cache('rates')}, {_rates_map(window.standard, window)}) where {where}")
            if window.long_context is not None:
                lines.append(f"set({cache('rates')}, {_rates_map(window.long_context.rates, window)}) where {where}"
                             f" and {cache('prompt')} > {window.long_context.above_prompt_tokens}")
            fast = f'{attr(SPEED)} == "fast"'
            if window.fast is not None:
                lines.append(f"set({cache('rates')}, {_rates_map(window.fast, window)}) where {where} and {fast}")
            else:
                lines.append(f'delete_key(span.cache, "rates") where {where} and {fast}')
    return lines


def _finish(name: str) -> list[str]:
    """The US-only multiplier and web search on top of a token cost in span.cache[name] (mirror's order)."""
    rates, value = cache("rates"), cache(name)
    return [
        f"set({value}, {value} * {rates}[\"us_multiplier\"]) where {value} != nil"
        f' and {attr(GEO)} == "us" and {rates}["us_multiplier"] != nil',
        f"set({value}, {value} + Double({cache('web_search')}) * {rates}[\"web_search\"] / 1000.0)"
        f" where {value} != nil and {cache('web_search')} > 0 and {rates}[\"web_search\"] != nil",
    ]


def cost_statements() -> list[str]:
    """The cost, and the same request's cost with no caching (every prompt token as uncached input)."""
    rates = cache("rates")
    terms = " + ".join(f"Double({cache(_TOKENS[kind])}) * {rates}[\"{kind}\"]" for kind in TOKEN_KINDS)
    uncached_terms = f"Double({cache('prompt')}) * {rates}[\"input\"] + Double({cache('output')}) * {rates}[\"output\"]"
    return [
        f"set({cache('cost')}, ({terms}) / 1000000.0) where {rates} != nil",
        *_finish("cost"),
        f"set({cache('uncached_cost')}, ({uncached_terms}) / 1000000.0) where {rates} != nil",
        *_finish("uncached_cost"),
        f"set({attr(COST)}, {cache('cost')}) where {cache('cost')} != nil",
        f"set({attr(SAVINGS)}, {cache('uncached_cost')} - {cache('cost')}) where {cache('cost')} != nil",
        f'set({attr(STATUS)}, "priced") where {cache("cost")} != nil',
        f'set({attr(STATUS)}, "unpriced") where {cache("cost")} == nil',
    ]


def all_statements(table: PriceTable) -> list[str]:
    return input_statements(table) + price_statements(table) + cost_statements()


HEADER = """\
// GENERATED by `ccotel prices render` from collector/pricing/prices.yaml ({source}) and
// collector/pricing/price_overrides.yaml. Do not edit: change the price files, then re-render.
//
// Sets gen_ai.usage.cost (USD, double), claude_code.cost.cache_savings (USD: the same request with no caching,
// minus its cost) and claude_code.cost.status ("priced" / "unpriced") on every `chat` span. Unknown models get
// no cost, never 0. Rules: uncached input (= input - cache read - cache creation),
// output, cache reads, 5m and 1h cache writes at their own prices (without the breakdown, all cache creation at
// the 5m price); a long-context tier is a cliff over the whole prompt; fast mode and US-only inference where the
// span says so; web search per 1,000 requests; the price window in force at the span's start time.
// The Python mirror (ccotel.collector.pricing.table) computes the same figures from the same table.
"""


def render_cost_module(table: PriceTable) -> str:
    body = [
        'declare "cost" {',
        '  argument "traces_output" {',
        '    comment = "Where priced spans go: a list of otelcol.Consumer."',
        "  }",
        "",
        '  otelcol.processor.transform "cost" {',
        '    error_mode = "ignore"',
        "",
        "    trace_statements {",
        '      context    = "span"',
        f"      conditions = [`{CHAT_CONDITION}`]",
        "      statements = [",
    ]
    sections = [
        ("Inputs: model name (normalised) and token counts; missing counts are 0.", input_statements(table)),
        ("Model (first match wins) and the rates in force at the span's start time.", price_statements(table)),
        ("Cost and status.", cost_statements()),
    ]
    for title, statements in sections:
        body.append(f"        // {title}")
        for statement in statements:
            if "`" in statement:
                raise ValueError(f"a backtick cannot appear in a raw Alloy string: {statement}")
            body.append(f"        `{statement}`,")
    body += [
        "      ]",
        "    }",
        "",
        "    output {",
        "      traces = argument.traces_output.value",
        "    }",
        "  }",
        "",
        '  export "input" {',
        "    value = otelcol.processor.transform.cost.input",
        "  }",
        "}",
    ]
    return HEADER.format(source=table.source) + "\n" + "\n".join(body) + "\n"


def cost_module_path() -> Path:
    return Path(str(files("ccotel.alloy").joinpath("modules", "cost.alloy")))
