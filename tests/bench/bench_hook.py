"""Benchmark of one hook run: one new turn appended to a 1 MB and a 50 MB transcript, collector up and down.

    .venv/bin/python tests/bench/bench_hook.py [--runs 30] [--sizes 1,50]

Builds the transcripts by repeating the turns of sample 03 (tests/fixtures/transcripts) with fresh
uuids, message/request/tool ids and shifted timestamps, warms the hook's state on them (the state a
long session has), then per measured run appends one more turn and runs `ccotel hook` with a Stop
payload, timing the process from spawn to exit; 5 more runs under GNU time give the peak RSS. "up" is a real
OTLP/HTTP endpoint on 127.0.0.1 (tests/otlp_sink.py); "down" is a closed port (batches pile up in the
spool, as they do during an outage). Prints a Markdown table. Not a test: numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))

from otlp_sink import OtlpSink  # noqa: E402
from runtime_support import is_typed_prompt  # noqa: E402

SAMPLE = next((REPO / "tests/fixtures/transcripts/03-spotter-v2.1.38-tool-heavy/projects").glob("*/*.jsonl"))
SESSION_ID = "be0c4a11-0000-4000-8000-00000000be0c"
CCOTEL = REPO / ".venv" / "bin" / "ccotel"
ID_PATTERN = re.compile(
    rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|(?:msg|toolu|req)_[A-Za-z0-9]+"
)
RSS_RUNS = 5  # extra runs under GNU time for the peak RSS
STAMP_PATTERN = re.compile(rb'"timestamp":"([0-9T:.\-]+)Z"')


class TurnFactory:
    """Sample 03's lines, one repetition at a time, every id fresh and the clock moving forward."""

    def __init__(self) -> None:
        self.lines = SAMPLE.read_bytes().splitlines(keepends=True)
        original_session = json.loads(self.lines[-1]).get("sessionId", "").encode()
        self.keep = {original_session}
        stamps = [datetime.fromisoformat(m.decode()) for m in STAMP_PATTERN.findall(b"".join(self.lines))]
        self.first, self.length = min(stamps), max(stamps) - min(stamps) + timedelta(minutes=1)
        self.count = 0
        self.pending: list[bytes] = []

    def _fresh(self, token: bytes, rep: int) -> bytes:
        if token in self.keep:
            return SESSION_ID.encode()
        digest = hashlib.sha256(token + b"/" + str(rep).encode()).hexdigest()
        if b"_" in token[:6]:
            prefix = token.split(b"_", 1)[0]
            return prefix + b"_" + digest[: max(len(token) - len(prefix) - 1, 8)].encode()
        return str(uuid.UUID(digest[:32])).encode()

    def next_block(self) -> bytes:
        rep = self.count
        self.count += 1
        shift = self.length * rep
        out = []
        for line in self.lines:
            line = ID_PATTERN.sub(lambda m: self._fresh(m.group(0), rep), line)
            line = STAMP_PATTERN.sub(
                lambda m: b'"timestamp":"'
                + (datetime.fromisoformat(m.group(1).decode()) + shift).isoformat(timespec="milliseconds").encode()
                + b'Z"',
                line,
            )
            out.append(line)
        return b"".join(out)

    def next_turn(self) -> bytes:
        """One turn: a typed prompt and the lines up to the next one."""
        while len(self.pending) < 2:
            self.pending.extend(self._split(self.next_block()))
        return self.pending.pop(0)

    @staticmethod
    def _split(block: bytes) -> list[bytes]:
        turns: list[list[bytes]] = [[]]
        for line in block.splitlines(keepends=True):
            if is_typed_prompt(json.loads(line)) and turns[-1]:
                turns.append([])
            turns[-1].append(line)
        return [b"".join(turn) for turn in turns]


def last_text(block: bytes) -> str | None:
    text = None
    for line in block.splitlines():
        row = json.loads(line)
        if row.get("type") == "assistant":
            for part in row.get("message", {}).get("content", []):
                if isinstance(part, dict) and part.get("type") == "text":
                    text = part.get("text")
    return text


