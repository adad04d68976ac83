"""Span model -> OTLP ExportTraceServiceRequest bytes in the OTLP/JSON encoding. Pure.

The hook sends OTLP/HTTP with `Content-Type: application/json` (the OTLP specification's JSON
encoding, which Alloy's and every OpenTelemetry Collector's receiver take on /v1/traces): built from
dicts by the json module, so the hook's hot path imports no protobuf (~20 ms) and no SDK. Per the
specification: trace and span ids are lower-case hex (not base64), enums are integers, 64-bit integers
are decimal strings, keys are lowerCamelCase. One ResourceSpans (service.name=claude-code, a stable
service.instance.id, host.name, the user's extra attributes) with one ScopeSpans (ccotel + version).

`encode_request` builds the same request as protobuf messages (imported on call: tools and tests use
it); the SDK's encoder is the oracle both are tested against (tests/hook/test_otlp_reference.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping

from ccotel.hook._typing import Any
from ccotel.hook.config import SCOPE_NAME, SERVICE_NAME, VERSION
from ccotel.hook.model import AttributeValue, Span

CONTENT_TYPE = "application/json"
PROTOBUF_CONTENT_TYPE = "application/x-protobuf"
_NON_FINITE = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}


def resource_attributes(
    instance_id: str, host_name: str, extra: Mapping[str, str] | None = None
) -> dict[str, AttributeValue]:
    """The resource every span is sent with; extra attributes may not replace service.name."""
    attributes: dict[str, AttributeValue] = {"service.instance.id": instance_id, "host.name": host_name}
    attributes.update(extra or {})
    attributes["service.name"] = SERVICE_NAME
    return attributes


def _any_value(value: AttributeValue) -> dict[str, Any]:
    # bool before int: bool is a subclass of int.
    if isinstance(value, str):
        return {"stringValue": value}
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int):
        return {"intValue": str(value)}
    if isinstance(value, float):
        return {"doubleValue": value if value == value and abs(value) != float("inf") else _NON_FINITE[repr(value)]}
    if isinstance(value, tuple | list):
        return {"arrayValue": {"values": [_any_value(item) for item in value]}}
    return {"stringValue": str(value)}  # the Span type allows no other values; never drop one silently


def _key_values(attributes: Mapping[str, AttributeValue]) -> list[dict[str, Any]]:
    return [{"key": key, "value": _any_value(value)} for key, value in attributes.items()]


def _span(span: Span) -> dict[str, Any]:
    encoded: dict[str, Any] = {"traceId": span.trace_id.hex(), "spanId": span.span_id.hex()}
    if span.parent_span_id:
        encoded["parentSpanId"] = span.parent_span_id.hex()
    encoded["name"] = span.name
    encoded["kind"] = int(span.kind)
    encoded["startTimeUnixNano"] = str(span.start_time_unix_nano)
    encoded["endTimeUnixNano"] = str(span.end_time_unix_nano)
    if span.attributes:
        encoded["attributes"] = _key_values(span.attributes)
    if span.status_code or span.status_message:
        status: dict[str, Any] = {}
        if span.status_message:
            status["message"] = span.status_message
        if span.status_code:
            status["code"] = int(span.status_code)
        encoded["status"] = status
    return encoded


def request_document(
    spans: Iterable[Span],
    resource: Mapping[str, AttributeValue],
    scope_name: str = SCOPE_NAME,
    scope_version: str = VERSION,
) -> dict[str, Any]:
    """The ExportTraceServiceRequest as OTLP/JSON's object tree."""
    return {"resourceSpans": [{
        "resource": {"attributes": _key_values(resource)},
        "scopeSpans": [{"scope": {"name": scope_name, "version": scope_version},
                        "spans": [_span(span) for span in spans]}],
    }]}


def encode_spans(spans: Iterable[Span], resource: Mapping[str, AttributeValue],
                 scrub: Callable[[dict[str, Any]], None] | None = None) -> bytes:
    """Serialised ExportTraceServiceRequest in OTLP/JSON (UTF-8, uncompressed); `scrub` (ccotel.hook.scrub's
    Scrubber.document) redacts the object tree first.

    A lone surrogate (a transcript may hold one: JSON allows "\\ud800") cannot be UTF-8: it becomes
    U+FFFD, what a Go collector makes of it, instead of failing the whole batch."""
    document = request_document(spans, resource)
    if scrub is not None:
        scrub(document)
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return "".join("\ufffd" if "\ud800" <= char <= "\udfff" else char for char in text).encode("utf-8")


def encode_request(spans: Iterable[Span], resource: Mapping[str, AttributeValue],
                   scope_name: str = SCOPE_NAME, scope_version: str = VERSION) -> Any:
    """The same request as opentelemetry-proto messages (protobuf imported here, never on the hook's path)."""
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

    request = ExportTraceServiceRequest()
    resource_spans = request.resource_spans.add()
    _fill_attributes(resource_spans.resource.attributes, resource)
    scope_spans = resource_spans.scope_spans.add()
    scope_spans.scope.name = scope_name
    scope_spans.scope.version = scope_version
    for span in spans:
        proto = scope_spans.spans.add()
        proto.trace_id = span.trace_id
        proto.span_id = span.span_id
        if span.parent_span_id:
            proto.parent_span_id = span.parent_span_id
        proto.name = span.name
        proto.kind = int(span.kind)
        proto.start_time_unix_nano = span.start_time_unix_nano
        proto.end_time_unix_nano = span.end_time_unix_nano
        _fill_attributes(proto.attributes, span.attributes)
        if span.status_code or span.status_message:
            proto.status.code = int(span.status_code)
            proto.status.message = span.status_message
    return request


def _set_value(target: Any, value: AttributeValue) -> None:
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
    else:
        target.string_value = str(value)


def _fill_attributes(target: Any, attributes: Mapping[str, AttributeValue]) -> None:
    for key, value in attributes.items():
        key_value = target.add()
        key_value.key = key
        _set_value(key_value.value, value)
