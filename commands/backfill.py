"""`ccotel backfill`: send existing transcripts through the hook's own mapping, state and spool.

Why the spool and not the OTel SDK exporter: the hook's path is what makes a span go out exactly once.
Backfill shares the per-session checkpoints (so a later Stop continues where backfill stopped and never
resends), the deterministic ids, the byte-identical write-ahead batches (a kill is resumable per chunk:
run the command again) and the poison handling. An SDK BatchSpanProcessor keeps spans in memory, drops
them when its queue is full and has no record of what was sent.

Files are taken oldest first; each session is locked while it is read (a live hook run of the same
session waits, other sessions do not). A session file touched in the last LIVE_SECONDS is left with its
last turn open for the live hook to close. Sending is paced to CCOTEL_BACKFILL_SPANS_PER_SECOND
(or --rate) so a large history does not flood the collector.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from ccotel.commands.local_usage import SessionFiles, discover_sessions, projects_dirs
from ccotel.errors import CcotelError
from ccotel.hook.config import Settings, load_settings
from ccotel.hook.delivery import DeliveryReport, deliver, write_status
from ccotel.hook.ingest import Session, read_session
from ccotel.hook.log import Log
from ccotel.hook.runner import load_scrubber, make_resource, mapping_options
from ccotel.hook.spool import list_batches, total_bytes
from ccotel.hook.state import SessionLock, StateDir, session_key
from ccotel.hook.transcript import parse_line
from ccotel.hook.transport import Transport

LIVE_SECONDS = 600.0
LOCK_WAIT_SECONDS = 30.0
SEND_WINDOW_SECONDS = 30.0  # one drain's deadline
RETRY_DELAYS = (1.0, 2.0, 4.0, 8.0, 16.0, 30.0)
PROGRESS_EVERY_SECONDS = 1.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--since", metavar="DATE", type=_date, help="files changed on or after DATE (UTC)")
    parser.add_argument("--project", metavar="NAME", help="only projects whose directory name contains NAME")
    parser.add_argument("--dry-run", action="store_true", help="map and count, write and send nothing")
    parser.add_argument("--projects-dir", metavar="DIR",
                        help="projects folder (default $CLAUDE_CONFIG_DIR/projects or ~/.claude/projects)")
    parser.add_argument("--rate", metavar="SPANS_PER_S", type=float,
                        help="at most this many spans per second (default CCOTEL_BACKFILL_SPANS_PER_SECOND)")
    parser.add_argument("--retries", metavar="N", type=int, default=4,
                        help="when the collector fails, retry N times (1, 2, 4, 8... s apart) before stopping")


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def session_cwd(path: Path, limit: int = 256 * 1024) -> str | None:
    """The working directory the session ran in: the first `cwd` field in its first lines."""
    try:
        with path.open("rb") as handle:
            head = handle.read(limit)
    except OSError:
        return None
    for line in head.split(b"\n"):
        row = parse_line(line)
        if row is not None and isinstance(row.get("cwd"), str) and row["cwd"]:
            return str(row["cwd"])
    return None


class Pacer:
    """Spans per second over the whole run: sleep before a batch that would go faster."""

    def __init__(self, rate: float, delays: tuple[float, ...] = ()) -> None:
        self.rate = rate
        self.delays = delays  # the waits between attempts when the collector fails
        self.started = time.monotonic()
        self.spans = 0
        self.scrubber: Any = None  # ccotel.hook.scrub.Scrubber when the endpoint is remote: batches are redacted

    def __call__(self, spans: int) -> None:
        wait = self.started + self.spans / self.rate - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        self.spans += spans


class Progress:
    def __init__(self, total_files: int, dry_run: bool) -> None:
        self.total = total_files
        self.dry_run = dry_run
        self.files = self.skipped = self.spans = self.sent = self.bad_lines = 0
        self.started = time.monotonic()
        self._last_print = 0.0

    def bar(self, width: int = 24) -> str:
        done = width if not self.total else min(width, width * self.files // self.total)
        return "[" + "#" * done + "." * (width - done) + "]"

    def line(self) -> str:
        elapsed = max(time.monotonic() - self.started, 1e-6)
        head = f"backfill {self.bar()} {self.files}/{self.total} files"
        if self.dry_run:
            return f"{head} (dry run), {self.spans} spans would be sent, {self.skipped} skipped"
        return (f"{head}, {self.spans} spans mapped, {self.sent} sent ({self.sent / elapsed:.0f} spans/s), "
                f"{self.skipped} skipped")

    def show(self, force: bool = False) -> None:
        """On a terminal the bar is redrawn in place; in a pipe or a log, one line a second."""
        now = time.monotonic()
        if force or now - self._last_print >= PROGRESS_EVERY_SECONDS:
            self._last_print = now
            if sys.stderr.isatty():
                print("\r\033[K" + self.line(), end="\n" if force else "", file=sys.stderr, flush=True)
            else:
                print(self.line(), file=sys.stderr, flush=True)


def select_files(args: argparse.Namespace) -> list[SessionFiles]:
    roots = projects_dirs(args.projects_dir)
    chosen: list[tuple[float, SessionFiles]] = []
    for files in discover_sessions(roots):
        if files.main.name.startswith("agent-"):
            continue  # 2.0.x flat subagent files: they have no session of their own
        if args.project and args.project.lower() not in files.project_dir.lower():
            continue
        try:
            mtime = files.newest_mtime()
        except OSError:
            continue
        if args.since and datetime.fromtimestamp(mtime, UTC).date() < args.since:
            continue
        chosen.append((mtime, files))
    chosen.sort(key=lambda item: (item[0], str(item[1].main)))
    return [files for _, files in chosen]


def run(args: argparse.Namespace) -> int:
    base = load_settings()
    rate = args.rate if args.rate is not None else base.backfill_spans_per_second
    if not rate > 0:
        raise CcotelError(f"--rate must be a positive number of spans per second, not {rate}")
    files = select_files(args)
    state_dir = StateDir(base.state_dir)
    if not args.dry_run:
        state_dir.create()
    log = Log(None if args.dry_run else state_dir.log_path, debug=base.debug, tag="backfill")
    for warning in base.warnings:
        print(f"ccotel backfill: warning: {warning}", file=sys.stderr)
    progress = Progress(len(files), args.dry_run)
    transport = Transport(base.traces_url, base.headers)
    pacer = Pacer(rate, delays=RETRY_DELAYS[: max(args.retries, 0)])
    pacer.scrubber = None if args.dry_run else load_scrubber(base)  # remote endpoint: nothing raw leaves
    try:
        for session_files in files:
            settings = load_settings(cwd=session_cwd(session_files.main))
            if not settings.enabled:
                progress.skipped += 1
                log.info(f"{session_files.main}: skipped, the project sets CCOTEL_ENABLED=false")
            else:
                _one_session(session_files, settings, state_dir, log, progress, transport, pacer,
                             args.dry_run)
            progress.files += 1
            progress.show()
        if not args.dry_run:
            report = _drain(state_dir, transport, log, pacer, {})
            progress.sent += report.sent_spans
    finally:
        transport.close()
        progress.show(force=True)
        if progress.bad_lines:
            where = "the log" if args.dry_run else state_dir.log_path
            print(f"ccotel backfill: {progress.bad_lines} unreadable lines skipped (see {where})",
                  file=sys.stderr)
    if not args.dry_run:
        pending = list_batches(state_dir.spool)
        write_status(state_dir, base.traces_url, base.spool_max_bytes, None,
                     total_bytes(pending) >= base.spool_max_bytes)
        if pending:
            raise CcotelError(
                f"{len(pending)} batches not taken by {base.traces_url} wait in {state_dir.spool} "
                "(the hook sends them on its next runs; or run `ccotel backfill` again)"
            )
    return 0


def _one_session(
    files: SessionFiles, settings: Settings, state_dir: StateDir, log: Log, progress: Progress,
    transport: Transport, pacer: Pacer, dry_run: bool,
) -> None:
    key = session_key(files.session_id)
    final = time.time() - files.newest_mtime() > LIVE_SECONDS
    lock = SessionLock(state_dir, key)
    if not dry_run and not lock.acquire(time.monotonic() + LOCK_WAIT_SECONDS):
        raise CcotelError(f"session {files.session_id} stayed locked {LOCK_WAIT_SECONDS:.0f} s; try again")
    try:
        if not dry_run and total_bytes(list_batches(state_dir.spool)) >= settings.spool_max_bytes:
            report = _drain(state_dir, transport, log, pacer, {})
            progress.sent += report.sent_spans
            if total_bytes(list_batches(state_dir.spool)) >= settings.spool_max_bytes:
                raise CcotelError(f"the spool is full and {settings.traces_url} takes nothing; retry later")
        resource = make_resource(settings, state_dir) if not dry_run else {}
        session = Session(state_dir, key, files.session_id, mapping_options(settings), resource, log,
                          dry_run=dry_run, scrub=pacer.scrubber.document if pacer.scrubber else None).open()
        read_session(session, str(files.main), time.monotonic() + 1e9, final=final)
        session.collect_and_commit(final=final and session.result.complete)
        progress.spans += session.result.spans
        progress.bad_lines += session.result.bad_lines
        if not dry_run:
            report = _drain(state_dir, transport, log, pacer, {key: int(session.state["seq"])})
            progress.sent += report.sent_spans
    finally:
        lock.release()


def _drain(
    state_dir: StateDir, transport: Transport, log: Log, pacer: Pacer, held: dict[str, int]
) -> DeliveryReport:
    """Send what is spooled; on a collector failure retry with backoff, then leave the rest spooled."""
    total = DeliveryReport()
    for delay in (*pacer.delays, None):
        report = deliver(state_dir, transport, time.monotonic() + SEND_WINDOW_SECONDS, log, held,
                         respect_retry_after=False, pace=pacer, scrub=pacer.scrubber.body if pacer.scrubber else None)
        total.sent_batches += report.sent_batches
        total.sent_spans += report.sent_spans
        total.rejected_batches += report.rejected_batches
        total.last = report.last or total.last
        if not report.failed:
            return total
        if delay is None:
            pending = list_batches(state_dir.spool)
            raise CcotelError(
                f"{total.last.reason if total.last else 'sending failed'}; stopped. {len(pending)} batches "
                f"wait in {state_dir.spool} (the hook sends them on its next runs); run `ccotel backfill` "
                "again to continue where it stopped"
            )
        wait = max(delay, report.last.retry_after_seconds or 0.0) if report.last else delay
        reason = report.last.reason if report.last else "send failed"
        print(f"ccotel backfill: {reason}; retrying in {wait:.0f} s", file=sys.stderr)
        time.sleep(wait)
    return total
