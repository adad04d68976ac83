"""Drain the spool: POST pending batches oldest first, within the run's deadline; record the outcome.

A batch of another session is touched only if that session's lock can be taken without waiting, and
only if that session's checkpoint covers it (see spool.py: a batch above its checkpoint was never
committed). The first failure that is not the batch's fault (no answer, 5xx, 429, 408, wrong
endpoint/credentials) ends the drain: the collector is down, further posts would only burn the hook's
time. A Retry-After answer is honoured across runs through `status.json`; so is a timeout (no answer
within the deadline), for HANG_BACKOFF_SECONDS, so a hanging collector costs one run its deadline rather
than every run. A refused connection costs nothing and sets no backoff.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable

from ccotel.hook import spool
from ccotel.hook._plain import Plain
from ccotel.hook._typing import Any
from ccotel.hook.log import Log
from ccotel.hook.state import CorruptState, SessionLock, StateDir, atomic_write
from ccotel.hook.transport import MIN_ATTEMPT_SECONDS, PostResult, Transport

HANG_BACKOFF_SECONDS = 30.0


class DeliveryReport(Plain):
    """locked_sessions: batches left because their session is busy; waiting_until: a Retry-After in force
    (epoch seconds)."""

    __slots__ = ("last", "locked_sessions", "rejected_batches", "sent_batches", "sent_spans", "waiting_until")
    __hash__ = None  # type: ignore[assignment]

    def __init__(self, sent_batches: int = 0, sent_spans: int = 0, rejected_batches: int = 0,
                 locked_sessions: set[str] | None = None, last: PostResult | None = None,
                 waiting_until: float | None = None) -> None:
        self.sent_batches, self.sent_spans, self.rejected_batches = sent_batches, sent_spans, rejected_batches
        self.locked_sessions: set[str] = set() if locked_sessions is None else locked_sessions
        self.last, self.waiting_until = last, waiting_until

    @property
    def failed(self) -> bool:
        return self.last is not None and not self.last.ok and not self.last.poison


def read_status(state_dir: StateDir) -> dict[str, Any]:
    try:
        with open(state_dir.status_path, "rb") as handle:
            status = json.loads(handle.read())
        return status if isinstance(status, dict) else {}
    except (OSError, ValueError):
        return {}


def _iso(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def deliver(
    state_dir: StateDir,
    transport: Transport,
    deadline: float,
    log: Log,
    held: dict[str, int] | None = None,
    respect_retry_after: bool = True,
    pace: Callable[[int], None] | None = None,
    scrub: Callable[[bytes], bytes] | None = None,
) -> DeliveryReport:
    """Send pending batches. `held`: session keys whose lock the caller holds -> their checkpoint seq;
    `pace(spans)` is called before each post (backfill's rate limit); `scrub` (the hook redacts: ccotel.hook.scrub's
    Scrubber.body): a batch spooled unredacted is redacted in place before it is sent, or set aside if it cannot
    be (protobuf, from an older version)."""
    report = DeliveryReport()
    held = dict(held or {})
    if respect_retry_after:
        not_before = read_status(state_dir).get("retry_not_before")
        if isinstance(not_before, int | float) and time.time() < not_before:
            report.waiting_until = float(not_before)
            log.debug(f"collector asked to wait until {_iso(not_before)}; not sending this run")
            return report
    taken: dict[str, SessionLock] = {}
    checkpoint: dict[str, int] = dict(held)
    try:
        for ref in spool.list_batches(state_dir.spool):
            if deadline - time.monotonic() < MIN_ATTEMPT_SECONDS:
                break
            if ref.key in report.locked_sessions:
                continue
            if ref.key not in held and ref.key not in taken:
                lock = SessionLock(state_dir, ref.key)
                if not lock.try_acquire():
                    report.locked_sessions.add(ref.key)
                    continue
                taken[ref.key] = lock
            if not _committed(state_dir, ref, checkpoint, log):
                continue
            try:
                batch = spool.read_batch(ref)
            except FileNotFoundError:
                continue
            except spool.CorruptBatch as error:
                spool.reject(ref, state_dir.rejected, f"corrupt batch: {error}")
                log.error(f"{ref.name}: corrupt ({error}); moved to rejected/")
                report.rejected_batches += 1
                continue
            if scrub is not None and not batch.redacted:
                batch = _redacted(batch, scrub, state_dir, transport.url, log)
                if batch is None:
                    report.rejected_batches += 1
                    continue
            if pace is not None:
                pace(batch.spans)
            result = transport.post(batch.body, deadline, batch.content_type)
            report.last = result
            if result.ok:
                spool.remove(ref)
                report.sent_batches += 1
                report.sent_spans += batch.spans
                log.debug(f"sent {ref.name} ({batch.spans} spans) in {result.seconds:.3f}s")
            elif result.poison:
                spool.reject(ref, state_dir.rejected, f"{result.reason}\nendpoint: {transport.url}")
                report.rejected_batches += 1
                log.error(
                    f"the collector refused {ref.name} ({batch.spans} spans): {result.reason}; "
                    f"moved to {state_dir.rejected}/ and never resent automatically"
                )
            else:
                if result.retry_after_seconds:
                    report.waiting_until = time.time() + result.retry_after_seconds
                elif result.timed_out:  # a hanging or blackholed collector: spare the next runs the wait
                    report.waiting_until = time.time() + HANG_BACKOFF_SECONDS
                log.warning(f"delivery failed, batches stay in the spool for the next run: {result.reason}")
                break
    finally:
        for lock in taken.values():
            lock.release()
    return report


def _redacted(batch: spool.Batch, scrub: Callable[[bytes], bytes], state_dir: StateDir, url: str,
              log: Log) -> spool.Batch | None:
    """A batch spooled while the hook did not redact (the endpoint was local, or CCOTEL_REDACT=off), now bound
    for an endpoint that must not see it raw: redacted and rewritten before it is sent, or set aside."""
    import zlib

    if batch.content_type != spool.JSON:
        reason = f"spooled unredacted as protobuf by an older version; not sent raw to {url}"
        spool.reject(batch.ref, state_dir.rejected, reason)
        log.error(f"{batch.ref.name}: {reason}; moved to {state_dir.rejected}/")
        return None
    try:
        body = spool.gzip_body(scrub(zlib.decompress(batch.body, 47)))
    except (zlib.error, ValueError) as error:  # not a readable OTLP/JSON body: never sent raw either
        reason = f"spooled unredacted and unreadable ({error}); not sent to {url}"
        spool.reject(batch.ref, state_dir.rejected, reason)
        log.error(f"{batch.ref.name}: {reason}; moved to {state_dir.rejected}/")
        return None
    log.info(f"{batch.ref.name}: spooled unredacted; redacted before sending to {url}")
    return spool.rewrite_batch(batch, body, redacted=True)


def _committed(state_dir: StateDir, ref: spool.BatchRef, checkpoint: dict[str, int], log: Log) -> bool:
    """Is the batch covered by its session's checkpoint? (Above it: its run died before committing; the
    session's next run deletes and re-makes it.) A session without a checkpoint keeps all its batches."""
    if ref.key not in checkpoint:
        try:
            state = state_dir.load_state(ref.key)
        except CorruptState as error:
            log.warning(str(error))
            state = None
        checkpoint[ref.key] = int(state["seq"]) if state else 1 << 62
    return ref.seq <= checkpoint[ref.key]


