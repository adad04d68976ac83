"""Benchmark of the pipeline itself: the built collector (build/otelcol/ccotel-otelcol, configured from alloy/)
redacting, pricing and deriving metrics on realistic turns. Not a test: numbers depend on the machine.

    .venv/bin/python tests/bench/bench_pipeline.py [--turns 60] [--clients 2]

A turn is what the hook sends: a root invoke_agent span with the prompt, two chat spans (usage, messages) and one
execute_tool span whose arguments and result are 1 KB to 100 KB of real text (tests/fixtures/redaction/corpus)
with a catalogue secret about every 4 KB. Turns are POSTed over OTLP/HTTP by `--clients` threads to the collector,
which exports to a loopback Tempo and Langfuse sink; the clock stops when the last span is at Tempo. CPU is the
collector process's own (utime + stime from /proc). Run twice: the whole pipeline, then the same configuration
with the redaction processors taken out; the difference is what redaction costs, per MB of attribute text.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from e2e.collector import Collector, release
from e2e.sinks import SignalSink
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

from ccotel.redaction.catalogue import default_catalogue

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "redaction" / "corpus"
SIZES = (1_000, 4_000, 16_000, 50_000, 100_000)


def _kv(key: str, value: object) -> KeyValue:
    if isinstance(value, int):
        return KeyValue(key=key, value=AnyValue(int_value=value))
    return KeyValue(key=key, value=AnyValue(string_value=str(value)))


def text_of(size: int, rng: random.Random, benign: str, secrets: list[str]) -> str:
    pieces, total = [], 0
    while total < size:
        start = rng.randrange(len(benign) - 4096)
        chunk = benign[start : start + 4000] + "\n" + rng.choice(secrets) + "\n"
        pieces.append(chunk)
        total += len(chunk)
    return "".join(pieces)[:size]


def turn_request(index: int, rng: random.Random, benign: str, secrets: list[str]) -> tuple[bytes, int, int]:
    """One turn as an OTLP request; returns (body, spans, bytes of attribute text)."""
    request = ExportTraceServiceRequest()
    resource = request.resource_spans.add()
    resource.resource.attributes.extend([_kv("service.name", "claude-code"), _kv("service.instance.id", "bench")])
    scope = resource.scope_spans.add()
    scope.scope.name = "ccotel.hook"
    trace_id = rng.randbytes(16)
    now = time.time_ns()
    size = SIZES[index % len(SIZES)]
    common = {"session.id": f"bench-{index // 20}", "user.id": "bench", "claude_code.project": "bench"}
    root_id = rng.randbytes(8)
    specs: list[tuple[bytes, bytes, dict[str, Any]]] = [
        (root_id, b"", {**common, "gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "claude-code",
                        "claude_code.turn.index": index, "gen_ai.input.messages": text_of(500, rng, benign, secrets)}),
    ]
    for call in range(2):
        specs.append((rng.randbytes(8), root_id, {
            **common, "gen_ai.operation.name": "chat", "gen_ai.request.model": "claude-sonnet-4-5-20250929",
            "gen_ai.usage.input_tokens": 3000 + call, "gen_ai.usage.output_tokens": 200,
            "gen_ai.usage.cache_read.input_tokens": 2000, "gen_ai.usage.cache_creation.input_tokens": 500,
            "gen_ai.input.messages": text_of(800, rng, benign, secrets),
            "gen_ai.output.messages": text_of(600, rng, benign, secrets)}))
    specs.append((rng.randbytes(8), root_id, {
        **common, "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "Bash",
        "gen_ai.tool.call.arguments": text_of(min(size, 2000), rng, benign, secrets),
        "gen_ai.tool.call.result": text_of(size, rng, benign, secrets)}))
    text_bytes = 0
    for span_id, parent, attributes in specs:
        span = scope.spans.add()
        span.trace_id, span.span_id, span.parent_span_id = trace_id, span_id, parent
        span.name = str(attributes["gen_ai.operation.name"])
        span.start_time_unix_nano, span.end_time_unix_nano = now - 5_000_000_000, now
        span.attributes.extend(_kv(k, v) for k, v in attributes.items())
        text_bytes += sum(len(v.encode()) for v in attributes.values() if isinstance(v, str))
    return request.SerializeToString(), len(specs), text_bytes


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def post(endpoint: str, body: bytes) -> None:
    request = urllib.request.Request(f"{endpoint}/v1/traces", data=body, method="POST",
                                     headers={"Content-Type": "application/x-protobuf"})
    for _ in range(50):
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("collector kept refusing")


def without(config: dict[str, Any], word: str) -> dict[str, Any]:
    for pipeline in config["service"]["pipelines"].values():
        pipeline["processors"] = [p for p in pipeline.get("processors", []) if word not in p]
    return config


def answer_seconds(endpoint: str, body: bytes) -> float:
    started = time.perf_counter()
    post(endpoint, body)
    return time.perf_counter() - started


def run(turns: list[tuple[bytes, int, int]], clients: int, drop: str | None,
        probes: list[tuple[bytes, int, int]] | None = None) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp, SignalSink("tempo") as tempo, SignalSink("langfuse") as langfuse:
        collector = Collector(Path(tmp), {"TEMPO_ENDPOINT": tempo.endpoint, "LANGFUSE_BASE_URL": langfuse.endpoint,
                                          "LANGFUSE_PUBLIC_KEY": "pk-lf-b", "LANGFUSE_SECRET_KEY": "sk-lf-b"})
        if drop:
            from ccotel.collector.otelcol import translate as translate_module

            original = translate_module.translate

            def patched(*args: Any, **kwargs: Any) -> dict[str, Any]:
                return without(original(*args, **kwargs), drop)

            translate_module.translate = patched  # type: ignore[assignment]
        try:
            collector.start()
        finally:
            if drop:
                translate_module.translate = original  # type: ignore[assignment]
        try:
            assert collector.process is not None
            pid = collector.process.pid
            spans = sum(t[1] for t in turns)
            cpu0, wall0 = cpu_seconds(pid), time.perf_counter()
            with ThreadPoolExecutor(clients) as pool:
                list(pool.map(lambda t: post(collector.endpoint, t[0]), turns))
            while len(tempo.span_ids()) < spans:
                time.sleep(0.05)
            wall, cpu = time.perf_counter() - wall0, cpu_seconds(pid) - cpu0
            latency = {f"answer_{t[2] // 1000}KB": answer_seconds(collector.endpoint, t[0]) for t in probes or []}
        finally:
            collector.stop()
        megabytes = sum(t[2] for t in turns) / 1e6
        return {"wall": wall, "cpu": cpu, "spans": spans, "mb": megabytes, **latency}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--turns", type=int, default=60)
    parser.add_argument("--clients", type=int, default=2)
    args = parser.parse_args()
    rng = random.Random(7)
    benign = "".join(p.read_text(errors="replace") for p in sorted(CORPUS.iterdir()) if p.is_file())
    secrets = [example.text for rule in default_catalogue().rules for example in rule.examples]
    turns = [turn_request(i, rng, benign, secrets) for i in range(args.turns)]
    print(f"collector {release()} on {platform.machine()}, {os.cpu_count()} cores; {args.turns} turns, "
          f"{sum(t[1] for t in turns)} spans, {sum(t[2] for t in turns) / 1e6:.1f} MB attribute text "
          f"(tool results {SIZES[0] // 1000}-{SIZES[-1] // 1000} KB)")
    probes = [turn_request(index, rng, benign, secrets) for index in range(len(SIZES))]
    full = run(turns, args.clients, None, probes)
    bare = run(turns, args.clients, "redaction")
    print("| pipeline | wall s | spans/s | MB/s | collector CPU s | CPU s per MB |")
    print("|---|---|---|---|---|---|")
    for name, figures in (("whole (redaction, cost, metrics)", full), ("without redaction", bare)):
        print(f"| {name} | {figures['wall']:.2f} | {figures['spans'] / figures['wall']:.0f} | "
              f"{figures['mb'] / figures['wall']:.2f} | {figures['cpu']:.2f} | {figures['cpu'] / figures['mb']:.3f} |")
    answers = ", ".join(f"{key.removeprefix('answer_')} {value:.2f} s" for key, value in full.items()
                        if key.startswith("answer_"))
    print(f"collector answer to one turn (the hook waits at most 2 s by default), by attribute text: {answers}")
    redaction_cpu = full["cpu"] - bare["cpu"]
    if redaction_cpu > 0:
        print(f"redaction stage: {redaction_cpu:.2f} CPU s for {full['mb']:.1f} MB = "
              f"{full['mb'] / redaction_cpu:.1f} MB/s per core (target >= 5)")
    else:
        print("redaction stage: below measurement noise")


if __name__ == "__main__":
    main()
