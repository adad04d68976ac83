"""The report's sessions through the store, with what was computed from them kept for the next run.

LocalHistory.sessions() reads records and keeps a session's calls that fall in the window and were not seen
in an earlier session (ccotel.commands.local_usage). This does the same through the store, and keeps what the
report derives from a session (its SessionFacts and tip facts) beside its records, per window. A later run
reuses them, without decoding or summarising the records, when the session's records did not change and none
of the calls they counted was already counted by an earlier session (else the records are filtered and
summarised again, exactly as without the store). The derived facts are pickled: the store is private, like
the hook's checkpoints, and rebuilt when the code that computes them changes (its fingerprint).
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from ccotel.collector.report.records import SpanRecord
from ccotel.commands._history_store import StoredReader
from ccotel.commands.local_usage import LocalHistory, discover_sessions, in_window

Derived = tuple[Any, Any]  # (SessionFacts, SessionTipFacts | None)
Summarise = Callable[[list[SpanRecord]], Derived]


def _window(history: LocalHistory) -> str:
    return f"{history.since or ''}..{history.until or ''}"


def stored_sessions(history: LocalHistory, reader: StoredReader, summarise: Summarise) -> Iterator[Derived]:
    """What the report needs from each session, in discovery order; LocalHistory's filters, dedupe and skips."""
    needle = history.project.lower() if history.project else None
    window = _window(history)
    store = reader.store
    for files in discover_sessions(history.roots):
        key = str(files.main)
        try:
            if history.since is not None and datetime.fromtimestamp(files.newest_mtime(), UTC).date() < history.since:
                continue  # nothing in these files was written on or after --since
            reader.refresh(files)
            cached = store.derived(key, window)
            if cached is not None and not any(hash(call) in history._seen for call in cached[0]):
                project, project_dir, derived = pickle.loads(cached[1])
                history._seen.update(hash(call) for call in cached[0])
                if not needle or any(needle in text.lower() for text in (project, project_dir)):
                    yield derived
                continue
            kept = [record for record in store.records(key) if in_window(record, history.since, history.until)]
        except Exception as error:  # one unreadable or unmappable session must not sink the report
            history.skipped.append(f"{files.main}: {type(error).__name__}: {error}")
            continue
        dropped = history.duplicates
        records = [record for record in kept if history._first_time(record)]
        if not records:
            continue
        derived = summarise(records)
        if history.duplicates == dropped:  # nothing of it was counted elsewhere: valid for the next run too
            calls = [record.call_key for record in records if record.call_key]
            data = pickle.dumps((records[0].project, files.project_dir, derived), protocol=pickle.HIGHEST_PROTOCOL)
            store.save_derived(key, window, calls, data)
        if needle and not any(needle in text.lower() for text in (records[0].project, files.project_dir)):
            continue
        yield derived
