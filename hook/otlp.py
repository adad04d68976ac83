"""Span model -> OTLP ExportTraceServiceRequest bytes, with opentelemetry-proto directly. Pure.

No SDK on the hot path: the messages are built from the proto classes (~30 ms to import) and
serialised once. One ResourceSpans (service.name=claude-code, a stable service.instance.id,
host.name, the user's extra attributes) with one ScopeSpans (ccotel + version).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span as ProtoSpan

from ccotel.hook.config import SCOPE_NAME, SERVICE_NAME, VERSION
from ccotel.hook.model import AttributeValue, Span


def resource_attributes(
    instance_id: str, host_name: str, extra: Mapping[str, str] | None = None
) -> dict[str, AttributeValue]:
    """The resource every span is sent with; extra attributes may not replace service.name."""
    attributes: dict[str, AttributeValue] = {"service.instance.id": instance_id, "host.name": host_name}
    attributes.update(extra or {})
    attributes["service.name"] = SERVICE_NAME
    return attributes


def _set_value(target: AnyValue, value: AttributeValue) -> None:
    # bool before int: bool is a subclass of int.
    if isinstance(value, bool):
        target.bool_value = value
    elif isinstance(value, int):
        target.int_value = value
    elif isinstance(value, float):
        target.double_value = value
    elif isinstance(value, str):
        target.string_value = value
    elif isinstance(value, tuple | list):
        array = target.array_value
        for item in value:
            _set_value(array.values.add(), item)
    else:  # the Span type allows no other values; never drop one silently
        target.string_value = str(value)


def _fill_attributes(target: object, attributes: Mapping[str, AttributeValue]) -> None:
    for key, value in attributes.items():
        key_value: KeyValue = target.add()  # type: ignore[attr-defined]
        key_value.key = key
        _set_value(key_value.value, value)


def encode_request(
    spans: Iterable[Span],
    resource: Mapping[str, AttributeValue],
    scope_name: str = SCOPE_NAME,
    scope_version: str = VERSION,
) -> ExportTraceServiceRequest:
    request = ExportTraceServiceRequest()
    resource_spans = request.resource_spans.add()
    _fill_attributes(resource_spans.resource.attributes, resource)
    scope_spans = resource_spans.scope_spans.add()
    scope_spans.scope.name = scope_name
    scope_spans.scope.version = scope_version
    for span in spans:
        proto: ProtoSpan = scope_spans.spans.add()
        proto.trace_id = span.trace_id
        proto.span_id = span.span_id
        if span.parent_span_id:
            proto.parent_span_id = span.parent_span_id
        proto.name = span.name
        proto.kind = int(span.kind)  # type: ignore[assignment]
        proto.start_time_unix_nano = span.start_time_unix_nano
        proto.end_time_unix_nano = span.end_time_unix_nano
        _fill_attributes(proto.attributes, span.attributes)
        if span.status_code or span.status_message:
            proto.status.code = int(span.status_code)  # type: ignore[assignment]
            proto.status.message = span.status_message
    return request


def encode_spans(spans: Iterable[Span], resource: Mapping[str, AttributeValue]) -> bytes:
    """Serialised ExportTraceServiceRequest (uncompressed protobuf)."""
    return encode_request(spans, resource).SerializeToString()
