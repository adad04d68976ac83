"""Our hand-built OTLP encoding (hook/otlp.py: OTLP/JSON, no protobuf or SDK on the hot path) against the
OpenTelemetry SDK's own encoder.

The SDK is the outside oracle here: the same spans, turned into SDK ReadableSpans and encoded by
opentelemetry-exporter-otlp-proto-common, must give the same protobuf content as our JSON decoded by
protobuf's own json_format (tests/otlp_sink.py), and as our protobuf builder (encode_request).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import TRANSCRIPTS
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans as sdk_encode_spans
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.trace import SpanContext, TraceFlags
from opentelemetry.trace import SpanKind as SdkSpanKind
from opentelemetry.trace.status import Status
from opentelemetry.trace.status import StatusCode as SdkStatusCode
from otlp_sink import decode_request, parse_json_request

from ccotel.hook.config import SCOPE_NAME, VERSION
from ccotel.hook.mapping import MappingOptions, SessionMapper
from ccotel.hook.model import Span, SpanKind, StatusCode
from ccotel.hook.otlp import encode_request, encode_spans, resource_attributes
from ccotel.hook.transcript import parse_line, split_complete_lines

SDK_KIND = {SpanKind.INTERNAL: SdkSpanKind.INTERNAL, SpanKind.SERVER: SdkSpanKind.SERVER,
            SpanKind.CLIENT: SdkSpanKind.CLIENT}
SDK_STATUS = {StatusCode.UNSET: SdkStatusCode.UNSET, StatusCode.OK: SdkStatusCode.OK,
              StatusCode.ERROR: SdkStatusCode.ERROR}
SAMPLES = sorted(p.name for p in TRANSCRIPTS.iterdir() if (p / "projects").is_dir())


def _rows(path: Path) -> list[dict]:
    lines, _ = split_complete_lines(path.read_bytes())
    return [row for row in map(parse_line, lines) if row is not None]


def _mapped(sample: Path) -> list[Span]:
    (main,) = sample.glob("projects/*/*.jsonl")
    mapper = SessionMapper(main.stem, MappingOptions(content="full", max_content_chars=2000, user_id="tester"))
    mapper.feed("main", _rows(main))
    for subagent in sorted(main.with_suffix("").glob("subagents/agent-*.jsonl")):
        mapper.feed(subagent.stem, _rows(subagent))
    return mapper.collect(final=True)


def _sdk_span(span: Span, resource: Resource, scope: InstrumentationScope) -> ReadableSpan:
    context = SpanContext(int.from_bytes(span.trace_id, "big"), int.from_bytes(span.span_id, "big"),
                          is_remote=False, trace_flags=TraceFlags(TraceFlags.SAMPLED))
    parent = None
    if span.parent_span_id:
        parent = SpanContext(context.trace_id, int.from_bytes(span.parent_span_id, "big"), is_remote=False)
    status_message = span.status_message if span.status_code == StatusCode.ERROR else None
    return ReadableSpan(
        name=span.name, context=context, parent=parent, resource=resource, attributes=dict(span.attributes),
        kind=SDK_KIND[span.kind], status=Status(SDK_STATUS[span.status_code], status_message),
        start_time=span.start_time_unix_nano, end_time=span.end_time_unix_nano, instrumentation_scope=scope,
    )


def _comparable(request_bytes: bytes) -> list[tuple]:
    """What a collector reads from each span (the SDK's extra `flags` bits are not part of our contract)."""
    return sorted(
        (s.trace_id, s.span_id, s.parent_span_id, s.name, s.kind, s.start_ns, s.end_ns, s.attributes,
         s.status_code, s.status_message, tuple(sorted(s.resource.items())), s.scope_name, s.scope_version)
        for s in decode_request(request_bytes)
    )


def _sdk_bytes(spans: list[Span], resource: dict) -> bytes:
    scope = InstrumentationScope(SCOPE_NAME, VERSION)
    sdk_resource = Resource(dict(resource))
    return sdk_encode_spans([_sdk_span(span, sdk_resource, scope) for span in spans]).SerializeToString()


@pytest.mark.parametrize("sample", SAMPLES)
def test_our_encoding_equals_the_sdk_encoder(sample: str) -> None:
    spans = _mapped(TRANSCRIPTS / sample)
    assert spans
    resource = resource_attributes("instance-1", "host-a", {"deployment.environment": "test"})
    ours = encode_spans(spans, resource)
    assert ours.startswith(b'{"resourceSpans":')  # the wire form is OTLP/JSON, not protobuf
    theirs = _sdk_bytes(spans, resource)

    assert _comparable(ours) == _comparable(theirs)
    assert _comparable(encode_request(spans, resource).SerializeToString()) == _comparable(theirs)
    # and it is a single resource with a single scope, as the span contract says
    request = parse_json_request(ours)
    assert len(request.resource_spans) == 1 and len(request.resource_spans[0].scope_spans) == 1
    assert len(request.resource_spans[0].scope_spans[0].spans) == len(spans)


def test_the_json_follows_the_otlp_json_encoding_rules() -> None:
    """OTLP/JSON differs from protobuf's generic JSON mapping: ids are hex, enums are integers."""
    span = Span(bytes(range(16)), bytes(range(8)), bytes(range(8, 16)), "chat m", SpanKind.CLIENT, 1, 2**62 + 1,
                {"n": 2**62, "ok": True, "x": 0.5, "tags": ("a", "b"), "s": "é"}, StatusCode.ERROR, "boom")
    document = json.loads(encode_spans([span], {"service.name": "claude-code"}))
    encoded = document["resourceSpans"][0]["scopeSpans"][0]["spans"][0]
    assert encoded["traceId"] == "000102030405060708090a0b0c0d0e0f" and encoded["spanId"] == "0001020304050607"
    assert encoded["parentSpanId"] == "08090a0b0c0d0e0f"
    assert encoded["kind"] == 3 and encoded["status"] == {"code": 2, "message": "boom"}
    assert encoded["startTimeUnixNano"] == "1" and encoded["endTimeUnixNano"] == str(2**62 + 1)
    values = {kv["key"]: kv["value"] for kv in encoded["attributes"]}
    assert values == {"n": {"intValue": str(2**62)}, "ok": {"boolValue": True}, "x": {"doubleValue": 0.5},
                      "tags": {"arrayValue": {"values": [{"stringValue": "a"}, {"stringValue": "b"}]}},
                      "s": {"stringValue": "é"}}
    assert all(re.fullmatch(r"[0-9a-f]+", encoded[key]) for key in ("traceId", "spanId", "parentSpanId"))
    assert _comparable(encode_spans([span], {})) == _comparable(_sdk_bytes([span], {}))


def test_a_lone_surrogate_becomes_a_replacement_character_instead_of_failing_the_batch() -> None:
    span = Span(b"\x01" * 16, b"\x02" * 8, b"", "invoke_agent", SpanKind.INTERNAL, 1, 2, {"text": "a\ud800b"})
    (received,) = decode_request(encode_spans([span], {}))
    assert received.attributes == {"text": "a\ufffdb"}
