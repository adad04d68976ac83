"""The report's sessions through the store, with what was computed from them kept for the next run.

LocalHistory.sessions() reads records and keeps a session's calls that fall in the window and were not seen
in an earlier session (ccotel.commands.local_usage). This does the same through the store, and keeps what the
report derives from a session beside its records, per window:
- `derived`: its SessionFacts and tip facts. A later run reuses them, without decoding or summarising the
  records, when the session's records did not change and none of the calls they counted was already counted
  by an earlier session;
- `checkpoints` (sessions of CHECKPOINT_RECORDS records or more): the SessionFold of its complete chunks. When
  the session grew, a later run decodes only the chunks read since and continues the fold with them, when
  that gives what a pass over all the records would (SessionFold.fits, ccotel.collector.report.fold).
Anything else is filtered and summarised again from all the records, exactly as without the store. Both are
pickled: the store is private, like the hook's checkpoints, and rebuilt when the code that computes them
changes (its fingerprint).

When many bytes changed (a first run), read_in_two_processes reads the changed sessions into the store with a
forked helper beside this process first; the pass above then finds them read. Its answer does not depend on
who read what: the helper only saves what this pass would have saved.
"""

from __future__ import annotations

import os
import pickle
import struct
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any

from ccotel.collector.report.fold import SessionFold, follows, time_order
from ccotel.collector.report.records import SpanRecord
from ccotel.collector.report.store import ReportStore, stats_text
from ccotel.commands._history_store import Fresh, LazyPrices, StoredReader, kept_in
from ccotel.commands.local_usage import LocalHistory, SessionFiles, discover_sessions, in_window

Derived = tuple[Any, Any]  # (SessionFacts, SessionTipFacts | None)
CHECKPOINT_RECORDS = 1000  # below this, summarising a changed session again costs less than a checkpoint
CHECKPOINT_STEP = 200  # records added to a checkpoint before it is stored again (storing it costs more than them)
PARALLEL_BYTES = 8 << 20  # transcript bytes to read from which a second process helps (its start costs ~10 ms)
_ITEMS = 8000  # work items in the pipe at most: 4 bytes each, under the pipe's 64 KiB, written before any read


def _window(history: LocalHistory) -> str:
    return f"{history.since or ''}..{history.until or ''}"


def stored_sessions(
    history: LocalHistory, reader: StoredReader, categories: Any, sessions: Iterable[SessionFiles] | None = None
) -> Iterator[Derived]:
    """What the report needs from each session (the discovered ones unless given), in discovery order;
    LocalHistory's filters, dedupe and skips."""
    needle = history.project.lower() if history.project else None
    window = _window(history)
    store = reader.store
    for files in discover_sessions(history.roots) if sessions is None else sessions:
        key = str(files.main)
        try:
            if history.since is not None and datetime.fromtimestamp(files.newest_mtime(), UTC).date() < history.since:
                continue  # nothing in these files was written on or after --since
            fresh = reader.refresh(files)
            cached = store.derived(key, window) if fresh is None else None
            if cached is not None and history._seen.isdisjoint(map(hash, cached[0])):
                project, project_dir, derived = pickle.loads(cached[1])
                history._seen.update(map(hash, cached[0]))
                if not needle or any(needle in text.lower() for text in (project, project_dir)):
                    yield derived
                continue
            fold = _fold(store, files, window, history, categories, fresh)
        except Exception as error:  # one unreadable or unmappable session must not sink the report
            history.skipped.append(f"{files.main}: {type(error).__name__}: {error}")
            continue
        if fold.facts is None:
            continue
        derived = fold.derived()
        if needle and not any(needle in text.lower() for text in (fold.first_project or '', files.project_dir)):
            continue
        yield derived


def _fold(
    store: ReportStore, files: SessionFiles, window: str, history: LocalHistory, categories: Any,
    fresh: Fresh | None = None,
) -> SessionFold:
    """The session's facts: its checkpoint continued with the chunks read since, else all its records again
    (fresh: the records just read from the start and stored, no need to decode them). Saves what the next
    run can reuse: the derived facts, a checkpoint up to the first turn still open."""
    key = str(files.main)
    if fresh is not None:  # its checkpoint went with its old records; they are one chunk (if any) and a tail
        fold, (complete, tail), chunks = None, fresh, int(bool(fresh[0]))
    else:
        fold, first = _checkpoint(store, key, window, history)
        complete, chunks = store.chunk_records(key, first)
        tail = store.tail_records(key)
    tail = [record for record in tail if in_window(record, history.since, history.until)]
    complete = [record for record in complete if in_window(record, history.since, history.until)]
    if fold is not None and not fold.fits(time_order(fold.pending + complete + tail)):
        fold = None  # a turn reaches back into the checkpoint: read everything again
        complete, chunks = store.chunk_records(key)
        complete = [record for record in complete if in_window(record, history.since, history.until)]
    resumed = fold is not None
    if fold is None:
        fold = SessionFold()
    else:
        history._seen.update(map(hash, fold.calls))
        history._seen.update(hash(record.call_key) for record in fold.pending if record.call_key)
    dropped = history.duplicates
    complete = fold.pending + [record for record in complete if history._first_time(record)]
    complete_alone = history.duplicates == dropped  # nothing of it was counted elsewhere
    tail = [record for record in tail if history._first_time(record)]
    if fold.first_project is None and (complete or tail):
        fold.first_project = (complete or tail)[0].project  # what --project matches, as LocalHistory does
    complete, tail = time_order(complete), time_order(tail)
    cut = _closed_prefix(complete, tail)
    done, rest = complete[:cut], time_order(complete[cut:] + tail)
    named = fold.facts.project if fold.facts is not None else not done or any(record.project for record in done)
    if named and follows(done, rest):  # the checkpoint can move up to the first turn still open
        fold.pending = []
        fold.add(done, categories)
        moved = len(done) >= CHECKPOINT_STEP or not resumed  # else the next run adds those few again, cheaply
        if complete_alone and done and moved and len(fold) >= CHECKPOINT_RECORDS:
            fold.pending = complete[cut:]
            store.save_checkpoint(key, window, chunks, pickle.dumps(fold, protocol=pickle.HIGHEST_PROTOCOL))
            fold.pending = []
        fold.add(rest, categories)
    else:  # one pass over all the new records (fold.fits them, as checked above)
        fold.pending = []
        fold.add(time_order(complete + tail), categories)
    if history.duplicates == dropped and fold.facts is not None:  # valid for the next run too
        data = (fold.first_project, files.project_dir, fold.derived())
        store.save_derived(key, window, fold.calls, pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL))
    return fold