def run_hook(payload: dict[str, object], env: dict[str, str], rss: bool = False) -> tuple[float, int]:
    """Wall seconds of one hook process, or with rss=True its peak RSS in KiB (from GNU time's %M: a child
    spawned straight from this process would report this process's memory as its own peak)."""
    command = [str(CCOTEL), "hook"]
    with tempfile.NamedTemporaryFile("r") as rss_file:
        if rss:
            command = ["/usr/bin/time", "-f", "%M", "-o", rss_file.name, *command]
        started = time.perf_counter()
        process = subprocess.run(command, input=json.dumps(payload).encode(), stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL, env=env, check=False)
        elapsed = time.perf_counter() - started
        if process.returncode != 0:
            raise SystemExit(f"hook exited {process.returncode}")
        return elapsed, int(rss_file.read().strip() or 0) if rss else 0


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def measure(size_mb: int, collector: str, runs: int, work: Path) -> dict[str, float]:
    factory = TurnFactory()
    root = work / f"{size_mb}mb-{collector}"
    project = root / "projects" / "-bench"
    project.mkdir(parents=True)
    transcript = project / f"{SESSION_ID}.jsonl"
    with transcript.open("wb") as handle:
        while handle.tell() < size_mb * 1024 * 1024:
            handle.write(factory.next_block())
    state_dir = root / "state"
    base_env = {k: v for k, v in os.environ.items() if not k.startswith(("CCOTEL_", "OTEL_"))}
    base_env.update(CCOTEL_STATE_DIR=str(state_dir), CCOTEL_USER_ID="bench")
    payload = {"session_id": SESSION_ID, "transcript_path": str(transcript), "cwd": str(root),
               "hook_event_name": "Stop"}
    with OtlpSink() as sink:
        warm = dict(base_env, CCOTEL_ENDPOINT=sink.endpoint, CCOTEL_TIMEOUT="600")
        run_hook(payload, warm)  # the state a long session has: everything before the new turn is done
        sink.spans.clear()  # keep this process small: it is the parent of every measured run
        warm_spans = len(sink.spans)
        endpoint = sink.endpoint if collector == "up" else f"http://127.0.0.1:{closed_port()}"
        env = dict(base_env, CCOTEL_ENDPOINT=endpoint)
        times, rss = [], []
        for measured in range(runs + RSS_RUNS):
            block = factory.next_turn()
            with transcript.open("ab") as handle:
                handle.write(block)
            payload["last_assistant_message"] = last_text(block) or ""
            if measured < runs:
                times.append(run_hook(payload, env)[0])
            elif Path("/usr/bin/time").exists():
                rss.append(run_hook(payload, env, rss=True)[1])
        spans = len(sink.spans) - warm_spans
    times.sort()
    return {
        "size_mb": transcript.stat().st_size / 1024 / 1024,
        "p50": statistics.median(times),
        "p95": times[min(len(times) - 1, round(0.95 * (len(times) - 1)))],
        "rss_mb": max(rss, default=0) / 1024,
        "spans": spans,
        "state_kb": sum(p.stat().st_size for p in (state_dir / "sessions").glob("*.json")) / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--sizes", default="1,50", help="transcript sizes in MB, comma-separated")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    work = Path(tempfile.mkdtemp(prefix="ccotel-bench-"))
    results: dict[tuple[int, str], dict[str, float]] = {}
    try:
        for size in sizes:
            for collector in ("up", "down"):
                results[(size, collector)] = measure(size, collector, args.runs, work)
                print(f"  measured {size} MB, collector {collector}", file=sys.stderr)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"ccotel hook, one new turn per run, {args.runs} runs each; Python {platform.python_version()}, "
          f"{os.cpu_count()} CPUs, {platform.machine()}; load average at the end {os.getloadavg()[0]:.1f}")
    print()
    print("| transcript | collector | p50 wall | p95 wall | peak RSS | session state |")
    print("|---|---|---|---|---|---|")
    for (_, collector), result in results.items():
        print(f"| {result['size_mb']:.1f} MB | {collector} | {result['p50'] * 1000:.0f} ms | "
              f"{result['p95'] * 1000:.0f} ms | {result['rss_mb']:.1f} MB | {result['state_kb']:.0f} KB |")
    if (1, "up") in results and (50, "up") in results:
        for collector in ("up", "down"):
            ratio = results[(50, collector)]["p50"] / results[(1, collector)]["p50"]
            print(f"\n50 MB / 1 MB p50 ratio (collector {collector}): {ratio:.2f}", end="")
        print()


if __name__ == "__main__":
    main()
