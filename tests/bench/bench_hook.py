"""Benchmark of one hook run: one new turn appended to a 1 MB and a 50 MB transcript; Langfuse's hook beside it.

    .venv/bin/python tests/bench/bench_hook.py [--runs 30] [--sizes 1,50] [--editable]
                                               [--reference langfuse_hook.py --reference-python PYTHON]

What runs: ccotel installed the way a user has it (a wheel of this checkout built and installed, with its
bytecode, into a fresh virtualenv under a temporary directory: no editable-install finder, which alone adds
~20 ms to every Python start), run as `ccotel hook`; `--editable` runs this checkout's .venv/bin/ccotel
instead. The transcripts repeat the turns of sample 03 (tests/fixtures/transcripts) with fresh uuids,
message/request/tool ids and shifted timestamps; the hook's state is warmed on them (the state a long session
has); each measured run appends one more turn and runs the hook with a Stop payload, timed from spawn to exit;
5 more runs under GNU time give the peak RSS. Collectors: "up" is a real OTLP/HTTP endpoint on 127.0.0.1
(tests/otlp_sink.py); "down" a closed port (batches pile up in the spool, as in an outage); "remote" the
same endpoint on this machine's non-loopback address, which the hook judges remote, so it redacts every
string it exports (CCOTEL_REDACT=auto).

The reference (`--reference`): Langfuse's documented Claude Code hook, the script on
https://langfuse.com/integrations/developer-tools/claude-code ("View full langfuse_hook.py script"), saved
to a file, run with a Python that has `langfuse>=4,<5` (`python -m venv lf && lf/bin/pip install
"langfuse>=4,<5"`; pass `--reference-python lf/bin/python`). It gets the same kind of transcript and the same
one new turn per run, its state warmed the same way (its state file says the transcript was read up to its
end), and a loopback endpoint that accepts whatever it posts. Without `--reference` the table says the
reference was not run. Prints a Markdown table. Not a test: the figures depend on the machine.
"""

from __future__ import annotations

import argparse
import compileall
import hashlib
import json
import os
import platform
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))

from otlp_sink import OtlpSink  # noqa: E402
from runtime_support import is_typed_prompt  # noqa: E402

RSS_RUNS = 5  # extra runs under GNU time for the peak RSS
SAMPLE = next((REPO / "tests/fixtures/transcripts/03-spotter-v2.1.38-tool-heavy/projects").glob("*/*.jsonl"))
SESSION_ID = "be0c4a11-0000-4000-8000-00000000be0c"
ID_PATTERN = re.compile(
    rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|(?:msg|toolu|req)_[A-Za-z0-9]+"
)
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


Runner = Callable[[dict[str, object], dict[str, str], bool], tuple[float, int]]
CPU_SECONDS: list[float] = []  # user+system CPU of each timed run, in order (steadier than wall on a busy machine)


def install_ccotel(work: Path) -> Path:
    """ccotel as a wheel installs it: each package's modules and package data, per pyproject's setuptools tables,
    compiled to bytecode, in a fresh virtualenv whose other dependencies come from .venv. Returns its `ccotel`."""
    venv, site = work / "venv", work / "site"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    table = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    for package in table["packages"]:
        source, target = REPO / table["package-dir"][package], site.joinpath(*package.split("."))
        target.mkdir(parents=True, exist_ok=True)
        for pattern in ["*.py", *table.get("package-data", {}).get(package, [])]:
            for path in source.glob(pattern):
                if path.is_file():
                    (target / path.relative_to(source)).parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(path, target / path.relative_to(source))
    compileall.compile_dir(str(site), quiet=1)
    deps = Path(next(p for p in sys.path if p.endswith("site-packages")))
    (site_packages(venv) / "ccotel-bench.pth").write_text(f"{site}\n{deps}\n", encoding="utf-8")
    script = venv / "bin" / "ccotel"  # what pip writes for [project.scripts]
    script.write_text(f"#!{venv / 'bin' / 'python'}\nimport sys\nfrom ccotel.commands.main import main\n"
                      "if __name__ == '__main__':\n    sys.exit(main())\n", encoding="utf-8")
    script.chmod(0o755)
    return script


def site_packages(venv: Path) -> Path:
    return next((venv / "lib").glob("python3*/site-packages"))


def timed(command: list[str]) -> Runner:
    def run(payload: dict[str, object], env: dict[str, str], rss: bool) -> tuple[float, int]:
        """Wall seconds of one process, or with rss=True its peak RSS in KiB (GNU time's %M: a child spawned
        straight from this process would report this process's memory as its own peak)."""
        with tempfile.NamedTemporaryFile("r") as rss_file:
            argv = ["/usr/bin/time", "-f", "%M", "-o", rss_file.name, *command] if rss else command
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.perf_counter()
            done = subprocess.run(argv, input=json.dumps(payload).encode(), stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL, env=env, check=False)
            elapsed = time.perf_counter() - started
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            CPU_SECONDS.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
            if done.returncode != 0:
                raise SystemExit(f"{command} exited {done.returncode}")
            return elapsed, int(rss_file.read().strip() or 0) if rss else 0

    return run