def _closed_prefix(complete: list[SpanRecord], tail: list[SpanRecord]) -> int:
    """How many of the complete records (time order) come before every open one and its turn's records."""
    if not tail:
        return len(complete)
    open_turns = {record.trace_id for record in tail}
    first_open = (tail[0].start, tail[0].span_id)
    for index, record in enumerate(complete):
        if record.trace_id in open_turns or (record.start, record.span_id) >= first_open:
            return index
    return len(complete)


def _checkpoint(store: ReportStore, key: str, window: str, history: LocalHistory) -> tuple[SessionFold | None, int]:
    """The session's checkpoint and the chunks it covers, if none of its calls was counted already."""
    stored = store.checkpoint(key, window)
    if stored is None:
        return None, 0
    fold = pickle.loads(stored[1])
    pending = (record.call_key for record in fold.pending if record.call_key)
    if not history._seen.isdisjoint(map(hash, fold.calls)) or not history._seen.isdisjoint(map(hash, pending)):
        return None, 0
    return fold, stored[0]


def stale_sessions(
    store: ReportStore, sessions: list[SessionFiles], taken: dict[str, dict[str, list[int]]]
) -> list[SessionFiles]:
    """The sessions whose files changed since the store read them (or that it never read); taken: their stats
    now (session_stats). A vanished session is not stale: the report's own pass names it."""
    known = store.stats()
    return [
        files for files in sessions
        if str(files.main) in taken and known.get(str(files.main)) != stats_text(taken[str(files.main)])
    ]


def read_in_two_processes(
    open_store: Callable[[], AbstractContextManager[ReportStore]], stale: list[SessionFiles], history: LocalHistory,
    taken: dict[str, dict[str, list[int]]],
) -> None:
    """Read the stale sessions into the store (records, derived facts, checkpoints) in this process and one
    forked helper, when there is enough to read and two CPUs. Each takes the next sessions from a pipe, the
    biggest first. This only fills the store with what the report's own pass (stored_sessions, in discovery
    order) would compute and save: that pass then finds them read, and its answer is the same either way.
    A session that fails here is left to that pass, which reads it again and names the problem."""
    sizes = {str(files.main): sum(stat[0] for stat in taken[str(files.main)].values()) for files in stale}
    if len(stale) < 2 or sum(sizes.values()) < PARALLEL_BYTES or _cpus() < 2 or not hasattr(os, "fork"):
        return
    order = sorted(stale, key=lambda files: -sizes[str(files.main)])
    per_item = -(-len(order) // _ITEMS)
    items = [order[start : start + per_item] for start in range(0, len(order), per_item)]
    queue, feed = os.pipe()
    try:
        os.write(feed, b"".join(struct.pack("<I", number) for number in range(len(items))))
    finally:
        os.close(feed)
    try:
        helper = os.fork()
    except OSError:
        helper = -1  # no second process: this one reads them all
    if helper == 0:  # the helper: no cleanup of what it inherited, no flush of the parent's buffers
        status = 1
        try:
            _read_items(open_store, items, queue, history, taken)
            status = 0
        finally:
            os._exit(status)
    try:
        _read_items(open_store, items, queue, history, taken)
    finally:
        os.close(queue)
        if helper > 0:
            os.waitpid(helper, 0)


def _cpus() -> int:
    usable = getattr(os, "sched_getaffinity", None)  # Linux; elsewhere every CPU counts
    return len(usable(0)) if usable else os.cpu_count() or 1


def _read_items(
    open_store: Callable[[], AbstractContextManager[ReportStore]], items: list[list[SessionFiles]], queue: int,
    history: LocalHistory, taken: dict[str, dict[str, list[int]]],
) -> None:
    from ccotel.collector.report.tool_categories import load_tool_categories

    window = _window(history)
    with open_store() as store:
        reader = StoredReader(store, LazyPrices(store), taken)
        categories = kept_in(store, "tool_categories", load_tool_categories)
        store.deferred = []  # fewer transactions: the two processes wait less for each other's
        while len(item := os.read(queue, 4)) == 4:
            for files in items[struct.unpack("<I", item)[0]]:
                try:
                    if history.since is not None and (
                        datetime.fromtimestamp(files.newest_mtime(), UTC).date() < history.since
                    ):
                        continue
                    fresh = reader.refresh(files)
                    if fresh is not None or store.derived(str(files.main), window) is None:
                        alone = LocalHistory(history.roots, history.since, history.until)  # as if read first
                        _fold(store, files, window, alone, categories, fresh)
                except Exception:  # the report's own pass reads it again and names the problem
                    continue
        store.flush_derived()
