"""One session's step, shared by the hook and backfill: new transcript bytes -> spans -> a committed batch.

The caller holds the session's lock. The step:
  1. load the checkpoint; delete this session's spool batches numbered above it (a run died after
     writing its batch but before its checkpoint: that batch was never committed, never sent);
  2. read the new complete lines of the main transcript and of the session's subagent files, feed them
     to the mapper (a row the mapper chokes on is isolated, logged and skipped);
  3. commit: leave out turns another session exported first (a forked or resumed-as-new session copies
     them; ccotel.hook.claims); if spans remain, write the batch (seq n+1) durably, then the checkpoint
     (seq n+1, file offsets, mapper state) atomically: the checkpoint is the commit point. Only then may
     the batch be sent. A kill anywhere loses nothing: before the checkpoint the same lines are read
     again next time (deterministic ids: the same spans), after it the batch is committed and waits in
     the spool.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable

from ccotel.hook import claims, spool
from ccotel.hook import semconv as sc
from ccotel.hook._plain import Plain
from ccotel.hook._typing import Any
from ccotel.hook.checkpoint import CheckpointCodec
from ccotel.hook.cursor import DEFAULT_CHUNK_BYTES, ReadResult, advance_past, read_new_lines
from ccotel.hook.log import Log
from ccotel.hook.mapping import MappingOptions, SessionMapper
from ccotel.hook.model import AttributeValue, Span
from ccotel.hook.otlp import encode_spans
from ccotel.hook.state import CorruptState, StateDir, atomic_write, new_state
from ccotel.hook.transcript import parse_line

# What redacts a batch before it is written: ccotel.hook.scrub's Scrubber.document (OTLP/JSON tree, in place)
Scrub = Callable[[dict[str, Any]], None]


class StepResult(Plain):
    """complete: every source was read to its end."""

    __slots__ = ("bad_lines", "batches", "bytes_read", "complete", "spans", "turn_closed")

    def __init__(self) -> None:
        self.spans = self.batches = self.bytes_read = self.bad_lines = 0
        self.complete, self.turn_closed = True, False


class Session:
    """A session's checkpoint plus a mapper rebuilt from it; commit() writes both, in that order.
    dry_run: backfill --dry-run, map and count, write nothing; scrub: redact each batch before it is written."""

    def __init__(self, state_dir: StateDir, key: str, session_id: str, options: MappingOptions,
                 resource: dict[str, AttributeValue], log: Log, state: dict[str, Any] | None = None,
                 result: StepResult | None = None, dry_run: bool = False, scrub: Scrub | None = None) -> None:
        self.state_dir, self.key, self.session_id, self.options = state_dir, key, session_id, options
        self.resource, self.log, self.dry_run, self.scrub = resource, log, dry_run, scrub
        self.state: dict[str, Any] = {} if state is None else state
        self.result = StepResult() if result is None else result
        self.codec = CheckpointCodec()  # encodes the next checkpoint from what it read: only what changed

    def open(self) -> Session:
        raw: bytes | None = None
        loaded: dict[str, Any] | None = None
        try:
            raw, loaded = self.state_dir.read_state(self.key, self.codec)
        except CorruptState as error:
            self.log.warning(str(error))
        own = [ref for ref in spool.list_batches(self.state_dir.spool) if ref.key == self.key]
        if loaded is None:
            loaded = new_state(self.session_id)
            # batches without a checkpoint (it was lost): keep them as committed rather than delete them
            loaded["seq"] = max((ref.seq for ref in own), default=0)
        elif not self.dry_run:
            roll_back([ref for ref in own if ref.seq > int(loaded["seq"])], self.log)
        self.state = loaded
        self._committed = raw or b""
        self._fed: list[tuple[str, list[dict[str, Any]]]] = []
        self.mapper = SessionMapper(self.session_id, self.options, state=loaded.get("mapper"), owned=True)
        return self

    def _rebuild(self, replay: list[tuple[str, list[dict[str, Any]]]]) -> SessionMapper:
        mapper_state = CheckpointCodec().decode(self._committed).get("mapper") if self._committed else None
        mapper = SessionMapper(self.session_id, self.options, state=mapper_state, owned=True)
        for source, rows in replay:
            if source.startswith("meta:"):
                mapper.feed_meta(source[len("meta:") :], rows[0])
            else:
                mapper.feed(source, rows)
        return mapper

    def feed(self, source: str, rows: list[dict[str, Any]]) -> None:
        """Feed rows; if the mapper raises, replay from the checkpoint row by row, skipping bad rows."""
        if not rows:
            return
        try:
            self.mapper.feed(source, rows)
            self._fed.append((source, rows))
            return
        except Exception as error:
            self.log.error(f"mapping failed on {len(rows)} {source} rows ({error!r}); isolating the row")
        good: list[dict[str, Any]] = []
        self.mapper = self._rebuild(self._fed)
        for row in rows:
            try:
                self.mapper.feed(source, [row])
                good.append(row)
            except Exception as error:
                self.result.bad_lines += 1
                self.log.error(
                    f"skipped a {source} row the mapping cannot take: uuid={row.get('uuid')!r} "
                    f"type={row.get('type')!r}: {type(error).__name__}: {error}"
                )
                self.mapper = self._rebuild([*self._fed, (source, good)])
        self._fed.append((source, good))

    def read_source(self, source: str, path: str, deadline: float, chunk_bytes: int = DEFAULT_CHUNK_BYTES,
                    final: bool = False) -> ReadResult | None:
        """Read and feed the new lines of one file, committing between chunks; stops at deadline."""
        last: ReadResult | None = None
        while True:
            cursor = self.state["files"].get(source)
            try:
                read = read_new_lines(path, cursor, chunk_bytes)
            except OSError as error:
                self.log.warning(f"{source} transcript {path} is not readable: {error}")
                self.result.complete = False
                return None
            if read.missing:
                self.log.warning(f"{source} transcript {path} does not exist (yet); nothing read")
                return None
            if read.restarted:
                self.log.warning(f"{source} transcript {path}: {read.restarted}; reading it again from 0")
            rows = self._parse(source, read, final, path)
            self.result.bytes_read += int(read.cursor["offset"]) - (
                0 if read.restarted else int((cursor or {}).get("offset", 0))
            )
            self.feed(source, rows)
            self.state["files"][source] = read.cursor
            last = read
            if read.at_end:
                return last
            self.commit()  # a big backlog: commit each chunk, so memory stays bounded and progress is kept
            if time.monotonic() >= deadline:
                self.result.complete = False
                self.log.info(f"{source}: time is up at offset {read.cursor['offset']}; the rest next run")
                return last

    def _parse(self, source: str, read: ReadResult, final: bool, path: str) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        bad_offsets: list[int] = []
        for line in read.lines:
            row = parse_line(line)
            if row is None:
                bad_offsets.append(len(line))
            else:
                rows.append(row)
        if final and read.partial.strip():
            row = parse_line(read.partial)  # SessionEnd: a last line without its newline, if it is whole JSON
            if row is not None:
                rows.append(row)
                read.cursor = advance_past(read.cursor, len(read.partial), path)
        if bad_offsets:
            self.result.bad_lines += len(bad_offsets)
            self.log.warning(
                f"{source}: skipped {len(bad_offsets)} line(s) that are not JSON objects "
                f"(lengths {bad_offsets[:5]}) before offset {read.cursor['offset']}"
            )
        return rows

    def read_meta(self, agent_id: str, meta_path: str) -> None:
        try:
            stat = os.stat(meta_path)
        except FileNotFoundError:
            return
        except OSError as error:
            self.log.warning(f"{meta_path}: {error}")
            return
        seen = [stat.st_size, stat.st_mtime_ns]
        if self.state["meta"].get(agent_id) == seen:
            return
        try:
            with open(meta_path, "rb") as handle:
                meta = json.loads(handle.read())
            if not isinstance(meta, dict):
                raise ValueError("not a JSON object")
        except (OSError, ValueError) as error:
            self.log.warning(f"{meta_path}: ignored ({error})")
        else:
            try:
                self.mapper.feed_meta(agent_id, meta)
                self._fed.append((f"meta:{agent_id}", [meta]))  # replayed if the mapper is rebuilt
            except Exception as error:
                self.log.error(f"{meta_path}: the mapping cannot take it: {type(error).__name__}: {error}")
        self.state["meta"][agent_id] = seen

    def collect_and_commit(self, turn_closed: bool = False, final: bool = False) -> int:
        spans = self.mapper.collect(turn_closed=turn_closed, final=final)
        return self.commit(spans)

    def commit(self, spans: list[Span] | None = None) -> int:
        """Write the batch (if any spans), then the checkpoint. Returns the number of spans committed."""
        if spans is None:
            spans = self.mapper.collect()
        self.state["mapper"] = self.mapper.state
        if spans and not self.dry_run:
            spans = self.drop_copies(spans)
        if spans:
            self.state["seq"] = int(self.state["seq"]) + 1
            self.result.batches += 1
            self.result.spans += len(spans)
        state_json = self.codec.encode(self.state)
        if not self.dry_run:
            if spans:
                # with scrub, nothing raw reaches the spool, so nothing raw leaves the machine
                body = spool.gzip_body(encode_spans(spans, self.resource, self.scrub))
                spool.write_batch(self.state_dir.spool, self.key, int(self.state["seq"]), len(spans), body,
                                  redacted=self.scrub is not None)
            nothing_yet = not self._committed and not self.state["files"]  # e.g. a missing transcript
            if state_json != self._committed and not nothing_yet:
                atomic_write(self.state_dir.state_path(self.key), state_json)  # the commit point
        self._committed = state_json
        self._fed = []
        return len(spans)

    def drop_copies(self, spans: list[Span]) -> list[Span]:
        """Claim each new turn (root span); leave out every span of a turn another session claimed first,
        now and in later runs (its trace id is kept in the checkpoint). Fail-open on registry errors."""
        kept = self.state.get("copies")
        copied: list[str] = kept if isinstance(kept, list) else []
        skip = set(copied)
        owners: dict[str, list[int]] = {}
        for span in spans:
            prompt_uuid = span.attributes.get(sc.CC_PROMPT_UUID) if not span.parent_span_id else None
            if not isinstance(prompt_uuid, str):
                continue
            try:
                owner = claims.claim(self.state_dir.claims, prompt_uuid, self.key)
            except OSError as error:
                self.log.warning(f"claims registry: {error}; turn {prompt_uuid} is exported without the "
                                 "check for a copy in another session")
                continue
            if owner is not None:
                skip.add(span.trace_id.hex())
                copied = [*copied, span.trace_id.hex()][-claims.KEEP_COPIED_TRACES :]
                owners.setdefault(owner, []).append(int(span.attributes.get(sc.CC_TURN_INDEX, 0)))
        if not skip:
            return spans
        if owners:
            self.state["copies"] = copied
        for owner, turns in owners.items():
            shown = ", ".join(map(str, turns[:10])) + (f" … ({len(turns)} turns)" if len(turns) > 10 else "")
            what = (f"turn {shown} of session {self.session_id} is a copy of session {owner}'s turn"
                    if len(turns) == 1 else f"turns {shown} of session {self.session_id} are copies of "
                    f"session {owner}'s turns")
            self.log.info(f"{what} (forked, or resumed as a new session); skipped")
        return [span for span in spans if span.trace_id.hex() not in skip]


def roll_back(uncommitted: list[spool.BatchRef], log: Log) -> None:
    """Delete batches of a run that died before its checkpoint: never sent, re-made from the same lines."""
    for ref in uncommitted:
        spool.remove(ref)
        log.info(f"removed uncommitted {ref.name}: its lines are read again")


def subagent_files(transcript_path: str, session_id: str, extra: str | None = None) -> dict[str, str]:
    """source name ("agent-<id>") -> path, from the session's own documented subagents folder only."""
    parent, file_name = os.path.split(transcript_path)
    dot = file_name.rfind(".")
    stem = file_name[:dot] if 0 < dot < len(file_name) - 1 else file_name  # what Path.stem gives
    folders = {os.path.join(parent, session_id, "subagents"), os.path.join(parent, stem, "subagents")}
    found: dict[str, str] = {}
    for folder in sorted(folders, key=lambda folder: folder.split("/")):  # in the order of their parts
        # the folder itself and workflows/wf_*/ below it; never anything outside the session's folder
        for directory, subdirs, names in os.walk(folder):
            subdirs.sort()
            for name in sorted(names):
                if name.startswith("agent-") and name.endswith(".jsonl"):
                    found.setdefault(name[: -len(".jsonl")], os.path.join(directory, name))
    if extra:
        stem = os.path.basename(extra).removesuffix(".jsonl")
        if stem.startswith("agent-"):
            found.setdefault(stem, extra)
    return found


