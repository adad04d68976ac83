"""Loopback OTLP/HTTP sinks standing in for Langfuse, Tempo and Loki in the end-to-end suite.

One `SignalSink` is one backend: it accepts traces (`/v1/traces`, and Langfuse's `/api/public/otel/v1/traces`)
and logs (`/v1/logs`), protobuf or JSON, gzip or not, decodes them with opentelemetry-proto and keeps every
span, every log record and every raw (decompressed) request body, so a test can search all bytes that arrived
for a secret. It can refuse (answer an error status) or go down for real (stop listening) and come back on the
same port, so the failure tests need no mock.
"""

from __future__ import annotations

import base64
import gzip
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from google.protobuf import json_format
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest,
    ExportLogsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

TRACE_PATHS = ("/v1/traces", "/api/public/otel/v1/traces")
LOG_PATHS = ("/v1/logs",)


def any_value(value: Any) -> object:
    kind = value.WhichOneof("value")
    if kind is None:
        return None
    if kind == "array_value":
        return tuple(any_value(v) for v in value.array_value.values)
    if kind == "kvlist_value":
        return {kv.key: any_value(kv.value) for kv in value.kvlist_value.values}
    return getattr(value, kind)


def attributes(key_values: Any) -> dict[str, object]:
    return {kv.key: any_value(kv.value) for kv in key_values}


@dataclass
class Span:
    trace_id: str
    span_id: str
    parent_span_id: str
    name: str
    start_ns: int
    end_ns: int
    attributes: dict[str, object]
    events: list[tuple[str, dict[str, object]]]
    status_code: int
    resource: dict[str, object]
    raw: bytes = field(repr=False, default=b"")

    @property
    def operation(self) -> str:
        return str(self.attributes.get("gen_ai.operation.name", ""))


@dataclass
class LogRecord:
    body: object
    attributes: dict[str, object]
    resource: dict[str, object]
    trace_id: str
    time_ns: int


_ID_KEYS = {"traceId", "spanId", "parentSpanId", "trace_id", "span_id", "parent_span_id"}


def _hex_ids_to_base64(node: Any) -> Any:
    """OTLP/JSON writes ids as hex (the specification), protobuf's JSON mapping wants base64."""
    if isinstance(node, dict):
        return {key: (base64.b64encode(bytes.fromhex(value)).decode() if key in _ID_KEYS and isinstance(value, str)
                      else _hex_ids_to_base64(value)) for key, value in node.items()}
    if isinstance(node, list):
        return [_hex_ids_to_base64(item) for item in node]
    return node


def _parse(body: bytes, content_type: str, message: Any) -> Any:
    if "json" in content_type:
        data = _hex_ids_to_base64(json.loads(body))
        return json_format.ParseDict(data, message, ignore_unknown_fields=True)
    return message.FromString(body)


def decode_traces(body: bytes, content_type: str = "application/x-protobuf") -> list[Span]:
    request = _parse(body, content_type, ExportTraceServiceRequest())
    spans = []
    for resource_spans in request.resource_spans:
        resource = attributes(resource_spans.resource.attributes)
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                spans.append(Span(
                    trace_id=span.trace_id.hex(), span_id=span.span_id.hex(),
                    parent_span_id=span.parent_span_id.hex(), name=span.name,
                    start_ns=span.start_time_unix_nano, end_ns=span.end_time_unix_nano,
                    attributes=attributes(span.attributes),
                    events=[(event.name, attributes(event.attributes)) for event in span.events],
                    status_code=span.status.code, resource=resource, raw=span.SerializeToString(),
                ))
    return spans


def decode_logs(body: bytes, content_type: str = "application/x-protobuf") -> list[LogRecord]:
    request = _parse(body, content_type, ExportLogsServiceRequest())
    records = []
    for resource_logs in request.resource_logs:
        resource = attributes(resource_logs.resource.attributes)
        for scope_logs in resource_logs.scope_logs:
            for record in scope_logs.log_records:
                records.append(LogRecord(
                    body=any_value(record.body), attributes=attributes(record.attributes), resource=resource,
                    trace_id=record.trace_id.hex(), time_ns=record.time_unix_nano or record.observed_time_unix_nano,
                ))
    return records


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes  # decompressed


class SignalSink:
    """`with SignalSink("tempo") as sink:`; `sink.endpoint` is the base URL. `sink.status` = the answer code;
    `sink.down()` / `sink.up()` stop and restart listening on the same port."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.spans: list[Span] = []
        self.logs: list[LogRecord] = []
        self.requests: list[Received] = []
        self.refused = 0
        self.status = 200
        self._lock = threading.Lock()
        self._port = 0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---- lifecycle
    def _handler(self) -> type[BaseHTTPRequestHandler]:
        sink = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                return

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                path = self.path.split("?", 1)[0]
                if path not in TRACE_PATHS + LOG_PATHS:
                    return self._answer(404, b"")
                if sink.status != 200:
                    with sink._lock:
                        sink.refused += 1
                    return self._answer(sink.status, b"")
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                content_type = self.headers.get("Content-Type", "application/x-protobuf")
                headers = {k.lower(): v for k, v in self.headers.items()}
                if path in TRACE_PATHS:
                    spans, logs = decode_traces(body, content_type), []
                    reply = ExportTraceServiceResponse().SerializeToString()
                else:
                    spans, logs = [], decode_logs(body, content_type)
                    reply = ExportLogsServiceResponse().SerializeToString()
                with sink._lock:
                    sink.spans.extend(spans)
                    sink.logs.extend(logs)
                    sink.requests.append(Received(path, headers, body))
                return self._answer(200, reply)

            def _answer(self, status: int, payload: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        return Handler

    def up(self) -> None:
        class Server(ThreadingHTTPServer):
            allow_reuse_address = True
            daemon_threads = True

            def handle_error(self, request: object, client_address: object) -> None:
                return

        self._server = Server(("127.0.0.1", self._port), self._handler())
        self._port = int(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def down(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> SignalSink:
        self.up()
        return self

    def __exit__(self, *exc: object) -> None:
        self.down()

    # ---- what arrived
    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    def snapshot(self) -> tuple[list[Span], list[LogRecord], list[Received]]:
        with self._lock:
            return list(self.spans), list(self.logs), list(self.requests)

    def bodies(self) -> list[bytes]:
        with self._lock:
            return [request.body for request in self.requests]

    def span_ids(self) -> list[str]:
        with self._lock:
            return [span.span_id for span in self.spans]

    def clear(self) -> None:
        with self._lock:
            self.spans.clear()
            self.logs.clear()
            self.requests.clear()
            self.refused = 0
