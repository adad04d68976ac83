"""Tips with their evidence and their dollars: the `tips` section of the report. Pure.

session_tip_facts(records) reads one session's priced records; TipsBuilder merges sessions and prices what
did not happen (a cache read instead of a re-write, the next model down). A session with none of these
patterns contributes nothing, and a tip whose dollars come to nothing is not shown.

- cache_expiry: in one context (the main conversation, or one subagent run), a call that starts more than
  the cache's lifetime after the previous call ended (5 minutes; 1 hour when the previous call wrote to the
  1-hour cache) and writes to the cache again. Re-written tokens = min(its cache writes, the previous call's
  whole context). Dollars = re-written tokens x (its cache-write price - the cache-read price). A pause of at
  most an hour would have been covered by the 1-hour cache.
- model_choice: a turn whose tool calls were all read/search (at least one) and whose calls all ran on the
  top tier (Opus); dollars = its cost - the same tokens on the next model down (the same version's Sonnet,
  else claude-sonnet-4-5).
- repeated_prompts: typed prompts asked at least min_repeats times (as the analysis counts them); dollars =
  what the turns that asked them cost, a skill or a subagent's worth of budget.
- productivity_cliff: turns after the 12th of a session (the 13+ turns bucket) buy fewer edits per dollar
  than sessions shorter than 13 turns; dollars = their cost - their edits / the short sessions' edits per dollar.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ccotel.collector.pricing.costing import record_usage
from ccotel.collector.pricing.table import PriceTable, Usage
from ccotel.collector.report.analytics import EXPLORATION_CATEGORY, GENERATED_PROMPTS, TYPED_PROMPT_KINDS
from ccotel.collector.report.records import (
    CHAT,
    EXECUTE_TOOL,
    INVOKE_AGENT,
    SpanRecord,
    normalise_prompt,
    reduce_by_fields,
)
from ccotel.collector.report.tool_categories import ToolCategories

CACHE_TTL_SECONDS = 300
CACHE_TTL_1H_SECONDS = 3600
TOP_TIER, NEXT_TIER, NEXT_TIER_FALLBACK = "opus", "sonnet", "claude-sonnet-4-5"
CLIFF_TURNS = 13  # the first turn of the "13+ turns" bucket
MIN_PROMPT_WORDS = 2
EVIDENCE_ROWS = 10


@dataclass(slots=True)
class Pause:
    session_id: str
    model: str
    at: datetime
    seconds: float
    rewritten_tokens: int
    one_hour: bool  # the re-write went to the 1-hour cache

    __reduce__ = reduce_by_fields


@dataclass(slots=True)
class TurnTip:
    session_id: str
    turn_index: int
    prompt: str  # normalised typed prompt ("" when not a typed prompt)
    cost_usd: float
    edits: int
    read_only_top_tier: bool
    calls: list[SpanRecord] = field(default_factory=list)  # its chat calls, when read_only_top_tier

    __reduce__ = reduce_by_fields


@dataclass(slots=True)
class SessionTipFacts:
    session_id: str
    pauses: list[Pause]
    turns: list[TurnTip]

    __reduce__ = reduce_by_fields


def _stream(record: SpanRecord, by_id: dict[str, SpanRecord]) -> str:
    """The context a call belongs to: its subagent run, or the main conversation."""
    parent, steps = by_id.get(record.parent_id), 0
    while parent is not None and steps < 64:
        if parent.operation == INVOKE_AGENT:
            return "main" if parent.is_turn_root else parent.span_id
        parent, steps = by_id.get(parent.parent_id), steps + 1
    return "main"


def session_tip_facts(records: Sequence[SpanRecord], categories: ToolCategories) -> SessionTipFacts | None:
    if not records:
        return None
    ordered = sorted(records, key=lambda record: (record.start, record.span_id))
    facts = SessionTipFacts(ordered[0].session_id, [], [])
    extend_tip_facts(facts, ordered, categories, {})
    return facts


def extend_tip_facts(
    facts: SessionTipFacts, ordered: Sequence[SpanRecord], categories: ToolCategories,
    last_call: dict[str, SpanRecord],
) -> None:
    """Add records in time order, as session_tip_facts would after the ones already in (same conditions as
    ccotel.collector.report.analytics.extend_session_facts); last_call: each context's last call (updated)."""
    session_id = facts.session_id
    by_id = {record.span_id: record for record in ordered}
    pauses = facts.pauses
    traces: dict[str, list[SpanRecord]] = defaultdict(list)
    for record in ordered:
        traces[record.trace_id].append(record)
        if record.operation != CHAT or not record.context_tokens:
            continue
        stream = _stream(record, by_id)
        previous = last_call.get(stream)
        last_call[stream] = record
        if previous is None or not record.cache_creation_tokens:
            continue
        ttl = CACHE_TTL_1H_SECONDS if previous.cache_write_1h_tokens else CACHE_TTL_SECONDS
        gap = (record.start - previous.end).total_seconds()
        if gap > ttl:
            rewritten = min(record.cache_creation_tokens, previous.context_tokens)
            pauses.append(Pause(session_id, record.model, record.start, gap, rewritten,
                                record.cache_write_1h_tokens > record.cache_write_5m_tokens))
    turns = [_turn(trace, categories) for trace in traces.values()]
    facts.turns.extend(turn for turn in turns if turn is not None)


