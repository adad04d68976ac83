"""Item 6: the real OTTL parser (the collector's `validate`) is the oracle; `ccotel pipeline check`'s OTTL checker
(which users run without Go) must give the same verdict on the project's OTTL (statements, conditions and
signal-to-metrics values) and on broken variants of it."""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path

import ottl_corpus

from ccotel.collector.otelcol.oracle import OttlItem, real_verdicts
from ccotel.collector.pipeline.ottl_check import Site, check_text

PER_SITE = 40  # rendered items per (kind, signal, context), and every mutation of them

# Hand-written cases: each is a kind of mistake the mutations may not reach.
EXTRA = [
    ("statement", "span", 'delete_key(span.attributes, 1)'),
    ("statement", "span", 'set(span.attributes["a"], IsMatch(1, "x"))'),
    ("statement", "span", 'set(span.attributes["a"], ToLowerCase(1))'),
    ("statement", "span", 'replace_all_patterns(span.attributes, "both", "x", "y")'),
    ("statement", "span", 'replace_all_patterns(span.attributes, "key", "x", "y")'),
    ("statement", "span", 'set(span.attributes["a"], Concat([1, 2], "-"))'),
    ("statement", "span", 'set(span.attributes["a"], Concat(["a"], 1))'),
    ("statement", "span", 'set(span.name, "x") where span.kind == SPAN_KIND_SERVER'),
    ("statement", "span", 'set(span.name, "x") where span.kind == SPAN_KIND_NOPE'),
    ("statement", "span", 'set(span.cache["a"], ExtractPatterns(span.name, "(?P<x>a"))'),
    ("statement", "span", 'set(span.attributes["x"], span.attributes["y"]'),
    ("statement", "log", 'set(log.body, Substring(log.body.string, 0, 2))'),
    ("condition", "span", 'span.attributes["a"] == "b" and'),
    ("condition", "span", 'IsRootSpan()'),
    ("condition", "log", 'IsRootSpan()'),
    ("value", "span", 'Double(attributes["gen_ai.usage.cost"])'),
    ("value", "span", 'Int(attributes["a"]) +'),
    ("value", "log", 'Len(body)'),
]
_SIGNAL = {"span": "trace", "spanevent": "trace", "log": "log", "resource": "trace", "metric": "metric"}
_ALLOWED = {"trace": ("resource", "scope", "span", "spanevent"), "log": ("resource", "scope", "log"),
            "metric": ("resource", "scope", "metric", "datapoint")}


def corpus() -> list[ottl_corpus.Sited]:
    groups: dict[tuple[str, str, str | None], list[ottl_corpus.Sited]] = defaultdict(list)
    for item in ottl_corpus.rendered():
        groups[(item.site.kind, item.signal, item.site.context)].append(item)
    sample = [item for group in groups.values() for item in group[:PER_SITE]]
    extra = [
        ottl_corpus.Sited(text, Site(kind, context, _ALLOWED[_SIGNAL[context]], kind == "statement"),
                          _SIGNAL[context], "hand-written")
        for kind, context, text in EXTRA
    ]
    return sample + ottl_corpus.mutated(sample) + extra


def test_python_checker_agrees_with_the_real_ottl_parser(otelcol_binary: Path) -> None:
    items = corpus()
    real = real_verdicts([OttlItem(i.site.kind, i.signal, i.site.context or "", i.text) for i in items],
                         otelcol_binary)
    python = [check_text(i.text, i.site) for i in items]
    disagreements = [
        f"{item.origin}: {item.text[:120]!r} real={verdict or 'ok'} python={found or 'ok'}"
        for item, verdict, found in zip(items, real, python, strict=True)
        if bool(verdict) != bool(found)
    ]
    assert disagreements == [], "\n".join(disagreements[:20])
    # The corpus is only a proof if both verdicts occur in quantity, for several kinds of mistake.
    rejected = Counter(item.origin.partition(" ")[2] or item.origin for item, v in zip(items, real, strict=True) if v)
    assert sum(1 for v in real if v is None) > 300 and sum(rejected.values()) > 300, rejected
    assert len(rejected) >= 6, rejected

