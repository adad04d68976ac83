"""The runtime's edges one by one: settings, OTLP encoding, HTTP transport, cursors, spool, state dir."""

from __future__ import annotations

import gzip
import json
import os
import socket
import stat
import time
from importlib.metadata import version
from pathlib import Path

import pytest
from otlp_sink import OtlpSink, decode_request

from ccotel.hook import spool
from ccotel.hook.config import load_settings, parse_key_values
from ccotel.hook.cursor import read_new_lines
from ccotel.hook.model import Span, SpanKind, StatusCode, span_id_for, trace_id_for
from ccotel.hook.otlp import encode_spans, resource_attributes
from ccotel.hook.state import CorruptState, SessionLock, StateDir, atomic_write, session_key
from ccotel.hook.transport import Transport, parse_retry_after

# ---- settings ---------------------------------------------------------------------------------------


def test_defaults(isolated_home: Path) -> None:
    settings = load_settings({})
    assert settings.traces_url == "http://127.0.0.1:4318/v1/traces"
    assert settings.state_dir == isolated_home / ".ccotel"
    assert (settings.content, settings.max_content_chars, settings.timeout_seconds) == ("full", 20000, 2.0)
    assert settings.spool_max_bytes == 200 * 1024 * 1024
    assert settings.enabled and not settings.debug and settings.warnings == ()
    assert settings.user_id  # the OS user


def test_every_setting_is_read() -> None:
    settings = load_settings({
        "CCOTEL_ENDPOINT": "https://otel.example:4318/", "CCOTEL_HEADERS": "Authorization=Basic%20abc%3D,x-a=1",
        "CCOTEL_STATE_DIR": "/tmp/ccotel-x", "CCOTEL_CONTENT": "Metadata", "CCOTEL_MAX_CONTENT_CHARS": "500",
        "CCOTEL_ENABLED": "yes", "CCOTEL_DEBUG": "1", "CCOTEL_USER_ID": "alice",
        "CCOTEL_RESOURCE_ATTRIBUTES": "deployment.environment=dev,k%3D=v%2C1", "CCOTEL_TIMEOUT": "0.5",
        "CCOTEL_SPOOL_MAX_MB": "3", "CCOTEL_BACKFILL_SPANS_PER_SECOND": "50",
    })
    assert settings.traces_url == "https://otel.example:4318/v1/traces"
    assert settings.headers == {"authorization": "Basic abc=", "x-a": "1"}
    assert settings.state_dir == Path("/tmp/ccotel-x")
    assert (settings.content, settings.max_content_chars, settings.debug, settings.user_id) == (
        "metadata", 500, True, "alice")
    assert settings.resource_attributes == {"deployment.environment": "dev", "k=": "v,1"}
    assert (settings.timeout_seconds, settings.spool_max_bytes, settings.backfill_spans_per_second) == (
        0.5, 3 * 1024 * 1024, 50.0)
    assert settings.warnings == ()


def test_bad_values_warn_and_fall_back() -> None:
    settings = load_settings({
        "CCOTEL_ENDPOINT": "localhost:4318", "CCOTEL_CONTENT": "everything", "CCOTEL_TIMEOUT": "soon",
        "CCOTEL_SPOOL_MAX_MB": "-5", "CCOTEL_ENABLED": "maybe", "CCOTEL_HEADERS": "novalue,a=b",
        "CCOTEL_MAX_CONTENT_CHARS": "nan", "CCOTEL_RESOURCE_ATTRIBUTES": "service.name=mine",
    })
    assert settings.traces_url == "http://127.0.0.1:4318/v1/traces"
    assert (settings.content, settings.timeout_seconds, settings.enabled) == ("full", 2.0, True)
    assert settings.spool_max_bytes == 200 * 1024 * 1024 and settings.max_content_chars == 20000
    assert settings.headers == {"a": "b"} and settings.resource_attributes == {}
    text = "\n".join(settings.warnings)
    for name in ("CCOTEL_ENDPOINT", "CCOTEL_CONTENT", "CCOTEL_TIMEOUT", "CCOTEL_SPOOL_MAX_MB", "CCOTEL_ENABLED",
                 "CCOTEL_HEADERS", "CCOTEL_MAX_CONTENT_CHARS", "service.name"):
        assert name in text
    assert len(settings.warnings) == 8


