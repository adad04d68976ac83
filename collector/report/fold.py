"""A session's report facts built up read by read: what was derived from the records seen so far, continued
with newer records without reading the older ones again. Pure.

SessionFold holds a session's SessionFacts and tip facts (ccotel.collector.report.analytics, .tips) with
what adding more needs (the files read so far, each context's last call) and what says whether adding is
exact: the turns (trace ids), span ids, parents outside the session's records, the last record's time, and
the calls counted (their keys, for the report's dedupe across sessions). New records continue the fold only
when a single pass over all the records would give the same facts (`fits`): they come after every record
already in (time, then span id), belong to turns of their own, and no parent links the two groups. Sums
then add in the same order as in one pass, so the figures are the same to the last bit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from ccotel.collector.report.analytics import SessionFacts, extend_session_facts, start_session_facts
from ccotel.collector.report.records import SpanRecord
from ccotel.collector.report.tips import SessionTipFacts, extend_tip_facts
from ccotel.collector.report.tool_categories import ToolCategories


def time_order(records: Sequence[SpanRecord]) -> list[SpanRecord]:
    """The order the analyses read records in."""
    return sorted(records, key=lambda record: (record.start, record.span_id))


def follows(earlier: Sequence[SpanRecord], later: Sequence[SpanRecord]) -> bool:
    """Whether `later` (in time order) comes after `earlier` (in time order) in time, in turns of its own,
    with no parent linking the two: then a pass over `earlier` continued with `later` is one pass over both."""
    if not earlier or not later:
        return True
    spans = {record.span_id for record in earlier}
    return _apart(
        {record.trace_id for record in earlier}, spans, {record.parent_id for record in earlier} - spans,
        (earlier[-1].start, earlier[-1].span_id), later,
    )


def _apart(
    traces: set[str], spans: set[str], dangling: set[str], last_key: tuple[datetime, str], later: Sequence[SpanRecord]
) -> bool:
    return (later[0].start, later[0].span_id) > last_key and not any(
        record.trace_id in traces or record.parent_id in spans or record.span_id in dangling for record in later
    )


class SessionFold:
    """The facts of one session's records added so far (none yet: facts is None)."""

    def __init__(self) -> None:
        self.facts: SessionFacts | None = None
        self.tip_facts: SessionTipFacts | None = None
        self.read_paths: set[str] = set()
        self.last_calls: dict[str, SpanRecord] = {}
        self.traces: set[str] = set()
        self.spans: set[str] = set()
        self.dangling: set[str] = set()  # parent ids that are not among the spans
        self.last_key: tuple[datetime, str] | None = None
        self.calls: list[str] = []  # call keys of the records in, for the report's dedupe
        self.first_project: str | None = None  # the project of the session's first record in read order
        self.pending: list[SpanRecord] = []  # records read but not added yet: their turns were still open

    def __len__(self) -> int:
        return len(self.spans)

    def fits(self, ordered: Sequence[SpanRecord]) -> bool:
        """Whether adding these records (in time order) gives what one pass over all of them would."""
        if self.facts is None or not ordered:
            return True
        return (
            bool(self.facts.project)  # the session's project was named by a record already in
            and self.last_key is not None
            and _apart(self.traces, self.spans, self.dangling, self.last_key, ordered)
        )

    def add(self, ordered: Sequence[SpanRecord], categories: ToolCategories) -> None:
        """Add records in time order; the caller checked `fits`."""
        if not ordered:
            return
        if self.facts is None or self.tip_facts is None:
            self.facts = start_session_facts(ordered)
            self.tip_facts = SessionTipFacts(ordered[0].session_id, [], [])
        extend_session_facts(self.facts, ordered, categories, self.read_paths)
        extend_tip_facts(self.tip_facts, ordered, categories, self.last_calls)
        new_spans = {record.span_id for record in ordered}
        self.dangling |= {record.parent_id for record in ordered} - new_spans
        self.spans |= new_spans
        self.traces.update(record.trace_id for record in ordered)
        self.last_key = (ordered[-1].start, ordered[-1].span_id)
        self.calls.extend(record.call_key for record in ordered if record.call_key)

    def derived(self) -> tuple[Any, Any]:
        """(SessionFacts, SessionTipFacts), (None, None) before any record."""
        return self.facts, self.tip_facts