def write_status(state_dir: StateDir, url: str, max_bytes: int, report: DeliveryReport | None,
                 spool_full: bool) -> dict[str, Any]:
    """status.json: what `ccotel doctor` shows about the spool and the last delivery. Not fsync'd."""
    previous = read_status(state_dir)
    refs = spool.list_batches(state_dir.spool)
    rejected_count, rejected_bytes = spool.count_rejected(state_dir.rejected)
    now = time.time()
    status: dict[str, Any] = {
        "updated": _iso(now),
        "endpoint": url,
        "spool": {
            "batches": len(refs),
            "bytes": spool.total_bytes(refs),
            "max_bytes": max_bytes,
            "full": spool_full,
            "oldest": _iso(refs[0].created_ns / 1e9) if refs else None,
        },
        "rejected": {"batches": rejected_count, "bytes": rejected_bytes},
        "last_attempt": previous.get("last_attempt"),
        "last_success": previous.get("last_success"),
        "retry_not_before": previous.get("retry_not_before"),
    }
    if report is not None and report.last is not None:
        last = report.last
        status["last_attempt"] = {
            "time": _iso(now), "ok": last.ok, "status": last.status, "reason": last.reason
        }
        if last.ok or report.sent_batches:
            status["last_success"] = _iso(now)
    if report is not None and (report.last is not None or report.waiting_until is not None):
        status["retry_not_before"] = report.waiting_until
    atomic_write(state_dir.status_path, json.dumps(status, indent=1).encode(), durable=False)
    return status
