"""`ccotel report`: usage, spend and analyses from local transcripts (no services needed)."""

from __future__ import annotations

import argparse
import gc
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
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="read every transcript again and leave the store ($CCOTEL_STATE_DIR/report.sqlite3) alone",
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
    write_html(report, args, title)
    sys.stdout.write(rendered(report, args))
    return 0


def write_html(report: dict[str, Any], args: argparse.Namespace, title: str) -> None:
    if not args.html:
        return
    from ccotel.collector.report.html import render_html

    path = Path(args.html).expanduser()
    try:  # private by default (0600): the report quotes prompts
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(render_html(report, title))
    except OSError as error:
        raise CcotelError(f"cannot write {path}: {error.strerror or error}") from error
    print(f"wrote {path}", file=sys.stderr)


def rendered(report: dict[str, Any], args: argparse.Namespace) -> str:
    """What goes to stdout: the JSON document or the text report."""
    if args.json:
        return json.dumps(report, indent=2) + "\n"
    from ccotel.collector.report.text import render_text

    return render_text(report)


def _opened(open_store: Any, path: Path) -> Any:
    """The store, or one readable line when it cannot be created (use --no-cache meanwhile)."""
    import sqlite3

    try:
        return open_store(path)
    except (OSError, sqlite3.Error) as error:
        raise CcotelError(f"cannot open the report store {path}: {error} (--no-cache reads without it)") from None


def summarise(records: list[Any], categories: Any) -> tuple[Any, Any]:
    """One session's priced records -> (SessionFacts, SessionTipFacts), (None, None) for no records."""
    from ccotel.collector.report.analytics import summarise_session
    from ccotel.collector.report.tips import session_tip_facts

    facts = summarise_session(records, categories)
    return (None, None) if facts is None else (facts, session_tip_facts(records, categories))


def add_session(records: list[Any], builder: Any, tips: Any) -> tuple[Any, Any]:
    """One session's priced records into the report and the tips (shared with `ccotel analyze`)."""
    facts, tip_facts = summarise(records, builder.categories)
    if facts is not None:
        builder.add(facts)
        if tip_facts is not None:
            tips.add(tip_facts)
    return facts, tip_facts


def run(args: argparse.Namespace) -> int:
    # Reading builds many objects that live to the end of the run, and few reference cycles: without the
    # cyclic collector's passes over them the run is faster, and memory is what the objects take.
    gc.disable()
    try:
        return _run(args)
    finally:
        gc.enable()


def _run(args: argparse.Namespace) -> int:
    from ccotel.commands.local_usage import LocalHistory, discover_sessions, projects_dirs

    check_window(args)
    roots = projects_dirs(args.projects_dir)
    sessions = list(discover_sessions(roots))
    if not sessions:  # one line, not pages of empty tables
        where = ", ".join(str(root) for root in roots)
        raise CcotelError(f"no Claude Code transcripts in {where} (use --projects-dir DIR or set CLAUDE_CONFIG_DIR)")
    history = LocalHistory(roots, args.since, args.until, args.project)
    if args.no_cache:
        report = _report(args, history, _unstored(history, args))
        write_html(report, args, TITLE)
        text = rendered(report, args)
    else:
        from ccotel.commands._history_store import default_store_path, input_state, open_store, session_stats
        from ccotel.commands._stored_sessions import read_in_two_processes, stale_sessions

        path = default_store_path()
        with _opened(open_store, path) as store:
            # the same arguments over files in the same state print what they printed last time
            key = None if args.html else _arguments_key(args, roots)
            taken = session_stats(sessions)
            state = input_state(sessions, taken) if key else None
            cached = store.output(key, state) if key and state else None
            if cached is not None:
                sys.stdout.write(cached)
                return 0
            stale = stale_sessions(store, sessions, taken)
        # closed first: a helper process must not inherit an open SQLite connection
        read_in_two_processes(lambda: _opened(open_store, path), stale, history, taken)
        with _opened(open_store, path) as store:
            report = _report(args, history, _stored(store, sessions, history, args, taken))
            write_html(report, args, TITLE)
            text = rendered(report, args)
            if key and state and not history.skipped:
                store.save_output(key, state, text)
    sys.stdout.write(text)
    return 0


TITLE = "ccotel report"


def _arguments_key(args: argparse.Namespace, roots: list[Path]) -> str:
    since, until = (day.isoformat() if day else None for day in (args.since, args.until))
    return json.dumps([[str(root) for root in roots], since, until, args.project, args.min_repeats, bool(args.json)])


def _unstored(history: Any, args: argparse.Namespace) -> tuple[Any, Any, str]:
    """Every transcript read and priced again: (ReportBuilder, TipsBuilder, price table name)."""
    from ccotel.collector.pricing.costing import price_record
    from ccotel.collector.pricing.table import load_price_table
    from ccotel.collector.report.builder import ReportBuilder
    from ccotel.collector.report.tips import TipsBuilder
    from ccotel.collector.report.tool_categories import load_tool_categories

    builder = ReportBuilder(load_tool_categories(), min_repeats=args.min_repeats)
    table = load_price_table()
    tips = TipsBuilder(table, args.min_repeats)
    for records in history.sessions():
        add_session([price_record(record, table) for record in records], builder, tips)
    return builder, tips, str(table.source)


def _stored(
    store: Any, sessions: list[Any], history: Any, args: argparse.Namespace, taken: dict[str, Any]
) -> tuple[Any, Any, str]:
    """The same through the store: only what changed is read, summarised sessions are reused."""
    from ccotel.collector.report.builder import ReportBuilder
    from ccotel.collector.report.tips import TipsBuilder
    from ccotel.collector.report.tool_categories import load_tool_categories
    from ccotel.commands._history_store import LazyPrices, StoredReader, kept_in
    from ccotel.commands._stored_sessions import stored_sessions

    categories = kept_in(store, "tool_categories", load_tool_categories)
    builder = ReportBuilder(categories, min_repeats=args.min_repeats)
    reader = StoredReader(store, LazyPrices(store), taken)
    tips = TipsBuilder(reader.prices.get(), args.min_repeats)
    for facts, tip_facts in stored_sessions(history, reader, categories, sessions):
        if facts is None:
            continue
        builder.add(facts)  # stored records are priced already
        if tip_facts is not None:
            tips.add(tip_facts)
    reader.forget_missing()
    return builder, tips, reader.prices_source()


def _report(args: argparse.Namespace, history: Any, built: tuple[Any, Any, str]) -> dict[str, Any]:
    builder, tips, prices = built
    for problem in history.skipped:
        print(f"ccotel report: skipped {problem}", file=sys.stderr)
    roots = history.roots
    source = {
        "kind": "local",
        "projects_dirs": [str(root) for root in roots],
        "since": args.since.isoformat() if args.since else None,
        "until": args.until.isoformat() if args.until else None,
        "project": args.project,
        "prices": prices,
        "duplicate_calls_dropped": history.duplicates,
        "skipped_sessions": history.skipped,
        "description": ", ".join(str(root) for root in roots) + f" (prices: {prices})",
    }
    return builder.build(source) | {"tips": tips.build()}
