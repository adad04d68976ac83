"""Benchmark of the pure data path on sample 04 (3 MB main file + 2 subagent files). Not a test: prints figures.

    .venv/bin/python tests/bench/bench_mapping.py

- one shot: read + parse + map + collect(final=True); best of 5 wall time, peak traced memory (tracemalloc)
- hook-like: one mapper per Stop (state through JSON in between), state size after each Stop-like collect
- import time of ccotel.hook.mapping in a fresh interpreter (python -X importtime)
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "tests" / "fixtures" / "transcripts" / "04-spotter-v2.1.39-subagent-compaction"

from ccotel.hook.mapping import MappingOptions, SessionMapper  # noqa: E402
from ccotel.hook.transcript import parse_line, split_complete_lines, timestamp_ns  # noqa: E402


def _files() -> tuple[str, Path, dict[str, Path]]:
    (main,) = sorted((SAMPLE / "projects").glob("*/*.jsonl"))
    subagents = {path.stem: path for path in sorted(main.with_suffix("").glob("subagents/agent-*.jsonl"))}
    return main.stem, main, subagents


def _rows(path: Path) -> list[dict]:
    lines, _ = split_complete_lines(path.read_bytes())
    return [row for row in map(parse_line, lines) if row is not None]


def one_shot() -> int:
    session_id, main, subagents = _files()
    mapper = SessionMapper(session_id, MappingOptions())
    mapper.feed("main", _rows(main))
    for stem, path in subagents.items():
        mapper.feed(stem, _rows(path))
    return len(mapper.collect(final=True))


def hook_like() -> list[tuple[int, int, int]]:
    """(main line, spans, state bytes) after each Stop (the stop_hook_summary lines) and at SessionEnd."""
    session_id, main_path, subagent_paths = _files()
    main = _rows(main_path)
    subagents = {stem: _rows(path) for stem, path in subagent_paths.items()}
    stops = [i + 1 for i, row in enumerate(main) if row.get("subtype") == "stop_hook_summary"]
    state, position, done, figures = None, 0, dict.fromkeys(subagents, 0), []
    for cut in sorted({*stops, len(main)}):
        mapper = SessionMapper(session_id, MappingOptions(), state)
        mapper.feed("main", main[position:cut])
        reached = max(ts for row in main[:cut] if (ts := timestamp_ns(row)) is not None)
        for stem, rows in subagents.items():
            upto = done[stem]
            while upto < len(rows) and (timestamp_ns(rows[upto]) or 0) <= reached:
                upto += 1
            mapper.feed(stem, rows[done[stem]:upto])
            done[stem] = upto
        spans = mapper.collect(turn_closed=True, final=cut == len(main))
        state = json.loads(json.dumps(mapper.state))
        figures.append((cut, len(spans), len(json.dumps(mapper.state, separators=(",", ":")))))
        position = cut
    return figures


def main() -> None:
    timings = []
    for _ in range(5):
        started = time.perf_counter()
        count = one_shot()
        timings.append(time.perf_counter() - started)
    tracemalloc.start()
    one_shot()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"sample 04 one shot: {count} spans, best {min(timings) * 1000:.0f} ms of 5 "
          f"(median {sorted(timings)[2] * 1000:.0f} ms), peak traced memory {peak / 1e6:.1f} MB")
    for cut, spans, size in hook_like():
        print(f"  Stop-like collect after main line {cut}: {spans} spans, state {size} bytes")
    result = subprocess.run([sys.executable, "-X", "importtime", "-c", "import ccotel.hook.mapping"],
                            capture_output=True, text=True, check=True)
    lines = [line for line in result.stderr.splitlines() if line.rstrip().endswith("ccotel.hook.mapping")]
    print("import ccotel.hook.mapping (cumulative µs):", lines[-1].split("|")[1].strip() if lines else "?")


if __name__ == "__main__":
    main()
