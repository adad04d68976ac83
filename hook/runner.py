"""One hook run: a Stop/SubagentStop/SessionEnd payload -> new spans committed to the spool -> delivered.

    lock the session -> checkpoint (+ roll forward) -> read new bytes, feed, collect -> commit batch
    -> POST pending batches oldest first -> status.json

Everything happens before one deadline (CCOTEL_TIMEOUT). Stop may fire before the turn's last lines
are on disk: the payload's last_assistant_message is compared with what the transcript holds, new
bytes are polled for up to STOP_SETTLE_SECONDS, and the turn is closed only if they arrived (else the
next Stop or SessionEnd closes it). The caller (commands/hook.py) turns any exception into a log line.
"""

from __future__ import annotations

import json
import os
import time

from ccotel.hook._plain import Plain
from ccotel.hook._typing import TYPE_CHECKING, Any
from ccotel.hook.config import Settings
from ccotel.hook.delivery import DeliveryReport, deliver, write_status
from ccotel.hook.ingest import Session, read_session
from ccotel.hook.log import Log
from ccotel.hook.mapping import MappingOptions
from ccotel.hook.otlp import resource_attributes
from ccotel.hook.spool import list_batches, total_bytes
from ccotel.hook.state import SessionLock, StateDir, session_key
from ccotel.hook.transport import Transport

if TYPE_CHECKING:
    from ccotel.hook.scrub import Scrubber

EVENTS = ("Stop", "SubagentStop", "SessionEnd")
STOP_SETTLE_SECONDS = 0.3
SETTLE_POLL_SECONDS = 0.02
READ_SHARE = 0.5  # reading may use up to this share of the deadline; delivery gets the rest


class PayloadError(ValueError):
    pass


class Payload(Plain):
    __slots__ = (
        "agent_id",
        "agent_transcript_path",
        "cwd",
        "event",
        "last_assistant_message",
        "prompt_id",
        "session_id",
        "transcript_path",
    )

    def __init__(self, event: str, session_id: str, transcript_path: str, cwd: str | None = None,
                 agent_id: str | None = None, agent_transcript_path: str | None = None,
                 last_assistant_message: str | None = None, prompt_id: str | None = None) -> None:
        self.event, self.session_id, self.transcript_path, self.cwd = event, session_id, transcript_path, cwd
        self.agent_id, self.agent_transcript_path = agent_id, agent_transcript_path
        self.last_assistant_message, self.prompt_id = last_assistant_message, prompt_id


def _optional_str(data: dict[str, Any], name: str) -> str | None:
    value = data.get(name)
    return value if isinstance(value, str) and value else None


def parse_payload(raw: bytes) -> Payload:
    if not raw.strip():
        raise PayloadError("empty payload on stdin (expected Claude Code's hook JSON)")
    try:
        data = json.loads(raw.decode("utf-8", errors="replace"))
    except (ValueError, RecursionError) as error:
        raise PayloadError(f"payload is not JSON: {error}") from None
    if not isinstance(data, dict):
        raise PayloadError(f"payload is a JSON {type(data).__name__}, not an object")
    session_id = _optional_str(data, "session_id")
    transcript_path = _optional_str(data, "transcript_path")
    if session_id is None or transcript_path is None:
        raise PayloadError("payload lacks session_id or transcript_path")
    event = _optional_str(data, "hook_event_name") or "Stop"
    return Payload(
        event=event,
        session_id=session_id,
        transcript_path=os.path.expanduser(transcript_path),
        cwd=_optional_str(data, "cwd"),
        agent_id=_optional_str(data, "agent_id"),
        agent_transcript_path=(
            os.path.expanduser(data["agent_transcript_path"])
            if _optional_str(data, "agent_transcript_path") else None
        ),
        last_assistant_message=data.get("last_assistant_message")
        if isinstance(data.get("last_assistant_message"), str) else None,
        prompt_id=_optional_str(data, "prompt_id"),
    )


def texts_match(expected: str, seen: str | None) -> bool:
    """Is the payload's last assistant message the one the transcript's newest text block holds?"""
    if seen is None:
        return False
    a, b = " ".join(expected.split()), " ".join(seen.split())
    if not a or not b:
        return a == b
    return a == b or a.endswith(b) or b.endswith(a)


def mapping_options(settings: Settings) -> MappingOptions:
    return MappingOptions(
        content=settings.content, max_content_chars=settings.max_content_chars, user_id=settings.user_id
    )


def load_scrubber(settings: Settings) -> Scrubber | None:
    """The compiled secret catalogue when the hook redacts (CCOTEL_REDACT; an endpoint not on this machine),
    else None: the local path imports neither ccotel.hook.scrub nor google-re2."""
    if not settings.redacting:
        return None
    from ccotel.hook.scrub import load

    return load()


def make_resource(settings: Settings, state_dir: StateDir) -> dict[str, Any]:
    # os.uname().nodename is what socket.gethostname() returns (both are uname(2)'s nodename)
    return resource_attributes(state_dir.instance_id(), os.uname().nodename, settings.resource_attributes)