def _turn(records: list[SpanRecord], categories: ToolCategories) -> TurnTip | None:
    root = next((record for record in records if record.is_turn_root), None)
    if root is None:
        return None
    calls = [record for record in records if record.operation == CHAT]
    tools = [record.tool_name or record.name for record in records if record.operation == EXECUTE_TOOL]
    typed = root.prompt_kind in TYPED_PROMPT_KINDS and not root.prompt.lstrip().startswith(GENERATED_PROMPTS)
    read_only = bool(tools) and all(categories.category_of(tool) == EXPLORATION_CATEGORY for tool in tools)
    top_tier = bool(calls) and all(TOP_TIER in call.model.lower() for call in calls)
    return TurnTip(
        root.session_id,
        root.turn_index,
        normalise_prompt(root.prompt) if typed else "",
        sum(call.cost_usd or 0.0 for call in calls),
        sum(1 for tool in tools if tool in categories.file_edits),
        read_only and top_tier,
        calls if read_only and top_tier else [],
    )


def _money(value: float) -> float:
    return round(value, 6)


def next_model_down(model: str, table: PriceTable) -> str:
    candidate = model.lower().replace(TOP_TIER, NEXT_TIER)
    return candidate if table.find_model(candidate) is not None else NEXT_TIER_FALLBACK


def rewrite_extra_usd(pause: Pause, table: PriceTable) -> float | None:
    """What the re-written tokens cost as cache writes beyond what they would have cost as cache reads."""
    written = Usage(cache_write_1h=pause.rewritten_tokens) if pause.one_hour else Usage(
        cache_write_5m=pause.rewritten_tokens
    )
    as_write = table.cost(pause.model, written, pause.at)
    as_read = table.cost(pause.model, Usage(cache_read=pause.rewritten_tokens), pause.at)
    return None if as_write is None or as_read is None else as_write.total - as_read.total


