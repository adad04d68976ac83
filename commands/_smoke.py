"""`ccotel up`'s last check: one test span sent to Alloy, and Alloy's own count of accepted spans read back."""

from __future__ import annotations

import os
import time
import urllib.error
import urllib.request

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, InstrumentationScope, KeyValue
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span

from ccotel.errors import CcotelError

ACCEPTED_SPANS = "otelcol_receiver_accepted_spans_total"
SMOKE_SERVICE = "ccotel-up-check"


def build_test_span(now_ns: int, trace_id: bytes, span_id: bytes) -> bytes:
    """One INTERNAL span `ccotel up check`, service.name ccotel-up-check, as OTLP protobuf bytes."""
    def attribute(key: str, value: str) -> KeyValue:
        return KeyValue(key=key, value=AnyValue(string_value=value))

    span = Span(trace_id=trace_id, span_id=span_id, name="ccotel up check", kind=Span.SPAN_KIND_INTERNAL,
                start_time_unix_nano=now_ns - 1_000_000, end_time_unix_nano=now_ns)
    request = ExportTraceServiceRequest(resource_spans=[ResourceSpans(
        resource=Resource(attributes=[attribute("service.name", SMOKE_SERVICE)]),
        scope_spans=[ScopeSpans(scope=InstrumentationScope(name="ccotel"), spans=[span])],
    )])
    return request.SerializeToString()


def counter_total(metrics_text: str, name: str) -> float | None:
    """Sum of every sample of `name` in Prometheus text exposition; None when there is no sample."""
    total: float | None = None
    for line in metrics_text.splitlines():
        if not line.startswith(name) or line.startswith("#"):
            continue
        rest = line[len(name):]
        if rest.startswith("{"):
            closing = rest.rfind("}")
            if closing < 0:
                continue
            rest = rest[closing + 1:]
        elif not rest.startswith((" ", "\t")):
            continue  # a longer name with the same prefix
        fields = rest.split()
        if not fields:
            continue
        try:
            value = float(fields[0])
        except ValueError:
            continue
        total = value if total is None else total + value
    return total


def _get(url: str, timeout: float) -> str:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.read().decode("utf-8", "replace")


def accepted_spans(alloy_ui_url: str, timeout: float = 5.0) -> float:
    try:
        text = _get(f"{alloy_ui_url}/metrics", timeout)
    except (OSError, urllib.error.URLError) as error:
        raise CcotelError(f"cannot read Alloy's metrics at {alloy_ui_url}/metrics: {error}") from error
    return counter_total(text, ACCEPTED_SPANS) or 0.0


def send_test_span(otlp_http_url: str, timeout: float = 5.0) -> None:
    body = build_test_span(time.time_ns(), os.urandom(16), os.urandom(8))
    request = urllib.request.Request(f"{otlp_http_url}/v1/traces", data=body, method="POST",
                                     headers={"Content-Type": "application/x-protobuf"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status = response.status
    except urllib.error.HTTPError as error:
        raise CcotelError(f"Alloy refused the test span: HTTP {error.code} from {otlp_http_url}/v1/traces") from error
    except (OSError, urllib.error.URLError) as error:
        raise CcotelError(f"cannot send the test span to {otlp_http_url}/v1/traces: {error}") from error
    if not 200 <= status < 300:
        raise CcotelError(f"Alloy answered HTTP {status} to the test span")


def check_span_reaches_alloy(otlp_http_url: str, alloy_ui_url: str, wait_seconds: float = 15.0) -> float:
    """Send one span and wait until Alloy's accepted-spans counter has grown by it; returns the new count."""
    before = accepted_spans(alloy_ui_url)
    send_test_span(otlp_http_url)
    deadline = time.monotonic() + wait_seconds
    while True:
        after = accepted_spans(alloy_ui_url)
        if after >= before + 1:
            return after
        if time.monotonic() >= deadline:
            error = CcotelError(
                f"Alloy took the test span (HTTP 2xx) but {ACCEPTED_SPANS} stayed at {after:g} for "
                f"{wait_seconds:g} s: see {alloy_ui_url} and `docker compose logs alloy`"
            )
            error.exit_code = 4
            raise error
        time.sleep(0.5)
