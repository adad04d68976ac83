"""The hook's path over a fixture, the way Claude Code drives it, for tests that compare it with the report.

The mapper is restarted from its persisted state at every Stop (a `stop_hook_summary` line, else just before
the next prompt), the main file first, subagent files found the hook's way (its session folder, flat files
named by agentId) and read up to the time the main file has reached, SessionEnd last.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conftest import FIXTURES, PRICING_SCENARIOS, TRANSCRIPTS

from ccotel.hook import ingest
from ccotel.hook.mapping import MappingOptions, SessionMapper
from ccotel.hook.model import Span
from ccotel.hook.transcript import is_prompt, parse_line, timestamp_ns

VARIANTS = FIXTURES / "synthetic" / "variants"
CONFIG_DIRS = [*sorted(path for path in TRANSCRIPTS.iterdir() if path.is_dir()), PRICING_SCENARIOS / "claude",
               FIXTURES / "synthetic" / "claude", VARIANTS]
OPTIONS = MappingOptions(user_id="tester")


def rows_of(path: Path) -> list[dict[str, Any]]:
    return [row for line in path.read_bytes().splitlines() if (row := parse_line(line)) is not None]


def stop_points(main: list[dict[str, Any]]) -> list[int]:
    """Where Stop fires: after each stop_hook_summary line; without them, at the end of each turn."""
    stops = [index + 1 for index, row in enumerate(main) if row.get("subtype") == "stop_hook_summary"]
    if stops:
        return stops
    return [index for index, row in enumerate(main) if index and row.get("type") == "user" and is_prompt(row)]


def hook_spans(main_path: Path, session_id: str) -> list[Span]:
    main = rows_of(main_path)
    state: dict[str, Any] | None = None
    done: dict[str, int] = {}
    emitted: list[Span] = []
    position = 0
    cuts = [*stop_points(main), len(main)]
    for number, cut in enumerate(cuts):
        final = number == len(cuts) - 1
        mapper = SessionMapper(session_id, OPTIONS, json.loads(json.dumps(state)) if state else None)
        mapper.feed("main", main[position:cut])
        reached = max((ts for row in main[:cut] if (ts := timestamp_ns(row)) is not None), default=None)
        sources = ingest.subagent_files(str(main_path), session_id)
        known = [source for source in done if source.startswith("agent-")]
        sources.update(ingest.flat_agent_files(str(main_path), mapper.linked_agent_ids(), known))
        for source, path in sorted(sources.items()):
            rows = rows_of(Path(path))
            upto = len(rows) if final else sum(1 for row in rows if (timestamp_ns(row) or 0) <= (reached or 0))
            mapper.feed(source, rows[done.get(source, 0):upto])
            done[source] = max(upto, done.get(source, 0))
            meta = Path(path).with_name(f"{source}.meta.json")
            if meta.exists():
                mapper.feed_meta(source.removeprefix("agent-"), json.loads(meta.read_text()))
        emitted += mapper.collect(turn_closed=True, final=final)
        state = mapper.state
        position = cut
    return emitted


def sums(spans: list[Span]) -> dict[str, int]:
    totals = {"calls": 0, "tool_calls": 0, "input_tokens": 0, "output_tokens": 0, "cache_creation_tokens": 0,
              "cache_read_tokens": 0}
    for span in spans:
        attributes = span.attributes
        operation = attributes.get("gen_ai.operation.name")
        if operation == "execute_tool":
            totals["tool_calls"] += 1
        if operation != "chat":
            continue
        totals["calls"] += 1
        cache_read = int(attributes.get("gen_ai.usage.cache_read.input_tokens", 0))
        cache_creation = int(attributes.get("gen_ai.usage.cache_creation.input_tokens", 0))
        totals["input_tokens"] += int(attributes.get("gen_ai.usage.input_tokens", 0)) - cache_read - cache_creation
        totals["output_tokens"] += int(attributes.get("gen_ai.usage.output_tokens", 0))
        totals["cache_read_tokens"] += cache_read
        totals["cache_creation_tokens"] += cache_creation
    return totals
