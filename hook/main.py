"""`ccotel hook`: the Stop/SubagentStop/SessionEnd hook. Payload on stdin; always exit 0, silently.

Fail-open: whatever happens (bad payload, missing transcript, a bug), the run logs one clear line to
<state dir>/ccotel.log and exits 0 with nothing on stdout or stderr, so Claude Code is never blocked
(exit 2 would stop Claude from stopping) and never shows a hook error. A watchdog ends the process
shortly after the deadline even if something hangs; the spool protocol makes that as safe as a kill.
"""

from __future__ import annotations

import contextlib
import io
import os
import select
import sys
import time

from ccotel.hook._typing import TYPE_CHECKING
from ccotel.hook.log import Log

if TYPE_CHECKING:
    import argparse
    from typing import NoReturn

MAX_PAYLOAD_BYTES = 32 * 1024 * 1024
WATCHDOG_GRACE_SECONDS = 1.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """No options: the payload says everything. Unknown words (a hand-written `ccotel hook --event stop`) are
    ignored rather than rejected, because argparse's exit code 2 would keep Claude from stopping. (The command
    table runs the hook without argparse at all: see ccotel.commands.main.)"""
    import argparse

    parser.add_argument("ignored", nargs="*", help=argparse.SUPPRESS)

    def ignore(message: str) -> None:
        return None

    parser.error = ignore  # type: ignore[method-assign,assignment]


def read_stdin(deadline: float) -> bytes:
    """All of stdin, or what arrived before the deadline (a hook's stdin is a pipe Claude Code closes)."""
    try:
        fd = sys.__stdin__.fileno() if sys.__stdin__ is not None else 0
    except (OSError, ValueError):
        return b""
    if os.isatty(fd):
        return b""
    chunks: list[bytes] = []
    size = 0
    while size < MAX_PAYLOAD_BYTES:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        ready, _, _ = select.select([fd], [], [], remaining)
        if not ready:
            break
        chunk = os.read(fd, 1024 * 1024)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def run(args: object = None) -> int:
    started = time.monotonic()
    real_stdout, real_stderr = sys.stdout, sys.stderr
    captured = io.StringIO()
    sys.stdout = sys.stderr = captured  # a stray print or warning must not reach Claude Code
    log: Log | None = None
    try:
        if os.environ.get("CCOTEL_ENABLED", "").strip().lower() in ("0", "false", "no", "off"):
            return 0
        from ccotel.hook.config import load_settings

        settings = load_settings()
        log = _open_log(settings.state_dir, settings.debug)
        _arm_watchdog(settings.timeout_seconds + WATCHDOG_GRACE_SECONDS, log)
        raw = read_stdin(started + settings.timeout_seconds / 4)
        from ccotel.hook.runner import PayloadError, parse_payload, run_hook

        try:
            payload = parse_payload(raw)
        except PayloadError as error:
            log.error(f"hook: {error}; nothing exported (payload: {raw[:200]!r})")
            return 0
        settings = load_settings(cwd=payload.cwd)  # the project's own opt-out and content settings
        if not settings.enabled:
            log.debug(f"hook: disabled for {payload.cwd} (CCOTEL_ENABLED=false)")
            return 0
        log.tag = f"hook {payload.event} {payload.session_id[:8]}"
        for warning in settings.warnings:
            log.warning(warning)
        from ccotel.hook.state import StateDir

        state_dir = StateDir(settings.state_dir).create()
        outcome = run_hook(payload, settings, state_dir, log, started)
        delivery = outcome.delivery
        log.info(
            f"{outcome.spans} new spans (turn {'closed' if outcome.turn_closed else 'open'})"
            + (f", sent {delivery.sent_spans} spans in {delivery.sent_batches} batches" if delivery else "")
            + (f", last answer: {delivery.last.reason}" if delivery and delivery.last else "")
            + (f", spool holds {outcome.spool_batches} batches ({outcome.spool_bytes / 1024:.0f} KiB)"
               if outcome.spool_batches else "")
            + (f" [{outcome.note}]" if outcome.note else "")
            + f" in {time.monotonic() - started:.3f}s"
        )
    except BaseException as error:  # fail-open: one clear line, exit 0
        if log is None:
            log = _fallback_log()
        log.error(f"hook failed: {type(error).__name__}: {error}")
        if log.debug_enabled:
            import traceback

            log.debug(traceback.format_exc())
    finally:
        sys.stdout, sys.stderr = real_stdout, real_stderr
        stray = captured.getvalue().strip()
        if stray and log is not None:
            log.warning(f"output suppressed: {stray[:2000]}")
    return 0


def run_and_exit() -> NoReturn:
    """The hook as its own process: run, then end it at once. Everything the run writes went out with os.write
    and fsync, and nothing goes to stdout, so the interpreter's teardown (freeing the checkpoint's objects and
    every module, a few ms on a long session) has nothing left to do for anyone."""
    code = run()
    for stream in (sys.__stdout__, sys.__stderr__):
        if stream is not None:
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
    os._exit(code)


def _open_log(state_dir: str, debug: bool) -> Log:
    from ccotel.hook.state import ensure_private_dir

    try:
        ensure_private_dir(state_dir)
        return Log(os.path.join(state_dir, "ccotel.log"), debug=debug, tag="hook")
    except OSError:
        return Log(None, debug=debug, tag="hook")


def _fallback_log() -> Log:
    root = os.path.expanduser(os.environ.get("CCOTEL_STATE_DIR") or "~/.ccotel")
    return Log(os.path.join(root, "ccotel.log") if os.path.isdir(root) else None, tag="hook")


def _arm_watchdog(seconds: float, log: Log) -> None:
    def expire(signum: int, frame: object) -> None:
        log.error(f"hook: still running {seconds:.1f}s after it started; exiting (safe: see spool.py)")
        os._exit(0)

    import _signal  # the signal module would turn every constant into an enum first

    _signal.signal(_signal.SIGALRM, expire)
    _signal.setitimer(_signal.ITIMER_REAL, seconds)