def closed_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def lan_address() -> str | None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))
        except OSError:
            return None
        address = str(probe.getsockname()[0])
    return None if address.startswith("127.") else address


class AcceptAll:
    """A loopback HTTP endpoint answering 200 to every request (the reference posts OTLP to Langfuse's paths)."""

    def __init__(self) -> None:
        self.requests = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                return

            def _answer(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                outer.requests += 1
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            do_POST = do_GET = _answer

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def write_transcript(path: Path, size_mb: int, factory: TurnFactory) -> None:
    path.parent.mkdir(parents=True)
    with path.open("wb") as handle:
        while handle.tell() < size_mb * 1024 * 1024:
            handle.write(factory.next_block())


def clean_env(**extra: str) -> dict[str, str]:
    # PYTHONDONTWRITEBYTECODE would make every run compile what has no bytecode yet: no user runs like that
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("CCOTEL_", "OTEL_", "LANGFUSE_", "CC_LANGFUSE_")) and k != "PYTHONDONTWRITEBYTECODE"}
    env.update(extra)
    return env


def measure_runs(runner: Runner, transcript: Path, payload: dict[str, object], env: dict[str, str],
                 factory: TurnFactory, runs: int) -> tuple[list[float], list[int]]:
    times, rss = [], []
    CPU_SECONDS.clear()
    for measured in range(runs + RSS_RUNS):
        block = factory.next_turn()
        with transcript.open("ab") as handle:
            handle.write(block)
        payload["last_assistant_message"] = last_text(block) or ""
        if measured < runs:
            times.append(runner(payload, env, False)[0])
        elif Path("/usr/bin/time").exists():
            rss.append(runner(payload, env, True)[1])
    return times, rss


def summary(times: list[float], rss: list[int], size: float, sent: int, **extra: float) -> dict[str, float]:
    cpu = statistics.median(CPU_SECONDS[: len(times)])
    times.sort()
    return {"size_mb": size, "p50": statistics.median(times), "cpu": cpu,
            "p95": times[min(len(times) - 1, round(0.95 * (len(times) - 1)))],
            "rss_mb": max(rss, default=0) / 1024, "sent": sent, **extra}


def measure(runner: Runner, size_mb: int, collector: str, runs: int, work: Path) -> dict[str, float]:
    factory = TurnFactory()
    root = work / f"{size_mb}mb-{collector}"
    transcript = root / "projects" / "-bench" / f"{SESSION_ID}.jsonl"
    write_transcript(transcript, size_mb, factory)
    state_dir = root / "state"
    base_env = clean_env(CCOTEL_STATE_DIR=str(state_dir), CCOTEL_USER_ID="bench")
    payload: dict[str, object] = {"session_id": SESSION_ID, "transcript_path": str(transcript), "cwd": str(root),
                                  "hook_event_name": "Stop"}
    with OtlpSink() as warm:  # the state a long session has: everything before the new turn is done and sent
        runner(payload, dict(base_env, CCOTEL_ENDPOINT=warm.endpoint, CCOTEL_TIMEOUT="600"), False)
    host = lan_address() if collector == "remote" else "127.0.0.1"
    with OtlpSink(host=host or "127.0.0.1", reply_first=True) as sink:  # answer first, as a collector does
        endpoint = f"http://127.0.0.1:{closed_port()}" if collector == "down" else sink.endpoint
        times, rss = measure_runs(runner, transcript, payload, dict(base_env, CCOTEL_ENDPOINT=endpoint), factory, runs)
        time.sleep(0.5)
        sent = len(sink.spans)
    state_kb = sum(p.stat().st_size for p in (state_dir / "sessions").glob("*.json")) / 1024
    return summary(times, rss, transcript.stat().st_size / 2**20, sent, state_kb=state_kb)