def test_project_settings_files_can_opt_out_but_not_redirect(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / ".claude").mkdir(parents=True)
    (project / ".claude" / "settings.json").write_text(json.dumps({"env": {"CCOTEL_CONTENT": "metadata"}}))
    (project / ".claude" / "settings.local.json").write_text(json.dumps(
        {"env": {"CCOTEL_ENABLED": False, "CCOTEL_ENDPOINT": "http://evil.example"}}))
    settings = load_settings({"CCOTEL_ENABLED": "true"}, cwd=project)
    assert not settings.enabled and settings.content == "metadata"
    assert settings.endpoint == "http://127.0.0.1:4318"
    (project / ".claude" / "settings.local.json").write_text("{not json")
    broken = load_settings({}, cwd=project)
    assert broken.enabled and "settings.local.json" in broken.warnings[0]


def test_key_values_percent_decoding() -> None:
    warnings: list[str] = []
    assert parse_key_values(" a = 1 ,b=%20x%2C, ,=z", "X", warnings) == {"a": "1", "b": " x,"}
    assert warnings == ["X: ignored '=z' (expected key=value)"]


def test_scope_version_is_the_package_version() -> None:
    from ccotel.hook.config import VERSION

    assert version("ccotel") == VERSION


# ---- OTLP encoding ----------------------------------------------------------------------------------


def _span(name: str = "chat m", parent: bytes = b"", **attributes: object) -> Span:
    trace = trace_id_for("s", "p")
    return Span(trace, span_id_for(trace, name), parent, name, SpanKind.CLIENT, 1_000, 2_000,
                dict(attributes), StatusCode.ERROR, "boom")  # type: ignore[arg-type]


def test_encoding_round_trips_through_the_reference_decoder() -> None:
    root = _span("root")
    child = _span("chat m", root.span_id, s="x", i=7, f=0.5, b=True, t=("a", "b"), big=2**62)
    body = encode_spans([root, child], resource_attributes("inst", "host", {"team": "a"}))
    decoded = decode_request(body)
    assert [span.name for span in decoded] == ["root", "chat m"]
    got = decoded[1]
    assert got.parent_span_id == root.span_id.hex() and got.trace_id == root.trace_id.hex()
    assert got.attributes == {"s": "x", "i": 7, "f": 0.5, "b": True, "t": ("a", "b"), "big": 2**62}
    assert (got.kind, got.start_ns, got.end_ns, got.status_code, got.status_message) == (3, 1000, 2000, 2, "boom")
    assert got.resource == {"service.name": "claude-code", "service.instance.id": "inst", "host.name": "host",
                            "team": "a"}
    assert decoded[0].parent_span_id == ""
    assert (got.scope_name, got.scope_version) == ("ccotel", version("ccotel"))


def test_gzip_body_is_deterministic() -> None:
    body = encode_spans([_span()], resource_attributes("i", "h"))
    assert spool.gzip_body(body) == spool.gzip_body(body)
    assert gzip.decompress(spool.gzip_body(body)) == body


# ---- transport --------------------------------------------------------------------------------------


def _body() -> bytes:
    return spool.gzip_body(encode_spans([_span()], resource_attributes("i", "h")))


def test_post_200_sends_gzip_protobuf_and_headers(otlp_sink: OtlpSink) -> None:
    transport = Transport(otlp_sink.endpoint + "/v1/traces", {"authorization": "Bearer t"})
    result = transport.post(_body(), time.monotonic() + 2)
    second = transport.post(_body(), time.monotonic() + 2)  # the same kept-alive connection
    transport.close()
    assert (result.ok, result.status, result.poison, second.ok) == (True, 200, False, True)
    assert len(otlp_sink.spans) == 2
    request = otlp_sink.requests[0]
    assert request["content-encoding"] == "gzip" and request["authorization"] == "Bearer t"
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


# ---- cursors ----------------------------------------------------------------------------------------