@dataclass
class TipsBuilder:
    table: PriceTable
    min_repeats: int = 2
    pauses: list[tuple[Pause, float]] = field(default_factory=list)
    model_turns: list[dict[str, Any]] = field(default_factory=list)
    prompts: dict[str, list[tuple[str, float]]] = field(default_factory=lambda: defaultdict(list))
    short: list[float] = field(default_factory=lambda: [0.0, 0.0])  # edits, dollars of sessions under the cliff
    long_sessions: list[dict[str, Any]] = field(default_factory=list)

    def add(self, facts: SessionTipFacts) -> None:
        for pause in facts.pauses:
            extra = rewrite_extra_usd(pause, self.table)
            if extra:
                self.pauses.append((pause, extra))
        for turn in facts.turns:
            if turn.prompt and len(turn.prompt.split()) >= MIN_PROMPT_WORDS:
                self.prompts[turn.prompt].append((facts.session_id, turn.cost_usd))
            if turn.read_only_top_tier:
                self._add_model_turn(turn)
        if len(facts.turns) < CLIFF_TURNS:
            self.short[0] += sum(turn.edits for turn in facts.turns)
            self.short[1] += sum(turn.cost_usd for turn in facts.turns)
            return
        late = [turn for turn in facts.turns if turn.turn_index >= CLIFF_TURNS]
        self.long_sessions.append(
            {
                "session_id": facts.session_id,
                "turns": len(facts.turns),
                "late_turns": len(late),
                "late_edits": sum(turn.edits for turn in late),
                "late_usd": sum(turn.cost_usd for turn in late),
            }
        )

    def _add_model_turn(self, turn: TurnTip) -> None:
        actual = alternative = 0.0
        models: set[str] = set()
        for call in turn.calls:
            down = next_model_down(call.model, self.table)
            priced = self.table.cost(down, record_usage(call), call.start)
            if priced is None or call.cost_usd is None:
                return
            actual, alternative = actual + call.cost_usd, alternative + priced.total
            models.add(down)
        if actual > alternative:
            self.model_turns.append(
                {"session_id": turn.session_id, "turn_index": turn.turn_index, "cost_usd": _money(actual),
                 "next_model_down": ", ".join(sorted(models)), "next_model_cost_usd": _money(alternative),
                 "dollars": _money(actual - alternative)}
            )

    def build(self) -> list[dict[str, Any]]:
        tips = [self._cache_expiry(), self._model_choice(), self._repeated_prompts(), self._cliff()]
        return [tip for tip in tips if tip is not None and tip["dollars"] > 0]

    def _cache_expiry(self) -> dict[str, Any] | None:
        if not self.pauses:
            return None
        per_session: dict[str, dict[str, Any]] = {}
        for pause, extra in self.pauses:
            row = per_session.setdefault(pause.session_id, {"session_id": pause.session_id, "pauses": 0,
                                         "longest_pause_minutes": 0.0, "rewritten_tokens": 0, "dollars": 0.0,
                                         "pauses_within_1h": 0})
            row["pauses"] += 1
            row["longest_pause_minutes"] = max(row["longest_pause_minutes"], round(pause.seconds / 60, 1))
            row["rewritten_tokens"] += pause.rewritten_tokens
            row["dollars"] += extra
            row["pauses_within_1h"] += pause.seconds <= CACHE_TTL_1H_SECONDS
        within = [extra for pause, extra in self.pauses if pause.seconds <= CACHE_TTL_1H_SECONDS]
        return _tip(
            "cache_expiry",
            per_session.values(),
            f"{len(self.pauses)} pauses longer than the cache's lifetime re-wrote the context to the cache; "
            f"{len(within)} of them were within an hour, which the 1-hour cache would have covered",
            sum(extra for _, extra in self.pauses),
            {"pauses": len(self.pauses), "pauses_within_1h": len(within), "dollars_within_1h": _money(sum(within))},
        )

    def _model_choice(self) -> dict[str, Any] | None:
        if not self.model_turns:
            return None
        return _tip(
            "model_choice",
            self.model_turns,
            f"{len(self.model_turns)} turns only read and searched on the top-tier model; "
            "the next model down would have cost less",
            sum(turn["dollars"] for turn in self.model_turns),
            {"turns": len(self.model_turns)},
        )

    def _repeated_prompts(self) -> dict[str, Any] | None:
        rows = [
            {"prompt": prompt[:120], "count": len(asks), "sessions": len({session for session, _ in asks}),
             "session_ids": sorted({session for session, _ in asks}), "dollars": _money(sum(c for _, c in asks))}
            for prompt, asks in self.prompts.items()
            if len(asks) >= self.min_repeats
        ]
        if not rows:
            return None
        rows.sort(key=lambda row: (-row["dollars"], row["prompt"]))
        sessions = sorted({session for row in rows for session in row.pop("session_ids")})
        tip = _tip("repeated_prompts", rows, f"{len(rows)} prompts were asked again and again: candidates for a "
                   "skill or a subagent", sum(row["dollars"] for row in rows), {"prompts": len(rows)})
        tip["sessions"] = sessions
        return tip

    def _cliff(self) -> dict[str, Any] | None:
        short_edits, short_usd = self.short
        late_edits = sum(row["late_edits"] for row in self.long_sessions)
        late_usd = sum(row["late_usd"] for row in self.long_sessions)
        if not self.long_sessions or short_edits <= 0 or short_usd <= 0 or late_usd <= 0:
            return None
        rate = short_edits / short_usd
        if late_edits / late_usd >= rate:
            return None
        rows = [
            row | {"late_usd": _money(row["late_usd"]), "dollars": max(row["late_usd"] - row["late_edits"] / rate, 0)}
            for row in self.long_sessions
        ]
        return _tip(
            "productivity_cliff",
            rows,
            f"turns after the {CLIFF_TURNS - 1}th made {late_edits / late_usd:.2f} edits per dollar, against "
            f"{rate:.2f} in sessions under {CLIFF_TURNS} turns: start a fresh session sooner",
            late_usd - late_edits / rate,
            {
                "edits_per_dollar_short_sessions": round(rate, 4),
                "edits_per_dollar_late_turns": round(late_edits / late_usd, 4),
            },
        )


def _tip(kind: str, rows: Any, summary: str, dollars: float, figures: dict[str, Any]) -> dict[str, Any]:
    rows = sorted(rows, key=lambda row: (-row["dollars"], row.get("session_id", "")))
    for row in rows:
        row["dollars"] = _money(row["dollars"])
    return {
        "kind": kind,
        "summary": summary,
        "dollars": _money(dollars),
        "sessions": sorted({row["session_id"] for row in rows if "session_id" in row}),
        "evidence": rows[:EVIDENCE_ROWS],
        "figures": figures,
    }
