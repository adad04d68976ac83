"""No secret of the corpus reaches any sink; each redaction names its kind; a span that lost a secret says so;
benign text arrives byte for byte. Searched in every byte every sink received (attributes, events, log bodies)
and in every label value Prometheus holds."""

from __future__ import annotations

import re

from e2e import summary
from e2e.conftest import PipelineRun
from e2e.corpus import label, wire_forms
from e2e.sinks import Span

MARKER = re.compile(r"\[REDACTED:([a-z0-9-]+)\]")


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, tuple):
        return [text for item in value for text in _strings(item)]
    if isinstance(value, dict):
        return [text for item in value.values() for text in _strings(item)]
    return []


def span_texts(span: Span) -> list[str]:
    texts = _strings(span.attributes)
    for _, attributes in span.events:
        texts.extend(_strings(attributes))
    return texts


def generated_spans(pipeline: PipelineRun) -> list[Span]:
    (session,) = [s for s in pipeline.sessions if s.kind == "generated"]
    return [span for span in pipeline.sinks["tempo"].snapshot()[0] if span.span_id in session.expected]


def test_no_secret_reaches_any_sink(pipeline: PipelineRun) -> None:
    wire = {name: b"\n".join(sink.bodies()).decode("utf-8", "replace") for name, sink in pipeline.sinks.items()}
    labels = " ".join(value for series in pipeline.prometheus.series('{__name__=~".+"}') for value in series.values())
    wire["prometheus"] = labels
    # a token a real sample transcript holds on its own (e.g. "abc123") is not the corpus leaking
    others = b"".join(path.read_bytes() for session in pipeline.sessions if not session.kind.startswith("generated")
                      for path in session.files).decode("utf-8", "replace")
    corpus = {placement.secret for placement in pipeline.generated.placements
              if not any(form in others for form in wire_forms(placement.secret.core))}
    leaked = {(secret.rule_id, secret.core, where) for secret in corpus for where, text in wire.items()
              if any(form in text for form in wire_forms(secret.core))}
    summary.record("leaked", len({core for _, core, _ in leaked}))
    summary.record("secrets", len({secret.core for secret in corpus}))
    assert all(wire.values()) and leaked == set()


def test_each_redaction_names_its_kind_where_the_secret_was(pipeline: PipelineRun) -> None:
    texts = [text for span in generated_spans(pipeline) for text in span_texts(span)]
    wrong = []
    for placement in pipeline.generated.placements:
        prefix = label(placement.place, placement.turn)
        carriers = [text for text in texts if prefix in text or prefix.replace('"', '\\"') in text]
        expected_marker = f"[REDACTED:{placement.secret.rule_id}]"
        if not carriers or not any(expected_marker in text for text in carriers):
            found = sorted({m for text in carriers for m in MARKER.findall(text)})
            wrong.append((placement.place, placement.turn, placement.secret.rule_id, found or "no carrier"))
    assert wrong == []


def test_spans_that_lost_a_secret_say_so_and_no_other_span_does(pipeline: PipelineRun) -> None:
    spans = generated_spans(pipeline)
    redacted = {span.span_id for span in spans if any(MARKER.search(text) for text in span_texts(span))}
    flagged = {span.span_id for span in spans if span.attributes.get("claude_code.redacted") is True}
    assert len(redacted) >= len(pipeline.generated.placements) // 2
    assert flagged == redacted


def test_benign_text_arrives_byte_for_byte(pipeline: PipelineRun) -> None:
    for name in ("tempo", "langfuse"):
        wire = b"\n".join(pipeline.sinks[name].bodies()).decode("utf-8", "replace")
        changed = [text for text in pipeline.generated.benign if not any(form in wire for form in wire_forms(text))]
        assert changed == [], name


def test_native_events_are_redacted_before_loki(pipeline: PipelineRun) -> None:
    records = pipeline.sinks["loki"].snapshot()[1]
    errors = [r for r in records if r.attributes.get("event.name") == "tool_result" and "error" in r.attributes]
    assert len(errors) == len(pipeline.native)
    assert all("[REDACTED:" in str(r.attributes["error"]) and r.attributes.get("claude_code.redacted") is True
               for r in errors)
