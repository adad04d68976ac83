"""`ccotel analyze --langfuse`: the report's analyses over Langfuse v4 (v2 observations, metrics)."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, datetime, time, timedelta
from typing import Any

from ccotel.commands.report import add_common_arguments, add_session, check_window, emit
from ccotel.errors import CcotelError

DEFAULT_HOST = "http://localhost:3000"
DEFAULT_DAYS = 30


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--langfuse",
        action="store_true",
        required=True,
        help="read the project behind LANGFUSE_PUBLIC_KEY / LANGFUSE_SECRET_KEY",
    )
    parser.add_argument("--host", metavar="URL", help=f"Langfuse URL (default: $LANGFUSE_HOST, else {DEFAULT_HOST})")
    parser.add_argument("--public-key", metavar="KEY", help="default: $LANGFUSE_PUBLIC_KEY")
    parser.add_argument(
        "--secret-key",
        metavar="KEY",
        help="default: $LANGFUSE_SECRET_KEY (prefer the variable: flags show up in `ps`)",
    )
    parser.add_argument("--timeout", metavar="SECONDS", type=float, default=30.0, help="per request (default 30)")
    parser.add_argument(
        "--write-scores",
        action="store_true",
        help="also write per-session scores (cache hit ratio, tool error rate, cost per edit, turns) to Langfuse",
    )
    add_common_arguments(parser)


def window(args: argparse.Namespace, now: datetime) -> tuple[datetime, datetime]:
    until = datetime.combine(args.until + timedelta(days=1), time(), UTC) if args.until else now
    since = datetime.combine(args.since, time(), UTC) if args.since else until - timedelta(days=DEFAULT_DAYS)
    return since, until


def run(args: argparse.Namespace) -> int:
    from ccotel.collector.pricing.costing import price_record
    from ccotel.collector.pricing.table import load_price_table
    from ccotel.collector.report.builder import ReportBuilder
    from ccotel.collector.report.langfuse_records import sessions_from_observations
    from ccotel.collector.report.langfuse_source import LangfuseClient, LangfuseError, fetch_observations
    from ccotel.collector.report.scores import session_scores
    from ccotel.collector.report.team import TeamBuilder, user_of
    from ccotel.collector.report.tips import TipsBuilder
    from ccotel.collector.report.tool_categories import load_tool_categories

    check_window(args)
    if not args.timeout > 0:
        raise CcotelError("--timeout must be a positive number of seconds")
    host = args.host or os.environ.get("LANGFUSE_HOST") or os.environ.get("LANGFUSE_BASE_URL") or DEFAULT_HOST
    public_key = args.public_key or os.environ.get("LANGFUSE_PUBLIC_KEY", "")
    secret_key = args.secret_key or os.environ.get("LANGFUSE_SECRET_KEY", "")
    if not public_key or not secret_key:
        raise CcotelError("set LANGFUSE_PUBLIC_KEY and LANGFUSE_SECRET_KEY (the project's API keys)")
    if not host.startswith(("http://", "https://")):
        raise CcotelError(f"--host must be an http(s) URL, not {host!r}")
    since, until = window(args, datetime.now(UTC))
    client = LangfuseClient(host, public_key, secret_key, timeout=args.timeout)
    try:
        fetched = fetch_observations(client, since, until)
    except LangfuseError as error:
        raise CcotelError(str(error)) from None
    table = load_price_table()
    categories = load_tool_categories()
    builder = ReportBuilder(categories, min_repeats=args.min_repeats)
    needle = args.project.lower() if args.project else None
    tips = TipsBuilder(table, args.min_repeats)
    team = TeamBuilder(categories, table, args.min_repeats)
    scores: list[dict[str, Any]] = []
    for records in sessions_from_observations(fetched.observations).values():
        if needle and needle not in records[0].project.lower():
            continue
        priced = [price_record(record, table, keep_cost=True) for record in records]
        facts, tip_facts = add_session(priced, builder, tips)
        if facts is not None:
            team.add(user_of(priced), facts, tip_facts)
            scores.extend(session_scores(facts))
    if args.write_scores:
        from ccotel.commands._langfuse_scores import write_scores

        written = write_scores(host, public_key, secret_key, scores, args.timeout)
        print(f"ccotel analyze: wrote {written} scores to {host}", file=sys.stderr)
    source = {
        "kind": "langfuse",
        "host": host,
        "langfuse_version": fetched.version,
        "since": since.isoformat(),
        "until": until.isoformat(),
        "project": args.project,
        "observations": len(fetched.observations),
        "duplicate_observations_dropped": fetched.duplicates,
        "pages": fetched.pages,
        "server_model_totals": fetched.server_totals,
        "server_model_totals_error": fetched.server_totals_error or None,
        "prices": table.source,
        "description": (
            f"Langfuse {fetched.version or '(version unknown)'} at {host}, "
            f"{since.date()} .. {until.date()}: {len(fetched.observations)} observations, "
            f"{fetched.duplicates} duplicates dropped"
        ),
    }
    return emit(builder.build(source) | {"tips": tips.build(), "team": team.build()}, args, "ccotel analyze")
