"""Benchmark of the redaction engine on 1 MB of mixed text (not a test: numbers depend on the machine).

    .venv/bin/python tests/bench/bench_redaction.py [--mb 1] [--runs 5]

The text is the secret-free corpus (tests/fixtures/redaction/corpus) repeated to size: without
secrets, with one catalogue example every 200 KB, and with one every 4 KB (every kind many times).
Prints best and median wall time of Redactor.redact_counted with the RE2::Set prefilter and rule by
rule, the time to load and compile the catalogue, and the ten rules that cost most (each alone).
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from pathlib import Path

from ccotel.redaction.catalogue import default_path, load
from ccotel.redaction.engine import Redactor

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "redaction" / "corpus"


def mixed_text(size: int, redactor: Redactor, every: int = 4096) -> tuple[bytes, int]:
    """size bytes of corpus text with one catalogue example after every `every` bytes (0: none)."""
    benign = b"".join(p.read_bytes() for p in sorted(CORPUS.iterdir()) if p.is_file() and p.name != "url-docs.md")
    secrets = [e.text.encode() for c in redactor.rules for e in c.rule.examples]
    step = every or 4096
    pieces, total, planted = [], 0, 0
    while total < size:
        start = (len(pieces) * 4093) % len(benign)
        chunk = (benign + benign)[start : start + step]
        if every:
            chunk += b"\n" + secrets[(planted * 7) % len(secrets)] + b"\n"
            planted += 1
        pieces.append(chunk)
        total += len(chunk)
    return b"".join(pieces)[:size], planted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=1.0)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    started = time.perf_counter()
    redactor = Redactor(load(default_path()))
    load_ms = (time.perf_counter() - started) * 1000
    data, planted = mixed_text(int(args.mb * 1_000_000), redactor)

    sparse, sparse_planted = mixed_text(int(args.mb * 1_000_000), redactor, every=200_000)
    clean = mixed_text(int(args.mb * 1_000_000), redactor, every=0)[0]
    plain = Redactor(redactor.catalogue, prefilter=False)
    print(f"machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}")
    print(f"catalogue: {len(redactor.rules)} rules, loaded and compiled in {load_ms:.1f} ms")
    print(f"input: {len(data) / 1e6:.2f} MB of corpus text; best / median of {args.runs} runs")
    for label, text in (("no secrets", clean), (f"{sparse_planted} secrets", sparse), (f"{planted} secrets", data)):
        for engine, name in ((redactor, "prefiltered"), (plain, "rule by rule")):
            times = []
            for _ in range(args.runs):
                started = time.perf_counter()
                _, counts = engine.redact_counted(text)
                times.append(time.perf_counter() - started)
            best, median = min(times), statistics.median(times)
            print(f"  {label:<14} {name:<13} {best * 1000:7.1f} / {median * 1000:7.1f} ms"
                  f"  ({len(text) / 1e6 / best:6.1f} MB/s, {sum(counts.values())} replacements)")
    per_rule = []
    for compiled in redactor.rules:
        started = time.perf_counter()
        compiled.apply(data)
        per_rule.append((time.perf_counter() - started, compiled.rule.id))

    print("costliest rules (alone, one pass over the densest text):")
    for seconds, rule_id in sorted(per_rule, reverse=True)[:10]:
        print(f"  {rule_id:<32} {seconds * 1000:6.2f} ms")


if __name__ == "__main__":
    main()