def measure_reference(script: Path, python: str, size_mb: int, runs: int, work: Path) -> dict[str, float]:
    factory = TurnFactory()
    home = work / f"{size_mb}mb-reference"
    transcript = home / ".claude" / "projects" / "-bench" / f"{SESSION_ID}.jsonl"
    write_transcript(transcript, size_mb, factory)
    key = hashlib.sha256(f"{SESSION_ID}::{transcript.resolve()}".encode()).hexdigest()  # the script's state_key
    state = {key: {"offset": transcript.stat().st_size, "buffer": "", "turn_count": 0,
                   "updated": datetime.now(UTC).isoformat()}}
    (home / ".claude" / "state").mkdir(parents=True)
    (home / ".claude" / "state" / "langfuse_state.json").write_text(json.dumps(state), encoding="utf-8")
    endpoint = AcceptAll()
    try:
        env = clean_env(HOME=str(home), TRACE_TO_LANGFUSE="true", LANGFUSE_PUBLIC_KEY="pk-lf-bench",
                        LANGFUSE_SECRET_KEY="sk-lf-bench", LANGFUSE_BASE_URL=endpoint.url)
        payload: dict[str, object] = {"session_id": SESSION_ID, "transcript_path": str(transcript),
                                      "cwd": str(home), "hook_event_name": "Stop"}
        times, rss = measure_runs(timed([python, str(script)]), transcript, payload, env, factory, runs)
    finally:
        endpoint.close()
    log = (home / ".claude" / "state" / "langfuse_hook.log")
    processed = log.read_text(encoding="utf-8").count("Processed ") if log.exists() else 0
    return summary(times, rss, transcript.stat().st_size / 2**20, endpoint.requests, processed=processed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--sizes", default="1,50", help="transcript sizes in MB, comma-separated")
    parser.add_argument("--editable", action="store_true", help="run this checkout's .venv/bin/ccotel")
    parser.add_argument("--reference", type=Path, help="Langfuse's documented hook script (see above)")
    parser.add_argument("--reference-python", default=sys.executable, help="a Python with langfuse>=4,<5")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    work = Path(tempfile.mkdtemp(prefix="ccotel-bench-"))
    results: dict[tuple[int, str], dict[str, float]] = {}
    collectors = ["up", "down"] + (["remote"] if lan_address() else [])
    try:
        ccotel = REPO / ".venv" / "bin" / "ccotel" if args.editable else install_ccotel(work / "install")
        runner = timed([str(ccotel), "hook"])
        floor = timed([str(ccotel.with_name("python")), "-c", "pass"])
        CPU_SECONDS.clear()
        floor_times = [floor({}, clean_env(), False)[0] for _ in range(args.runs)]
        results[(0, "floor")] = summary(floor_times, [], 0.0, 0)
        for size in sizes:
            for collector in collectors:
                results[(size, collector)] = measure(runner, size, collector, args.runs, work)
                print(f"  measured {size} MB, collector {collector}", file=sys.stderr)
            if args.reference:
                results[(size, "reference")] = measure_reference(args.reference.resolve(), args.reference_python,
                                                                 size, args.runs, work)
                print(f"  measured {size} MB, Langfuse's documented hook", file=sys.stderr)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"ccotel hook ({'editable .venv' if args.editable else 'installed wheel'}), one new turn per run, "
          f"{args.runs} runs each; Python {platform.python_version()}, {os.cpu_count()} CPUs, {platform.machine()}; "
          f"load average at the end {os.getloadavg()[0]:.1f}")
    print()
    print("| transcript | hook, collector | p50 wall | p95 wall | p50 CPU | peak RSS | spans (requests) received |")
    print("|---|---|---|---|---|---|---|")
    for (_, collector), result in results.items():
        if collector == "floor":
            print(f"| - | `python -c pass` (the interpreter's start: the floor) | {result['p50'] * 1000:.0f} ms | "
                  f"{result['p95'] * 1000:.0f} ms | {result['cpu'] * 1000:.0f} ms | | |")
            continue
        name = "Langfuse docs hook, loopback up" if collector == "reference" else f"ccotel, {collector}"
        received = (f"({result['sent']:.0f} requests; {result['processed']:.0f} runs logged 'Processed')"
                    if collector == "reference" else f"{result['sent']:.0f}")
        print(f"| {result['size_mb']:.1f} MB | {name} | {result['p50'] * 1000:.0f} ms | {result['p95'] * 1000:.0f} ms "
              f"| {result['cpu'] * 1000:.0f} ms | {result['rss_mb']:.1f} MB | {received} |")
    print()
    for size in sizes:
        if (size, "reference") in results:
            ratio = results[(size, "reference")]["p50"] / results[(size, "up")]["p50"]
            cpu_ratio = results[(size, "reference")]["cpu"] / results[(size, "up")]["cpu"]
            print(f"{size} MB: Langfuse's documented hook p50 / ccotel p50 (collector up) = {ratio:.1f}x wall, "
                  f"{cpu_ratio:.1f}x CPU")
        else:
            print(f"{size} MB: the reference was not run (--reference PATH: see the docstring)")
    if (1, "up") in results and (50, "up") in results:
        print(f"50 MB / 1 MB p50 ratio (collector up): {results[(50, 'up')]['p50'] / results[(1, 'up')]['p50']:.2f}")


if __name__ == "__main__":
    main()