def flat_agent_files(transcript_path: str, agent_ids: list[str], known: list[str]) -> dict[str, str]:
    """2.0.x subagent files beside the session (`<project>/agent-<id>.jsonl`), opened by the agent ids the
    session names (and those already being read): no directory scan."""
    folder = os.path.dirname(transcript_path)
    found: dict[str, str] = {}
    for source in [*(f"agent-{agent_id}" for agent_id in agent_ids), *known]:
        if "/" in source or "\\" in source or source in found:
            continue
        path = os.path.join(folder, f"{source}.jsonl")
        if os.path.isfile(path):
            found[source] = path
    return found


def read_session(session: Session, transcript_path: str, deadline: float, agent_path: str | None = None,
                 final: bool = False) -> None:
    """Read the main transcript and every subagent file of the session (feeding their meta sidecars)."""
    main = session.read_source("main", transcript_path, deadline, final=final)
    if main is not None and not main.at_end:
        session.result.complete = False
    sources = subagent_files(transcript_path, session.session_id, agent_path)
    known = [source for source in session.state["files"] if source.startswith("agent-")]
    for source, path in flat_agent_files(transcript_path, session.mapper.linked_agent_ids(), known).items():
        sources.setdefault(source, path)
    for source, path in sources.items():
        if time.monotonic() >= deadline:
            session.result.complete = False
            break
        read = session.read_source(source, path, deadline, final=final)
        if read is not None and not read.at_end:
            session.result.complete = False
        agent_id = source[len("agent-") :]
        session.read_meta(agent_id, os.path.join(os.path.dirname(path), f"{source}.meta.json"))
