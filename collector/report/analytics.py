"""Per-session analysis over span records: usage, spend, and the behaviour analyses. Pure.

summarise_session(records) -> SessionFacts reads one session's records once; ReportBuilder
(ccotel.collector.report.builder) merges the facts of many sessions into the report, so a big history
is handled one session at a time.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from ccotel.collector.report.records import (
    CHAT,
    EXECUTE_TOOL,
    INVOKE_AGENT,
    SpanRecord,
    normalise_prompt,
    reduce_by_fields,
)
from ccotel.collector.report.tool_categories import ToolCategories

COMPACTION_DROP = 0.5  # a main-agent call whose context is under half the previous one's: a compaction
COMPACTION_MIN_CONTEXT = 10_000  # ... when the previous context was at least this big
TOP_N = 10
EXPLORATION_CATEGORY = "read/search"
TYPED_PROMPT_KINDS = ("", "prompt")  # slash commands and task notifications are not repeated asks
GENERATED_PROMPTS = ("<command-name>", "<command-message>", "<task-notification>")  # the same, by text


@dataclass(slots=True)
class Usage:
    """Token and spend totals over chat calls."""

    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cache_creation_tokens: int = 0
    cache_read_tokens: int = 0
    cost_usd: float = 0.0
    priced_calls: int = 0
    unpriced_calls: int = 0
    uncached_cost_usd: float = 0.0  # over calls with both prices known
    cost_with_uncached_usd: float = 0.0  # actual cost of those same calls
    unpriced_models: set[str] = field(default_factory=set)

    __reduce__ = reduce_by_fields

    def add(self, record: SpanRecord) -> None:
        self.calls += 1
        self.input_tokens += record.input_tokens
        self.output_tokens += record.output_tokens
        self.cache_creation_tokens += record.cache_creation_tokens
        self.cache_read_tokens += record.cache_read_tokens
        if record.cost_usd is None:
            self.unpriced_calls += 1
            self.unpriced_models.add(record.model or "(none)")
            return
        self.priced_calls += 1
        self.cost_usd += record.cost_usd
        if record.uncached_cost_usd is not None:
            self.uncached_cost_usd += record.uncached_cost_usd
            self.cost_with_uncached_usd += record.cost_usd

    def merge(self, other: Usage) -> None:
        self.calls += other.calls
        self.input_tokens += other.input_tokens
        self.output_tokens += other.output_tokens
        self.cache_creation_tokens += other.cache_creation_tokens
        self.cache_read_tokens += other.cache_read_tokens
        self.cost_usd += other.cost_usd
        self.priced_calls += other.priced_calls
        self.unpriced_calls += other.unpriced_calls
        self.uncached_cost_usd += other.uncached_cost_usd
        self.cost_with_uncached_usd += other.cost_with_uncached_usd
        if other.unpriced_models:
            self.unpriced_models |= other.unpriced_models

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens + self.cache_creation_tokens + self.cache_read_tokens

    @property
    def cost_or_none(self) -> float | None:
        """None when nothing could be priced (an unknown model), never a zero that looks real."""
        return None if self.priced_calls == 0 and self.unpriced_calls > 0 else self.cost_usd

    def to_json(self) -> dict[str, object]:
        return {
            "calls": self.calls,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cache_creation_tokens": self.cache_creation_tokens,
            "cache_read_tokens": self.cache_read_tokens,
            "total_tokens": self.total_tokens,
            "cost_usd": self.cost_or_none,
            "unpriced_calls": self.unpriced_calls,
            "unpriced_models": sorted(self.unpriced_models),
        }


@dataclass(slots=True)
class TurnFacts:
    session_id: str
    project: str
    trace_id: str
    turn_index: int
    start: datetime | None
    prompt: str
    usage: Usage
    tool_calls: int

    __reduce__ = reduce_by_fields


@dataclass(slots=True)
class SessionFacts:
    session_id: str
    project: str
    project_dir: str = ""
    first: datetime | None = None
    last: datetime | None = None
    usage: Usage = field(default_factory=Usage)
    by_day: dict[str, Usage] = field(default_factory=lambda: defaultdict(Usage))
    by_model: dict[str, Usage] = field(default_factory=lambda: defaultdict(Usage))
    turns: int = 0
    tool_calls: Counter[str] = field(default_factory=Counter)
    tool_errors: Counter[str] = field(default_factory=Counter)
    file_reads: int = 0
    file_edits: int = 0
    edits_with_path: int = 0
    edits_after_read: int = 0
    exploration_turns: int = 0
    converted_turns: int = 0
    prompts: list[str] = field(default_factory=list)  # normalised, one per turn
    top_turns: list[TurnFacts] = field(default_factory=list)
    # cost, turn index, start (ISO), model, context tokens, output tokens: plain values, quick to store and load
    top_calls: list[tuple[float, int, str, str, int, int]] = field(default_factory=list)
    context: list[int] = field(default_factory=list)  # main-agent context size per call, in time order
    compaction_flags: list[bool] = field(default_factory=list)  # beside context: the source marked a compaction
    compactions: int = 0
    subagents: dict[str, Usage] = field(default_factory=lambda: defaultdict(Usage))
    subagent_runs: Counter[str] = field(default_factory=Counter)

    __reduce__ = reduce_by_fields


def _nearest_agent(record: SpanRecord, by_id: dict[str, SpanRecord]) -> SpanRecord | None:
    seen = 0
    parent = by_id.get(record.parent_id)
    while parent is not None and seen < 64:
        if parent.operation == INVOKE_AGENT:
            return parent
        parent, seen = by_id.get(parent.parent_id), seen + 1
    return None


def count_compactions(context: Sequence[int], flags: Sequence[bool] = ()) -> int:
    """Calls the source marked as compactions, plus context drops not explained by a marked call.

    A drop: a call whose context is under half the previous call's, which was at least 10k tokens
    (what a source without the marker, such as Langfuse, still shows).
    """
    marked = list(flags) or [False] * len(context)
    drops = sum(
        1
        for index in range(1, len(context))
        if context[index - 1] >= COMPACTION_MIN_CONTEXT
        and context[index] < context[index - 1] * COMPACTION_DROP
        and not marked[index - 1]
    )
    return sum(marked) + drops


def _time_key(record: SpanRecord) -> tuple[datetime, str]:
    return (record.start, record.span_id)


def summarise_session(records: Iterable[SpanRecord], categories: ToolCategories) -> SessionFacts | None:
    """Everything the report needs from one session. None for a session without records."""
    ordered = sorted(records, key=_time_key)
    if not ordered:
        return None
    facts = start_session_facts(ordered)
    extend_session_facts(facts, ordered, categories, set())
    return facts


def start_session_facts(ordered: Sequence[SpanRecord]) -> SessionFacts:
    """The facts of a session before its first records (in time order) are added."""
    named = next((record for record in ordered if record.project), ordered[0])
    facts = SessionFacts(ordered[0].session_id, named.project, named.project_dir)
    facts.first, facts.last = ordered[0].start, ordered[0].end
    return facts


def extend_session_facts(
    facts: SessionFacts, ordered: Sequence[SpanRecord], categories: ToolCategories, read_paths: set[str]
) -> None:
    """Add records in time order to the facts, as if summarise_session had read them after the ones already
    in; read_paths: the files read so far (updated). Exact when the new records come after those (time
    order), in turns (traces) of their own, with no parent among them: ccotel.collector.report.fold checks."""
    if not ordered:
        return
    facts.last = max(facts.last or ordered[0].end, max(record.end for record in ordered))
    by_id = {record.span_id: record for record in ordered}
    traces: dict[str, list[SpanRecord]] = defaultdict(list)
    for record in ordered:
        traces[record.trace_id].append(record)
    for record in ordered:
        if record.operation == CHAT:
            _add_chat(facts, record, by_id)
        elif record.operation == EXECUTE_TOOL:
            _add_tool(facts, record, categories, read_paths)
        elif record.operation == INVOKE_AGENT and not record.is_turn_root:
            facts.subagent_runs[record.agent_name or record.name] += 1
    facts.compactions = count_compactions(facts.context, facts.compaction_flags)
    for trace_records in traces.values():
        _add_turn(facts, trace_records, categories)
    facts.top_turns = sorted(facts.top_turns, key=lambda turn: -(turn.usage.cost_usd))[:TOP_N]
    facts.top_calls = sorted(facts.top_calls, key=lambda item: -item[0])[:TOP_N]


def _add_chat(facts: SessionFacts, record: SpanRecord, by_id: dict[str, SpanRecord]) -> None:
    facts.usage.add(record)
    facts.by_day[record.start.date().isoformat()].add(record)
    facts.by_model[record.model or "(none)"].add(record)
    agent = _nearest_agent(record, by_id)
    if agent is not None and not agent.is_turn_root:
        facts.subagents[agent.agent_name or agent.name].add(record)
    elif record.context_tokens:  # an API error line (no usage) is not a call the context went through
        facts.context.append(record.context_tokens)
        facts.compaction_flags.append(record.is_compaction)
    if record.cost_usd:
        root = _turn_root(record, by_id)
        facts.top_calls.append(
            (record.cost_usd, root.turn_index if root else 0, record.start.isoformat(), record.model,
             record.context_tokens, record.output_tokens)
        )


def _turn_root(record: SpanRecord, by_id: dict[str, SpanRecord]) -> SpanRecord | None:
    current, steps = record, 0
    while current.parent_id and current.parent_id in by_id and steps < 64:
        current, steps = by_id[current.parent_id], steps + 1
    return current if current.is_turn_root else None


def _add_tool(facts: SessionFacts, record: SpanRecord, categories: ToolCategories, read_paths: set[str]) -> None:
    tool = record.tool_name or record.name
    facts.tool_calls[tool] += 1
    if record.is_error:
        facts.tool_errors[tool] += 1
    if tool in categories.file_reads:
        facts.file_reads += 1
        if record.file_path:
            read_paths.add(record.file_path)
    elif tool in categories.file_edits:
        facts.file_edits += 1
        if record.file_path:
            facts.edits_with_path += 1
            facts.edits_after_read += record.file_path in read_paths


def _add_turn(facts: SessionFacts, records: list[SpanRecord], categories: ToolCategories) -> None:
    root = next((record for record in records if record.is_turn_root), None)
    usage = Usage()
    for record in records:
        if record.operation == CHAT:
            usage.add(record)
    tools = [record for record in records if record.operation == EXECUTE_TOOL]
    if root is not None:
        facts.turns += 1
        typed = root.prompt_kind in TYPED_PROMPT_KINDS and not root.prompt.lstrip().startswith(GENERATED_PROMPTS)
        prompt = normalise_prompt(root.prompt) if typed else ""
        if prompt:
            facts.prompts.append(prompt)
    first_exploration = next(
        (tool.start for tool in tools if categories.category_of(tool.tool_name or tool.name) == EXPLORATION_CATEGORY),
        None,
    )
    if first_exploration is not None:
        facts.exploration_turns += 1
        facts.converted_turns += any(
            (tool.tool_name or tool.name) in categories.file_edits and tool.start >= first_exploration for tool in tools
        )
    facts.top_turns.append(
        TurnFacts(
            facts.session_id,
            facts.project,
            records[0].trace_id,
            root.turn_index if root else 0,
            root.start if root else records[0].start,
            root.prompt if root else "",
            usage,
            len(tools),
        )
    )