def test_cursor_reads_only_new_complete_lines(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_bytes(b'{"a":1}\n{"b":2}\n{"c":')
    first = read_new_lines(str(path), None)
    assert first.lines == [b'{"a":1}', b'{"b":2}'] and first.cursor["offset"] == 16 and first.partial == b'{"c":'
    with path.open("ab") as handle:
        handle.write(b'3}\n\n{"d":4}\n')
    second = read_new_lines(str(path), first.cursor)
    assert second.lines == [b'{"c":3}', b'{"d":4}'] and not second.restarted and second.at_end
    assert read_new_lines(str(path), second.cursor).lines == []


def test_cursor_chunks_a_backlog_but_reads_a_long_line_whole(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    long_line = b'{"x":"' + b"y" * 5000 + b'"}'
    path.write_bytes(b'{"a":1}\n' + long_line + b"\n" + b'{"b":2}\n')
    first = read_new_lines(str(path), None, chunk_bytes=100)
    assert first.lines == [b'{"a":1}'] and not first.at_end
    second = read_new_lines(str(path), first.cursor, chunk_bytes=100)
    assert second.lines == [long_line, b'{"b":2}'] and second.at_end  # the chunk holding its end ends here
    assert second.cursor["offset"] == path.stat().st_size


@pytest.mark.parametrize("change", ["replaced", "shrank", "rewritten"])
def test_cursor_restarts_when_the_file_is_not_the_one_it_read(tmp_path: Path, change: str) -> None:
    path = tmp_path / "t.jsonl"
    path.write_bytes(b'{"a":1}\n{"b":2}\n')
    cursor = read_new_lines(str(path), None).cursor
    if change == "replaced":
        other = tmp_path / "new"
        other.write_bytes(b'{"a":1}\n{"b":2}\n{"c":3}\n')
        other.replace(path)
    elif change == "shrank":
        with path.open("r+b") as handle:
            handle.truncate(8)
    else:
        with path.open("r+b") as handle:
            handle.write(b'{"A":1}\n')
    again = read_new_lines(str(path), cursor)
    assert again.restarted
    assert again.lines[0] in (b'{"a":1}', b'{"A":1}')


def test_cursor_on_a_missing_file(tmp_path: Path) -> None:
    assert read_new_lines(str(tmp_path / "none.jsonl"), None).missing


# ---- spool ------------------------------------------------------------------------------------------


def test_batch_round_trip_order_and_corruption(tmp_path: Path) -> None:
    first = spool.write_batch(tmp_path, "sess-1", 1, 3, b"BODY1")
    second = spool.write_batch(tmp_path, "sess-1", 2, 1, b"BODY2")
    refs = spool.list_batches(tmp_path)
    assert [ref.path for ref in refs] == [first.path, second.path]
    assert [(ref.key, ref.seq) for ref in refs] == [("sess-1", 1), ("sess-1", 2)]
    batch = spool.read_batch(refs[0])
    assert (batch.spans, batch.body) == (3, b"BODY1")
    assert spool.total_bytes(refs) == first.path.stat().st_size + second.path.stat().st_size
    data = second.path.read_bytes()
    second.path.write_bytes(data[:-1] + b"X")
    with pytest.raises(spool.CorruptBatch, match="checksum"):
        spool.read_batch(refs[1])
    second.path.write_bytes(data[:-3])
    with pytest.raises(spool.CorruptBatch, match="truncated"):
        spool.read_batch(refs[1])
    rejected = tmp_path / "rejected"
    rejected.mkdir()
    moved = spool.reject(refs[1], rejected, "HTTP 400: bad")
    assert moved.exists() and moved.with_suffix(".reason").read_text() == "HTTP 400: bad\n"
    assert spool.count_rejected(rejected) == (1, moved.stat().st_size)


# ---- state dir --------------------------------------------------------------------------------------


def _modes(root: Path) -> set[tuple[str, int]]:
    return {("dir" if p.is_dir() else "file", stat.S_IMODE(p.stat().st_mode)) for p in [root, *root.rglob("*")]}


def test_state_dir_is_private_and_instance_id_stable(tmp_path: Path) -> None:
    os.umask(0o022)
    state_dir = StateDir(tmp_path / "state").create()
    instance = state_dir.instance_id()
    assert instance == state_dir.instance_id() == StateDir(tmp_path / "state").instance_id()
    state_dir.save_state("k", {"v": 1, "seq": 3})
    atomic_write(state_dir.status_path, b"{}", durable=False)
    assert _modes(state_dir.root) == {("dir", 0o700), ("file", 0o600)}
    assert state_dir.load_state("k") == {"v": 1, "seq": 3}
    state_dir.state_path("k").write_text("{garbage")
    with pytest.raises(CorruptState, match="moved to"):
        state_dir.load_state("k")
    assert state_dir.load_state("k") is None


def test_session_keys_are_safe_file_names() -> None:
    assert session_key("4d5611e5-241a-462a-8d15-5122611a9569") == "4d5611e5-241a-462a-8d15-5122611a9569"
    for hostile in ("../../etc/passwd", "a/b", "", "-rf", "x" * 300, "é"):
        key = session_key(hostile)
        assert key.startswith("h-") and len(key) == 34 and "/" not in key


def test_session_locks_are_per_session(tmp_path: Path) -> None:
    state_dir = StateDir(tmp_path).create()
    first, same, other = SessionLock(state_dir, "a"), SessionLock(state_dir, "a"), SessionLock(state_dir, "b")
    assert first.try_acquire()
    assert not same.acquire(time.monotonic() + 0.05)
    assert other.try_acquire()
    first.release()
    assert same.try_acquire()


def _raw_server(answer: bytes, close_after: bool = True) -> tuple[int, list[bytes]]:
    """A one-shot TCP server that reads one request and writes `answer` verbatim."""
    import threading

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
