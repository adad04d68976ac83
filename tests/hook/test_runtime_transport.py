"""Transport and delivery: a real endpoint, hand-written raw answers, uncommitted batches, Retry-After across runs."""

from __future__ import annotations

import os
import socket
import threading
import time
from importlib.metadata import version
from pathlib import Path

import pytest
from otlp_sink import OtlpSink

from ccotel.hook import spool
from ccotel.hook.config import load_settings
from ccotel.hook.model import Span, SpanKind, StatusCode, span_id_for, trace_id_for
from ccotel.hook.otlp import encode_spans, resource_attributes
from ccotel.hook.state import StateDir
from ccotel.hook.transport import Transport, parse_retry_after


def _span() -> Span:
    trace = trace_id_for("s", "p")
    return Span(trace, span_id_for(trace, "chat m"), b"", "chat m", SpanKind.CLIENT, 1_000, 2_000, {},
                StatusCode.UNSET, "")


# ---- transport --------------------------------------------------------------------------------------


def _body() -> bytes:
    return spool.gzip_body(encode_spans([_span()], resource_attributes("i", "h")))


def test_post_200_sends_gzip_otlp_json_and_headers(otlp_sink: OtlpSink) -> None:
    transport = Transport(otlp_sink.endpoint + "/v1/traces", {"authorization": "Bearer t"})
    result = transport.post(_body(), time.monotonic() + 2)
    second = transport.post(_body(), time.monotonic() + 2)  # the same kept-alive connection
    transport.close()
    assert (result.ok, result.status, result.poison, second.ok) == (True, 200, False, True)
    assert len(otlp_sink.spans) == 2
    request = otlp_sink.requests[0]
    assert request["content-encoding"] == "gzip" and request["authorization"] == "Bearer t"
    assert request["content-type"] == "application/json"
    assert request["user-agent"] == f"ccotel/{version('ccotel')}"


@pytest.mark.parametrize(("status", "poison"), [(400, True), (413, True), (422, True), (401, False),
                                                (404, False), (408, False), (429, False), (500, False),
                                                (503, False)])
def test_error_statuses(otlp_sink: OtlpSink, status: int, poison: bool) -> None:
    otlp_sink.status = status
    result = Transport(otlp_sink.endpoint + "/v1/traces").post(_body(), time.monotonic() + 2)
    assert (result.ok, result.status, result.poison) == (False, status, poison)
    assert result.reason.startswith(f"HTTP {status}")


def test_closed_port_fails_fast_without_raising() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    started = time.monotonic()
    result = Transport(f"http://127.0.0.1:{port}/v1/traces").post(_body(), time.monotonic() + 2)
    assert (result.ok, result.status, result.poison) == (False, 0, False)
    assert "cannot reach" in result.reason and time.monotonic() - started < 0.5


def test_a_hanging_collector_costs_no_more_than_the_deadline(otlp_sink: OtlpSink) -> None:
    otlp_sink.delay_seconds = 3
    started = time.monotonic()
    result = Transport(otlp_sink.endpoint + "/v1/traces").post(_body(), time.monotonic() + 0.4)
    assert not result.ok and result.status == 0 and "within the deadline" in result.reason
    assert time.monotonic() - started < 0.8


def test_retry_after_forms() -> None:
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("100000") == 300.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:10 GMT", now=1445412480.0) == 10.0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


