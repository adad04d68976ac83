"""`ccotel report`: usage, spend and analyses from local transcripts (no services needed)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import date
from pathlib import Path
from typing import Any

from ccotel.errors import CcotelError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--projects-dir",
        metavar="DIR",
        help="transcripts directory (default: $CLAUDE_CONFIG_DIR/projects, comma-separated "
        "allowed, else ~/.claude/projects and ~/.config/claude/projects)",
    )
    add_common_arguments(parser)


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags shared with `ccotel analyze`."""
    parser.add_argument("--json", action="store_true", help="print the report as JSON (schema ccotel.report/1)")
    parser.add_argument("--html", metavar="PATH", help="also write a self-contained HTML report with charts")
    parser.add_argument("--since", metavar="DATE", type=parse_day, help="first day to include (YYYY-MM-DD, UTC)")
    parser.add_argument("--until", metavar="DATE", type=parse_day, help="last day to include (YYYY-MM-DD, UTC)")
    parser.add_argument("--project", metavar="NAME", help="only projects whose name contains NAME")
    parser.add_argument(
        "--min-repeats",
        metavar="N",
        type=int,
        default=2,
        help="a prompt counts as repeated from N occurrences on (default 2)",
    )


def parse_day(text: str) -> date:
    cleaned = text.strip()
    if len(cleaned) == 8 and cleaned.isdigit():
        cleaned = f"{cleaned[:4]}-{cleaned[4:6]}-{cleaned[6:]}"
    try:
        return date.fromisoformat(cleaned)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from error


def check_window(args: argparse.Namespace) -> None:
    if args.since and args.until and args.since > args.until:
        raise CcotelError(f"--since {args.since} is after --until {args.until}")
    if args.min_repeats < 1:
        raise CcotelError("--min-repeats must be at least 1")


def emit(report: dict[str, Any], args: argparse.Namespace, title: str) -> int:
    """Print text or JSON, write the HTML file when asked."""
    from ccotel.collector.report.text import render_text

    if args.html:
        from ccotel.collector.report.html import render_html

        path = Path(args.html).expanduser()
        try:  # private by default (0600): the report quotes prompts
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                handle.write(render_html(report, title))
        except OSError as error:
            raise CcotelError(f"cannot write {path}: {error.strerror or error}") from error
        print(f"wrote {path}", file=sys.stderr)
    if args.json:
        json.dump(report, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(render_text(report))
    return 0


def run(args: argparse.Namespace) -> int:
    from ccotel.collector.pricing.costing import price_record
    from ccotel.collector.pricing.table import load_price_table
    from ccotel.collector.report.analytics import summarise_session
    from ccotel.collector.report.builder import ReportBuilder
    from ccotel.collector.report.tool_categories import load_tool_categories
    from ccotel.commands.local_usage import LocalHistory, projects_dirs

    check_window(args)
    roots = projects_dirs(args.projects_dir)
    table = load_price_table()
    categories = load_tool_categories()
    builder = ReportBuilder(categories, min_repeats=args.min_repeats)
    history = LocalHistory(roots, args.since, args.until, args.project)
    for records in history.sessions():
        facts = summarise_session((price_record(record, table) for record in records), categories)
        if facts is not None:
            builder.add(facts)
    for problem in history.skipped:
        print(f"ccotel report: skipped {problem}", file=sys.stderr)
    source = {
        "kind": "local",
        "projects_dirs": [str(root) for root in roots],
        "since": args.since.isoformat() if args.since else None,
        "until": args.until.isoformat() if args.until else None,
        "project": args.project,
        "prices": table.source,
        "duplicate_calls_dropped": history.duplicates,
        "skipped_sessions": history.skipped,
        "description": ", ".join(str(root) for root in roots) + f" (prices: {table.source})",
    }
    return emit(builder.build(source), args, "ccotel report")
