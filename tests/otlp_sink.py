"""A real OTLP/HTTP traces endpoint for tests and benchmarks.

It listens on 127.0.0.1, accepts POST /v1/traces (OTLP/JSON or protobuf, optionally gzip), decodes the body
with opentelemetry-proto (JSON through protobuf's own json_format, ids turned from OTLP/JSON's hex into
the base64 the proto3 JSON mapping uses) and records every span. It can be told to answer with an error status or to
hang, so tests can play "collector down" without mocking the client.
"""

from __future__ import annotations

import base64
import gzip
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)


@dataclass
class ReceivedSpan:
    trace_id: str
    span_id: str
    parent_span_id: str
    name: str
    kind: int
    start_ns: int
    end_ns: int
    attributes: dict[str, object]
    status_code: int
    status_message: str
    resource: dict[str, object]
    scope_name: str
    scope_version: str
    raw: bytes = field(repr=False, default=b"")


def _value(any_value: object) -> object:
    kind = any_value.WhichOneof("value")  # type: ignore[attr-defined]
    if kind is None:
        return None
    if kind == "array_value":
        return tuple(_value(v) for v in any_value.array_value.values)  # type: ignore[attr-defined]
    if kind == "kvlist_value":
        return {kv.key: _value(kv.value) for kv in any_value.kvlist_value.values}  # type: ignore[attr-defined]
    return getattr(any_value, kind)


def _attributes(key_values: object) -> dict[str, object]:
    return {kv.key: _value(kv.value) for kv in key_values}  # type: ignore[attr-defined]


def parse_json_request(body: bytes) -> ExportTraceServiceRequest:
    """An OTLP/JSON body as the protobuf message (strict: unknown fields are an error)."""
    from google.protobuf import json_format

    document = json.loads(body)
    for resource_spans in document.get("resourceSpans", []):
        for scope_spans in resource_spans.get("scopeSpans", []):
            for span in scope_spans.get("spans", []):
                for key in ("traceId", "spanId", "parentSpanId"):
                    if key in span:
                        span[key] = base64.b64encode(bytes.fromhex(span[key])).decode()
    return json_format.ParseDict(document, ExportTraceServiceRequest())


def decode_request(body: bytes) -> list[ReceivedSpan]:
    # a protobuf request starts with field 1's tag (0x0a); a JSON one with "{"
    request = parse_json_request(body) if body[:1] == b"{" else ExportTraceServiceRequest.FromString(body)
    spans: list[ReceivedSpan] = []
    for resource_spans in request.resource_spans:
        resource = _attributes(resource_spans.resource.attributes)
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                spans.append(
                    ReceivedSpan(
                        trace_id=span.trace_id.hex(),
                        span_id=span.span_id.hex(),
                        parent_span_id=span.parent_span_id.hex(),
                        name=span.name,
                        kind=span.kind,
                        start_ns=span.start_time_unix_nano,
                        end_ns=span.end_time_unix_nano,
                        attributes=_attributes(span.attributes),
                        status_code=span.status.code,
                        status_message=span.status.message,
                        resource=resource,
                        scope_name=scope_spans.scope.name,
                        scope_version=scope_spans.scope.version,
                        raw=span.SerializeToString(),
                    )
                )
    return spans


class OtlpSink:
    """Start with `with OtlpSink() as sink:`; `sink.endpoint` is the base URL (no /v1/traces)."""

    def __init__(self, port: int = 0, host: str = "127.0.0.1", reply_first: bool = False) -> None:
        """reply_first (benchmarks): answer 200 before decoding, as a collector's receiver does; the spans
        are recorded just after the client has its answer, so tests keep the default."""
        self.spans: list[ReceivedSpan] = []
        self.requests: list[dict[str, str]] = []
        self.status = 200  # answer code for the next requests
        self.delay_seconds = 0.0  # hang this long before answering
        self._lock = threading.Lock()
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                return

            def _ok(self) -> None:
                payload = ExportTraceServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
                self.wfile.flush()

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                if sink.delay_seconds:
                    time.sleep(sink.delay_seconds)
                if self.path != "/v1/traces":
                    self.send_response(404)
                    self.end_headers()
                    return
                status = sink.status
                if status == 200:
                    if reply_first:
                        self._ok()
                    if self.headers.get("Content-Encoding") == "gzip":
                        body = gzip.decompress(body)
                    received = decode_request(body)
                    with sink._lock:
                        sink.spans.extend(received)
                        sink.requests.append({k.lower(): v for k, v in self.headers.items()})
                    if not reply_first:
                        self._ok()
                    return
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        class Server(ThreadingHTTPServer):
            def handle_error(self, request: object, client_address: object) -> None:
                return  # a hook killed mid-request drops its connection: expected in fault tests

        self._server = Server((host, port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def endpoint(self) -> str:
        return f"http://{self._server.server_address[0]}:{self.port}"

    def span_ids(self) -> list[str]:
        with self._lock:
            return [span.span_id for span in self.spans]

    def __enter__(self) -> OtlpSink:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
