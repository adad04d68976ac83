"""Our hand-built OTLP encoding (hook/otlp.py, no SDK on the hot path) against the OpenTelemetry SDK's own encoder.

The SDK is the outside oracle here: the same spans, turned into SDK ReadableSpans and encoded by
opentelemetry-exporter-otlp-proto-common, must give the same protobuf content as ours.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import TRANSCRIPTS
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans as sdk_encode_spans
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.trace import SpanContext, TraceFlags
from opentelemetry.trace import SpanKind as SdkSpanKind
from opentelemetry.trace.status import Status
from opentelemetry.trace.status import StatusCode as SdkStatusCode
from otlp_sink import decode_request

from ccotel.hook.config import SCOPE_NAME, VERSION
from ccotel.hook.mapping import MappingOptions, SessionMapper
from ccotel.hook.model import Span, SpanKind, StatusCode
from ccotel.hook.otlp import encode_spans, resource_attributes
from ccotel.hook.transcript import parse_line, split_complete_lines

SDK_KIND = {SpanKind.INTERNAL: SdkSpanKind.INTERNAL, SpanKind.SERVER: SdkSpanKind.SERVER,
            SpanKind.CLIENT: SdkSpanKind.CLIENT}
SDK_STATUS = {StatusCode.UNSET: SdkStatusCode.UNSET, StatusCode.OK: SdkStatusCode.OK,
              StatusCode.ERROR: SdkStatusCode.ERROR}


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


@pytest.mark.parametrize("sample", sorted(p.name for p in TRANSCRIPTS.iterdir() if (p / "projects").is_dir()))
def test_our_encoding_equals_the_sdk_encoder(sample: str) -> None:
    spans = _mapped(TRANSCRIPTS / sample)
    assert spans
    resource = resource_attributes("instance-1", "host-a", {"deployment.environment": "test"})
    ours = encode_spans(spans, resource)

    sdk_resource = Resource(dict(resource))
    scope = InstrumentationScope(SCOPE_NAME, VERSION)
    theirs = sdk_encode_spans([_sdk_span(span, sdk_resource, scope) for span in spans]).SerializeToString()

    assert _comparable(ours) == _comparable(theirs)
    # and it is a single resource with a single scope, as the span contract says
    request = ExportTraceServiceRequest.FromString(ours)
    assert len(request.resource_spans) == 1 and len(request.resource_spans[0].scope_spans) == 1
    assert len(request.resource_spans[0].scope_spans[0].spans) == len(spans)