class RunOutcome(Plain):
    __slots__ = ("delivery", "note", "spans", "spool_batches", "spool_bytes", "turn_closed")
    __hash__ = None  # type: ignore[assignment]

    def __init__(self) -> None:
        self.spans, self.turn_closed, self.delivery = 0, False, None
        self.note, self.spool_batches, self.spool_bytes = "", 0, 0


def run_hook(
    payload: Payload, settings: Settings, state_dir: StateDir, log: Log, started: float
) -> RunOutcome:
    deadline = started + settings.timeout_seconds
    read_deadline = started + settings.timeout_seconds * READ_SHARE
    outcome = RunOutcome()
    if payload.event not in EVENTS:
        log.info(f"event {payload.event!r} is not one ccotel handles; only sending what is spooled")
    key = session_key(payload.session_id)
    lock = SessionLock(state_dir, key)
    held: dict[str, int] = {}
    transport = Transport(settings.traces_url, settings.headers)
    scrubber = load_scrubber(settings)  # raises if it cannot redact: then nothing is spooled or sent
    scrub_body = scrubber.body if scrubber is not None else None
    try:
        report: DeliveryReport | None = None
        if lock.acquire(read_deadline):
            session = Session(state_dir, key, payload.session_id, mapping_options(settings),
                              make_resource(settings, state_dir), log,
                              scrub=scrubber.document if scrubber is not None else None).open()
            held[key] = int(session.state["seq"])
            if _spool_full(state_dir, settings):  # make room first: the backlog goes before new lines
                report = deliver(state_dir, transport, deadline, log, held, scrub=scrub_body)
            if _spool_full(state_dir, settings):
                outcome.note = "spool full"
                log.error(
                    f"spool full (>= CCOTEL_SPOOL_MAX_MB={settings.spool_max_bytes / 1048576:g}): new lines stay "
                    f"unread (nothing is dropped) until {settings.endpoint} takes the backlog"
                )
            elif payload.event in EVENTS:
                _ingest(payload, session, read_deadline, deadline, outcome, log)
                held[key] = int(session.state["seq"])
        else:
            outcome.note = "session busy"
            log.info(f"session {key} is being exported by another run; this run only sends what is spooled")
        if report is None or not report.failed:
            report = _merge(report, deliver(state_dir, transport, deadline, log, held, scrub=scrub_body))
        outcome.delivery = report
        if state_dir.sweep_temporary_files():
            log.info("removed temporary files left by killed runs")
        status = write_status(state_dir, settings.traces_url, settings.spool_max_bytes, report,
                              _spool_full(state_dir, settings))
        outcome.spool_batches, outcome.spool_bytes = status["spool"]["batches"], status["spool"]["bytes"]
    finally:
        transport.close()
        lock.release()
    return outcome


def _spool_full(state_dir: StateDir, settings: Settings) -> bool:
    return total_bytes(list_batches(state_dir.spool)) >= settings.spool_max_bytes


def _merge(first: DeliveryReport | None, second: DeliveryReport) -> DeliveryReport:
    if first is None:
        return second
    second.sent_batches += first.sent_batches
    second.sent_spans += first.sent_spans
    second.rejected_batches += first.rejected_batches
    second.last = second.last or first.last
    return second


def _ingest(payload: Payload, session: Session, read_deadline: float, deadline: float,
            outcome: RunOutcome, log: Log) -> None:
    final = payload.event == "SessionEnd"
    read_session(session, payload.transcript_path, read_deadline,
                 agent_path=payload.agent_transcript_path, final=final)
    turn_closed = False
    if payload.event == "Stop" and session.result.complete:
        turn_closed = _settle(payload, session, deadline, log)
    if final and not session.result.complete:
        log.warning("SessionEnd: time ran out before the end of the transcript; "
                    "`ccotel backfill` (or the session's next run, if it is resumed) finishes it")
    final = final and session.result.complete
    outcome.turn_closed = turn_closed or final
    outcome.spans = session.collect_and_commit(turn_closed=turn_closed, final=final)


def _settle(payload: Payload, session: Session, deadline: float, log: Log) -> bool:
    """Stop: is the turn's last message on disk? Poll for new bytes briefly if not."""
    expected = payload.last_assistant_message
    if expected is None or not expected.strip():
        return True  # before Claude Code 2.1.47, or a last message without text: Stop is the only signal
    if texts_match(expected, session.mapper.last_assistant_text()):
        return True
    until = min(time.monotonic() + STOP_SETTLE_SECONDS, deadline - 0.2)
    while time.monotonic() < until:
        time.sleep(SETTLE_POLL_SECONDS)
        read = session.read_source("main", payload.transcript_path, until)
        if read is not None and texts_match(expected, session.mapper.last_assistant_text()):
            return True
    log.info("Stop: the last message is not in the transcript yet; the turn stays open for the next run")
    return False