def _raw_server(answer: bytes, close_after: bool = True) -> tuple[int, list[bytes]]:
    """A one-shot TCP server that reads one request and writes `answer` verbatim."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    seen: list[bytes] = []

    def serve() -> None:
        connection, _ = server.accept()
        data = b""
        while b"\r\n\r\n" not in data:
            data += connection.recv(65536)
        head, _, body = data.partition(b"\r\n\r\n")
        lengths = [line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")]
        length = int(lengths[0])
        while len(body) < length:
            body += connection.recv(65536)
        seen.append(head + b"\r\n\r\n" + body)
        connection.sendall(answer)
        if close_after:
            connection.close()
        server.close()

    threading.Thread(target=serve, daemon=True).start()
    return int(server.getsockname()[1]), seen


@pytest.mark.parametrize(("answer", "ok", "status", "retry_after"), [
    (b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}", True, 200, None),
    (b"HTTP/1.0 200 OK\r\n\r\n", True, 200, None),  # no length, the server closes
    (b"HTTP/1.1 429 Too Many\r\nRetry-After: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", False, 429, 3.0),
    (b"HTTP/1.1 400 Bad\r\nContent-Length: 11\r\n\r\nbad request", False, 400, None),
    (b"SSH-2.0-OpenSSH_9.6\r\n\r\n", False, 0, None),  # not HTTP at all
    (b"", False, 0, None),  # accepted, then closed without a word
])
def test_raw_answers(answer: bytes, ok: bool, status: int, retry_after: float | None) -> None:
    port, seen = _raw_server(answer)
    transport = Transport(f"http://127.0.0.1:{port}/v1/traces", {"x-token": "a b"})
    result = transport.post(b"GZIPPED", time.monotonic() + 1)
    transport.close()
    assert (result.ok, result.status, result.retry_after_seconds) == (ok, status, retry_after)
    if status == 400:
        assert result.poison and result.reason == "HTTP 400: bad request"
    request = seen[0]
    assert request.startswith(b"POST /v1/traces HTTP/1.1\r\n") and request.endswith(b"\r\n\r\nGZIPPED")
    assert f"Host: 127.0.0.1:{port}\r\n".encode() in request and b"x-token: a b\r\n" in request
    assert b"Content-Length: 7\r\n" in request and b"Content-Encoding: gzip\r\n" in request


def test_headers_with_control_characters_are_refused() -> None:
    settings = load_settings({"CCOTEL_HEADERS": "a=1%0D%0AX-Evil: 1,b:c=2,ok=3"})
    assert settings.headers == {"ok": "3"} and len(settings.warnings) == 2


def test_uncommitted_batches_are_rolled_back_and_never_sent(tmp_path: Path, otlp_sink: OtlpSink) -> None:
    """A batch above its session's checkpoint was written by a run that died before committing."""
    from ccotel.hook.delivery import deliver
    from ccotel.hook.ingest import Session
    from ccotel.hook.log import Log
    from ccotel.hook.mapping import MappingOptions

    state_dir = StateDir(tmp_path / "state").create()
    body = spool.gzip_body(encode_spans([_span()], resource_attributes("i", "h")))
    state_dir.save_state("a", {"v": 1, "session_id": "a", "seq": 1, "files": {}, "meta": {}, "mapper": None})
    state_dir.save_state("b", {"v": 1, "session_id": "b", "seq": 1, "files": {}, "meta": {}, "mapper": None})
    committed_a = spool.write_batch(state_dir.spool, "a", 1, 1, body)
    uncommitted_a = spool.write_batch(state_dir.spool, "a", 2, 1, body)
    uncommitted_b = spool.write_batch(state_dir.spool, "b", 2, 1, body)
    orphan_c = spool.write_batch(state_dir.spool, "c", 3, 1, body)  # no checkpoint at all: kept and sent
    log = Log(None)
    report = deliver(state_dir, Transport(otlp_sink.endpoint + "/v1/traces"), time.monotonic() + 2, log)
    assert report.sent_batches == 2 and not os.path.exists(committed_a.path) and not os.path.exists(orphan_c.path)
    assert os.path.exists(uncommitted_a.path) and os.path.exists(uncommitted_b.path)
    Session(state_dir, "a", "a", MappingOptions(), {}, log).open()
    assert not os.path.exists(uncommitted_a.path) and os.path.exists(uncommitted_b.path)
    assert any("removed uncommitted" in line for line in log.lines)
    fresh = Session(state_dir, "c", "c", MappingOptions(), {}, log).open()
    assert fresh.state["seq"] == 0  # no batch of c left, no checkpoint: a new session


def test_retry_after_is_honoured_by_the_next_runs(tmp_path: Path) -> None:
    from ccotel.hook.delivery import deliver, write_status
    from ccotel.hook.log import Log

    state_dir = StateDir(tmp_path / "state").create()
    spool.write_batch(state_dir.spool, "k", 1, 1, _body())
    port, seen = _raw_server(b"HTTP/1.1 503 Busy\r\nRetry-After: 120\r\nContent-Length: 0\r\n\r\n")
    url = f"http://127.0.0.1:{port}/v1/traces"
    report = deliver(state_dir, Transport(url), time.monotonic() + 1, Log(None), {"k": 1})
    assert report.failed and report.waiting_until is not None and 110 < report.waiting_until - time.time() <= 120
    status = write_status(state_dir, url, 1000, report, False)
    assert status["last_attempt"]["status"] == 503 and status["retry_not_before"] == report.waiting_until
    again = deliver(state_dir, Transport(url), time.monotonic() + 1, Log(None), {"k": 1})
    assert again.last is None and again.waiting_until == report.waiting_until  # nothing was attempted
    assert len(seen) == 1 and len(spool.list_batches(state_dir.spool)) == 1
