"""The runtime's edges one by one: settings, OTLP encoding, HTTP transport, cursors, spool, state dir."""

from __future__ import annotations

import gzip
import json
import os
import stat
import time
from importlib.metadata import version
from pathlib import Path

import pytest
from otlp_sink import decode_request

from ccotel.hook import spool
from ccotel.hook.config import load_settings, parse_key_values
from ccotel.hook.cursor import read_new_lines
from ccotel.hook.model import Span, SpanKind, StatusCode, span_id_for, trace_id_for
from ccotel.hook.otlp import encode_spans, resource_attributes
from ccotel.hook.state import CorruptState, SessionLock, StateDir, atomic_write, session_key

# ---- settings ---------------------------------------------------------------------------------------


def test_defaults(isolated_home: Path) -> None:
    settings = load_settings({})
    assert settings.traces_url == "http://127.0.0.1:4318/v1/traces"
    assert settings.state_dir == str(isolated_home / ".ccotel")
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
    assert settings.state_dir == "/tmp/ccotel-x"
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
    assert spool.total_bytes(refs) == os.path.getsize(first.path) + os.path.getsize(second.path)
    data = Path(second.path).read_bytes()
    Path(second.path).write_bytes(data[:-1] + b"X")
    with pytest.raises(spool.CorruptBatch, match="checksum"):
        spool.read_batch(refs[1])
    Path(second.path).write_bytes(data[:-3])
    with pytest.raises(spool.CorruptBatch, match="truncated"):
        spool.read_batch(refs[1])
    rejected = tmp_path / "rejected"
    rejected.mkdir()
    moved = Path(spool.reject(refs[1], rejected, "HTTP 400: bad"))
    assert moved.exists() and moved.with_suffix(".reason").read_text() == "HTTP 400: bad\n"
    assert spool.count_rejected(rejected) == (1, moved.stat().st_size)


# ---- state dir --------------------------------------------------------------------------------------


def _modes(root: str | Path) -> set[tuple[str, int]]:
    root = Path(root)
    return {("dir" if p.is_dir() else "file", stat.S_IMODE(p.stat().st_mode)) for p in [root, *root.rglob("*")]}


def test_state_dir_is_private_and_instance_id_stable(tmp_path: Path) -> None:
    os.umask(0o022)
    state_dir = StateDir(tmp_path / "state").create()
    instance = state_dir.instance_id()
    assert instance == state_dir.instance_id() == StateDir(tmp_path / "state").instance_id()
    state_dir.save_state("k", {"v": 1, "seq": 3})
    atomic_write(state_dir.status_path, b"{}", durable=False)
    assert _modes(state_dir.root) == {("dir", 0o700), ("file", 0o600)}
    assert state_dir.load_state("k") == {"v": 2, "seq": 3}  # a version 1 checkpoint is read, and goes on as 2
    Path(state_dir.state_path("k")).write_text("{garbage")
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


def test_log_rotates_and_stays_private(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ccotel.hook import log as log_module

    monkeypatch.setattr(log_module, "MAX_LOG_BYTES", 200)
    folder = tmp_path / "logs"
    folder.mkdir()
    log = log_module.Log(folder / "ccotel.log", tag="t")
    for index in range(40):
        log.info(f"line {index} " + "x" * 40)
    names = sorted(path.name for path in folder.iterdir())
    assert names == ["ccotel.log", "ccotel.log.1", "ccotel.log.2", "ccotel.log.3"]
    assert all(stat.S_IMODE(path.stat().st_mode) == 0o600 for path in folder.iterdir())
    assert "line 39 " in (folder / "ccotel.log").read_text()
    log.debug("hidden")
    assert "hidden" not in (folder / "ccotel.log").read_text()


def test_a_row_the_mapping_raises_on_is_skipped_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The real mapper does not raise on any input we have; a subclass that does stands in for a future bug."""
    from conftest import TRANSCRIPTS

    from ccotel.hook import ingest
    from ccotel.hook.log import Log
    from ccotel.hook.mapping import MappingOptions, SessionMapper
    from ccotel.hook.transcript import parse_line

    class Fragile(SessionMapper):
        def feed(self, source: str, rows: list[dict[str, object]]) -> None:
            if any("boom" in row for row in rows):
                raise KeyError("boom")
            super().feed(source, rows)

    monkeypatch.setattr(ingest, "SessionMapper", Fragile)
    (main,) = (TRANSCRIPTS / "02-spotter-v2.1.38-short" / "projects").glob("*/*.jsonl")
    rows = [row for row in map(parse_line, main.read_bytes().splitlines()) if row is not None]
    log = Log(None)
    session = ingest.Session(StateDir(tmp_path / "s").create(), "k", "s", MappingOptions(user_id="t"), {}, log).open()
    session.feed("main", [*rows[:5], {"boom": 1, "uuid": "bad-1", "type": "user"}, *rows[5:]])
    got = session.mapper.collect(turn_closed=True, final=True)
    clean = SessionMapper("s", MappingOptions(user_id="t"))
    clean.feed("main", rows)
    assert got == clean.collect(turn_closed=True, final=True) and got
    assert session.result.bad_lines == 1
    assert any("skipped a main row the mapping cannot take: uuid='bad-1'" in line for line in log.lines)


def test_a_batch_spooled_as_protobuf_by_an_earlier_version_is_still_sent_as_protobuf(tmp_path: Path) -> None:
    """Batches written before the hook sent OTLP/JSON carry no `type`: they go out as what they are."""
    import hashlib

    from otlp_sink import OtlpSink

    from ccotel.hook.delivery import deliver
    from ccotel.hook.log import Log
    from ccotel.hook.otlp import encode_request
    from ccotel.hook.transport import Transport

    state_dir = StateDir(tmp_path / "state").create()
    span = Span(b"\x01" * 16, b"\x02" * 8, b"", "invoke_agent", SpanKind.INTERNAL, 1, 2, {"k": "v"})
    body = spool.gzip_body(encode_request([span], resource_attributes("i", "h")).SerializeToString())
    header = {"session": "old", "seq": 1, "spans": 1, "created_ns": 1, "body_bytes": len(body),
              "sha256": hashlib.sha256(body).hexdigest()}  # the header an earlier version wrote
    path = Path(state_dir.spool) / spool.batch_name(1, "old", 1)
    atomic_write(path, spool.MAGIC + json.dumps(header).encode() + b"\n" + body)
    assert spool.read_batch(spool.list_batches(state_dir.spool)[0]).content_type == spool.PROTOBUF
    with OtlpSink() as sink:
        transport = Transport(sink.endpoint + "/v1/traces")
        report = deliver(state_dir, transport, time.monotonic() + 5, Log(None))
        transport.close()
        assert report.sent_batches == 1 and [s.span_id for s in sink.spans] == [span.span_id.hex()]
        assert sink.requests[0]["content-type"] == "application/x-protobuf"
