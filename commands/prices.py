"""`ccotel prices`: show the price table; `refresh` regenerates it; `render` re-renders Alloy's cost module.

    ccotel prices [--at DATE] [--model NAME]    the merged table in force at DATE (default: today, UTC)
    ccotel prices refresh [--output P] [--check]    prices.yaml from the installed genai-prices + what changed
    ccotel prices render [--output P] [--check]     alloy/modules/cost.alloy from the table
"""

from __future__ import annotations

import argparse
import os
import tempfile
from datetime import UTC, date, datetime
from pathlib import Path

from ccotel.errors import CcotelError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", nargs="?", choices=("list", "refresh", "render"), default="list",
                        help="list (default), refresh prices.yaml from genai-prices, or render cost.alloy")
    parser.add_argument("--prices", metavar="PATH", help="the generated table (default: the packaged prices.yaml)")
    parser.add_argument("--overrides", metavar="PATH",
                        help="the reviewed overrides (default: the packaged price_overrides.yaml)")
    parser.add_argument("--at", metavar="DATE", type=_day, help="list: prices in force on DATE (YYYY-MM-DD, UTC)")
    parser.add_argument("--model", metavar="NAME", help="list: only the entry that prices this model name")
    parser.add_argument("--output", metavar="PATH", help="refresh/render: write here instead of the packaged file")
    parser.add_argument("--check", action="store_true",
                        help="refresh/render: write nothing; exit 1 if the file is not up to date")


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from error


def run(args: argparse.Namespace) -> int:
    if args.action == "refresh":
        return _refresh(args)
    if args.action == "render":
        return _render(args)
    return _list(args)


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def _list(args: argparse.Namespace) -> int:
    from ccotel.collector.pricing.table import load_price_table

    table = load_price_table(args.prices, args.overrides)
    day = args.at or datetime.now(UTC).date()
    at = datetime(day.year, day.month, day.day, tzinfo=UTC)
    models = table.models
    if args.model:
        found = table.find_model(args.model)
        if found is None:
            raise CcotelError(f"{args.model!r} (normalised {table.normalise_model_name(args.model)!r}) "
                              "matches no price entry: it would be unpriced")
        print(f"{args.model} -> {table.normalise_model_name(args.model)} -> {found.id}")
        models = (found,)
    print(f"prices in force on {day} (USD per million tokens; web search per 1,000) - {table.source} + overrides")
    header = ("model", "in", "out", "read", "5m", "1h", "long context", "fast in/out", "US", "web", "since", "notes")
    rows = [header]
    for model in models:
        window = model.window_at(at)
        rates, tier = window.standard, window.long_context
        rows.append((
            model.id, _number(rates.input), _number(rates.output), _number(rates.cache_read),
            _number(rates.cache_write_5m), _number(rates.cache_write_1h),
            f">{tier.above_prompt_tokens // 1000}k: {tier.rates.input:g}/{tier.rates.output:g}" if tier else "-",
            f"{window.fast.input:g}/{window.fast.output:g}" if window.fast else "-",
            f"x{window.us_multiplier:g}" if window.us_multiplier else "-",
            _number(window.web_search_per_1k), str(window.start or "-"),
            ", ".join(model.overrides) if model.origin == "genai-prices" else "added in overrides",
        ))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    print("unpriced: any other model name (incl. <synthetic>), and fast requests of a model without fast prices")
    return 0


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as error:
        raise CcotelError(f"cannot read {path}: {error.strerror or error}") from None


def _refresh(args: argparse.Namespace) -> int:
    from ccotel.collector.pricing.catalogue import PRICES_FILE, load_price_table, package_file
    from ccotel.collector.pricing.refresh import diff_summary, generate_prices_yaml

    target = Path(args.output or args.prices or package_file(PRICES_FILE))
    old, new = _read(target), generate_prices_yaml()
    changes = diff_summary(old, new) if old != new else []
    if not changes and old == new:
        print(f"{target}: up to date")
        return 0
    for line in changes or ["formatting only (same prices)"]:
        print(f"  {line}")
    if args.check:
        print(f"{target}: out of date (run `ccotel prices refresh`, review the diff)")
        return 1
    _write_atomically(target, new)
    print(f"{target}: written; review the diff, then run `ccotel prices render`")
    load_price_table(target, args.overrides)  # an override that upstream made redundant fails here, naming it
    return 0


def _render(args: argparse.Namespace) -> int:
    from ccotel.collector.pricing.render import cost_module_path, render_cost_module
    from ccotel.collector.pricing.table import load_price_table

    target = Path(args.output or cost_module_path())
    text = render_cost_module(load_price_table(args.prices, args.overrides))
    if _read(target) == text:
        print(f"{target}: up to date")
        return 0
    if args.check:
        print(f"{target}: out of date (run `ccotel prices render`)")
        return 1
    _write_atomically(target, text)
    print(f"{target}: written")
    return 0
