"""Benchmark of the redaction stage in the real collector (not a test: numbers depend on the machine).

    .venv/bin/python tests/bench/bench_redaction_otelcol.py [--mb 2] [--rounds 3] [--secrets-every 20000]
                                                            [--source corpus|transcripts]

Runs build/otelcol/ccotel-otelcol (`make otelcol`) with one pipeline: OTLP/HTTP receiver on loopback ->
transform processor holding exactly the trace statements of alloy/modules/redaction.alloy (rendered from
the catalogue) -> debug exporter (basic). Sends spans whose string attributes hold text (about 2 KB per
attribute, one catalogue example every `--secrets-every` bytes): the false-positive corpus (dense with
words such as token, password, secret) or the sample Claude Code transcripts (tests/fixtures/transcripts),
and reports the collector's own CPU time (utime + stime from /proc) per MB of attribute text: MB/s on one core.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import yaml
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span

from ccotel.collector.otelcol.binary import binary_path, command
from ccotel.collector.otelcol.translate import escape_dollars
from ccotel.redaction.catalogue import default_catalogue
from ccotel.redaction.render import ottl_statements

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SOURCES = {"corpus": FIXTURES / "redaction" / "corpus", "transcripts": FIXTURES / "transcripts"}
ATTRIBUTE_SIZE = 2048


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def config(port: int) -> dict[str, object]:
    statements = [{"context": context, "statements": texts}
                  for block, context, texts in ottl_statements(default_catalogue()) if block == "trace_statements"]
    return escape_dollars({  # type: ignore[return-value]
        "receivers": {"otlp": {"protocols": {"http": {"endpoint": f"127.0.0.1:{port}"}}}},
        "processors": {"transform/redact": {"error_mode": "ignore", "trace_statements": statements}},
        "exporters": {"debug": {"verbosity": "basic"}},
        "service": {"telemetry": {"metrics": {"level": "none"}, "logs": {"level": "warn"}},
                    "pipelines": {"traces": {"receivers": ["otlp"], "processors": ["transform/redact"],
                                             "exporters": ["debug"]}}},
    })


def attribute_texts(total: int, every: int, source: str = "corpus") -> list[str]:
    files = sorted(p for p in SOURCES[source].rglob("*") if p.is_file() and p.suffix in {".jsonl", ".json", ".py",
                   ".log", ".txt", ".diff", ".js", ".yaml", ".md"} and p.name not in {"url-docs.md", "SOURCES.md"})
    benign = "".join(p.read_text(encoding="utf-8", errors="replace") for p in files)
    secrets = [e.text for rule in default_catalogue().rules for e in rule.examples]
    texts, size, planted = [], 0, 0
    while size < total:
        start = (len(texts) * 4093) % (len(benign) - ATTRIBUTE_SIZE)
        text = benign[start : start + ATTRIBUTE_SIZE]
        if every and (size // every) != ((size + len(text)) // every):
            text += "\n" + secrets[(planted * 7) % len(secrets)]
            planted += 1
        texts.append(text)
        size += len(text.encode())
    return texts


def request(texts: list[str]) -> bytes:
    spans = []
    for index in range(0, len(texts), 4):
        attributes = [KeyValue(key=f"attr.{n}", value=AnyValue(string_value=text))
                      for n, text in enumerate(texts[index : index + 4])]
        spans.append(Span(trace_id=os.urandom(16), span_id=os.urandom(8), name="turn", attributes=attributes))
    message = ExportTraceServiceRequest(resource_spans=[ResourceSpans(scope_spans=[ScopeSpans(spans=spans)])])
    return message.SerializeToString()


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def post(port: int, body: bytes) -> None:
    http = urllib.request.Request(f"http://127.0.0.1:{port}/v1/traces", data=body, method="POST",
                                  headers={"Content-Type": "application/x-protobuf"})
    with urllib.request.urlopen(http, timeout=600) as response:
        response.read()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--secrets-every", type=int, default=20_000)
    parser.add_argument("--source", choices=sorted(SOURCES), default="corpus")
    args = parser.parse_args()
    if not binary_path().is_file():
        sys.exit(f"no collector at {binary_path()}: run `make otelcol` first")
    texts = attribute_texts(int(args.mb * 1_000_000), args.secrets_every, args.source)
    body = request(texts)
    megabytes = sum(len(t.encode()) for t in texts) / 1e6
    port = _free_port()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "config.yaml"
        path.write_text(yaml.safe_dump(config(port), sort_keys=False), encoding="utf-8")
        process = subprocess.Popen(command(path), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(100):
                try:
                    post(port, request(["warm-up"]))
                    break
                except OSError:
                    time.sleep(0.2)
            statements = sum(len(texts) for _, _, texts in ottl_statements(default_catalogue()))
            print(f"collector: {binary_path().name}, {len(default_catalogue().rules)} rules, {statements} statements")
            print(f"input: {megabytes:.2f} MB of {args.source} text in {len(texts)} attributes of ~{ATTRIBUTE_SIZE} B")
            for _ in range(args.rounds):
                before, started = cpu_seconds(process.pid), time.perf_counter()
                post(port, body)
                cpu, wall = cpu_seconds(process.pid) - before, time.perf_counter() - started
                print(f"  wall {wall:6.2f} s  collector CPU {cpu:6.2f} s  -> {megabytes / cpu:6.2f} MB/s per core")
        finally:
            process.terminate()
            process.wait(timeout=30)


if __name__ == "__main__":
    main()
