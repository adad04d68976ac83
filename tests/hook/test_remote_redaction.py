"""Nothing raw leaves the machine: with an endpoint that is not on it, the hook redacts before the spool.

The collector here is a real OTLP/HTTP endpoint listening on this machine's non-loopback address, so the
hook judges it remote exactly as it would judge a collector elsewhere (on the URL's text). Twelve secrets
are planted in a session (prompt and resource); what arrives must equal the same session sent to a local
endpoint (raw) and redacted by ccotel.redaction.engine (the outside oracle for the hook's own applier),
spans that carry a marker flagged `claude_code.redacted`, and the spool must only hold the redacted form.
"""

from __future__ import annotations

import gzip
import json
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from otlp_sink import OtlpSink, ReceivedSpan
from runtime_support import LiveSession, assert_silent_success, hook_env, run_hook

from ccotel.hook import spool
from ccotel.hook.config import is_local_endpoint, load_settings, split_by_urlsplit, split_endpoint
from ccotel.redaction.catalogue import default_catalogue
from ccotel.redaction.engine import default_redactor

SAMPLE = "02-spotter-v2.1.38-short"
# the first example of the first twelve rules that have one: whatever the catalogue holds today
PLANTED = [rule.examples[0].text for rule in default_catalogue().rules if rule.examples][:12]
RESOURCE = f"team={quote(PLANTED[0], safe='')}"


def lan_address() -> str:
    """This machine's address on its default route (no packet is sent by a UDP connect)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect(("192.0.2.1", 9))
        address = probe.getsockname()[0]
    assert not address.startswith("127."), "this machine needs a non-loopback address for these tests"
    return str(address)


def planted_session(root: Path) -> LiveSession:
    session = LiveSession(SAMPLE, root)
    first = session.turn_starts[0]
    row = json.loads(session.main_lines[first])
    row["message"]["content"] = "please keep these safe:\n" + "\n".join(PLANTED)
    session.main_lines[first] = (json.dumps(row) + "\n").encode()
    session.write_all()
    return session


def _redacted_value(value: object) -> object:
    if isinstance(value, str):
        return default_redactor().redact(value)
    if isinstance(value, tuple):
        return tuple(_redacted_value(item) for item in value)
    return value


def _escaped(text: str) -> str:
    """How a text reads inside a JSON string inside a JSON string (gen_ai.input.messages in json.dumps)."""
    return json.dumps(json.dumps(text)[1:-1])[1:-1]


def _by_id(sink: OtlpSink) -> dict[str, ReceivedSpan]:
    return {span.span_id: span for span in sink.spans}


@pytest.fixture
def remote_sink() -> Iterator[OtlpSink]:
    with OtlpSink(host=lan_address()) as sink:
        yield sink


def test_the_endpoint_judgement_is_made_on_the_url_text() -> None:
    local = ["http://localhost:4318", "http://LOCALHOST.:4318/", "http://127.0.0.1:4318", "https://127.9.8.7",
             "http://[::1]:4318", "http://[0:0:0:0:0:0:0:1]:4318", "http://[::ffff:127.0.0.1]:4318"]
    remote = ["https://otlp.example.com", "http://192.168.1.20:4318", "http://10.0.0.1", "http://localhost.evil.io",
              "http://127.0.0.1.nip.io", "http://127.1:4318", "http://0x7f.0.0.1", "http://[::2]", "http://0.0.0.0",
              "http://[::ffff:10.0.0.1]", "http://017.0.0.1"]
    assert [url for url in local if not is_local_endpoint(url)] == []
    assert [url for url in remote if is_local_endpoint(url)] == []


def test_the_hooks_own_url_split_reads_urls_as_urlsplit_does() -> None:
    """The hook splits a plain URL itself (urllib.parse is not imported on its run); urlsplit is the oracle, on
    plain URLs and on every form the hook hands over to it."""
    urls = ["http://127.0.0.1:4318", "http://127.0.0.1:4318/", "http://localhost:4318/v1/traces", "https://Otlp.Example.COM",
            "http://LOCALHOST.:4318/", "http://127.0.0.1:04318/x", "http://host:0/", "http://host:/p", "http://host",
            "http://[::1]:4318", "http://user:pw@127.0.0.1:4318", "http://127.0.0.1:4318?x=1", "http://127.0.0.1:4318#f",
            "http://127.0.0.1:4318#@evil.com/", "http://evil.com\\@127.0.0.1:4318", " http://127.0.0.1:4318",
            "http://127.0.0.1:43\t18", "http://127.0.0.1:4318/a b", "http://127.0.0.1:4318/p?q#f", "http://a:1:2/",
            "http://127.0.0.1:4318\n.evil.io", "http://localhost.evil.io:4318/v1", "http://h%41st:1/", "http://:4318/",
            "ftp://127.0.0.1:21/", "http:/127.0.0.1:4318", "http://127.0.0.1:4318/v1/traces/", "http://x.y-z.io:65535"]
    urls += ["http://127.0.0.1:99999", "http://127.0.0.1:65536/v1"]

    def outcome(split: Callable[[str], object], url: str) -> object:
        try:
            return split(url)
        except ValueError:
            return "ValueError"

    assert [url for url in urls if outcome(split_endpoint, url) != outcome(split_by_urlsplit, url)] == []
    assert outcome(split_endpoint, "http://127.0.0.1:99999") == "ValueError"  # refused by both, not read as 9999


def test_the_setting_and_its_default() -> None:
    def mode(**env: str) -> bool:
        return load_settings(environ=env).redacting

    assert not mode() and not mode(CCOTEL_ENDPOINT="http://127.0.0.1:4318")
    assert mode(CCOTEL_ENDPOINT="https://collector.example.com")
    assert not mode(CCOTEL_ENDPOINT="https://collector.example.com", CCOTEL_REDACT="off")
    assert mode(CCOTEL_REDACT="always")
    settings = load_settings(environ={"CCOTEL_REDACT": "sometimes", "CCOTEL_ENDPOINT": "https://x.example"})
    assert settings.redact == "auto" and settings.redacting and "CCOTEL_REDACT" in settings.warnings[0]
    assert settings.redaction_mode().startswith("on:")
    assert load_settings(environ={"CCOTEL_REDACT": "off"}).redaction_mode().startswith("off (CCOTEL_REDACT=off)")


def test_a_remote_endpoint_receives_only_redacted_spans(tmp_path: Path, remote_sink: OtlpSink) -> None:
    assert len(PLANTED) == 12 and all(default_redactor().redact(text) != text for text in PLANTED)
    session = planted_session(tmp_path / "claude")
    env = hook_env(remote_sink.endpoint, tmp_path / "state", CCOTEL_RESOURCE_ATTRIBUTES=RESOURCE)
    assert_silent_success(run_hook(session.payload("SessionEnd", reason="other"), env))
    received = _by_id(remote_sink)
    assert received

    # the same session through a local endpoint: the raw spans (the local collector redacts those)
    with OtlpSink() as local_sink:
        local_env = hook_env(local_sink.endpoint, tmp_path / "state-local", CCOTEL_RESOURCE_ATTRIBUTES=RESOURCE)
        assert_silent_success(run_hook(session.payload("SessionEnd", reason="other"), local_env))
        raw = _by_id(local_sink)
    assert raw.keys() == received.keys()
    markers = sum(str(_redacted_value(value)).count("[REDACTED:") for span in raw.values()
                  for value in [*span.attributes.values(), *span.resource.values()])
    assert markers >= 12  # the planted secrets were there, raw, to be found

    flagged = 0
    for span_id, span in received.items():
        expected = {key: _redacted_value(value) for key, value in raw[span_id].attributes.items()}
        if any("[REDACTED:" in str(value) for value in expected.values()):
            expected["claude_code.redacted"] = True
            flagged += 1
        assert span.attributes == expected
        resource = {key: _redacted_value(value) for key, value in raw[span_id].resource.items()}
        resource["service.instance.id"] = span.resource["service.instance.id"]  # one per state directory
        assert span.resource == resource and "[REDACTED:" in str(resource["team"])
        assert span.name == raw[span_id].name
    assert flagged >= 1
    everything = json.dumps([[span.attributes, span.resource] for span in received.values()], default=str)
    assert [text for text in PLANTED if _escaped(text) in everything or text in everything] == []


def test_the_spool_holds_the_redacted_form_and_old_raw_batches_are_redacted_before_sending(tmp_path: Path) -> None:
    session = planted_session(tmp_path / "claude")
    state_dir = tmp_path / "state"
    with socket.socket() as closed:  # a remote address where nothing listens: batches stay spooled
        closed.bind((lan_address(), 0))
        down = f"http://{lan_address()}:{closed.getsockname()[1]}"
    # first a raw batch, spooled while the endpoint was local (and down)
    half = len(session.main_lines) // 2
    session.main.write_bytes(b"".join(session.main_lines[:half]))
    assert_silent_success(run_hook(session.payload("Stop"), hook_env("http://127.0.0.1:9", state_dir)))
    (raw_batch,) = [spool.read_batch(ref) for ref in spool.list_batches(state_dir / "spool")]
    raw_body = gzip.decompress(raw_batch.body).decode()
    assert not raw_batch.redacted and "[REDACTED:" not in raw_body
    assert any(_escaped(text) in raw_body for text in PLANTED)
    # then the rest, with the endpoint remote (and down): the new batch is written redacted, and the old raw
    # one is redacted in place when its turn to be sent comes, before the attempt
    session.main.write_bytes(b"".join(session.main_lines))
    assert_silent_success(run_hook(session.payload("SessionEnd", reason="other"), hook_env(down, state_dir)))
    batches = [spool.read_batch(ref) for ref in spool.list_batches(state_dir / "spool")]
    assert [batch.redacted for batch in batches] == [True, True]
    assert batches[0].ref.path == raw_batch.ref.path  # same place in the order
    assert "[REDACTED:" in gzip.decompress(batches[0].body).decode()
    for batch in batches:
        assert not any(_escaped(text) in gzip.decompress(batch.body).decode() for text in PLANTED)

    with OtlpSink(host=lan_address()) as sink:  # the remote collector is back
        env = hook_env(sink.endpoint, state_dir)
        assert_silent_success(run_hook(session.payload("SessionEnd", reason="other"), env))
        sent = json.dumps([span.attributes for span in sink.spans], default=str)
    assert sink.spans and spool.list_batches(state_dir / "spool") == []
    assert [text for text in PLANTED if _escaped(text) in sent] == []
    assert sent.count("[REDACTED:") >= 12


def test_spooled_batches_that_cannot_be_redacted_are_set_aside_never_sent(tmp_path: Path, otlp_sink: OtlpSink) -> None:
    from ccotel.hook import scrub
    from ccotel.hook.delivery import deliver
    from ccotel.hook.log import Log
    from ccotel.hook.state import StateDir
    from ccotel.hook.transport import Transport

    state_dir = StateDir(tmp_path / "state").create()
    legacy = spool.write_batch(state_dir.spool, "a", 1, 3, spool.gzip_body(b"\x0a\x00"), content_type=spool.PROTOBUF)
    garbled = spool.write_batch(state_dir.spool, "b", 1, 2, b"not gzip at all")
    transport = Transport(otlp_sink.endpoint + "/v1/traces")
    try:
        report = deliver(state_dir, transport, time.monotonic() + 5, Log(None), scrub=scrub.load().body)
    finally:
        transport.close()
    assert report.rejected_batches == 2 and report.sent_batches == 0 and otlp_sink.requests == []
    assert spool.list_batches(state_dir.spool) == []
    reasons = sorted(path.read_text() for path in Path(state_dir.rejected).glob("*.reason"))
    assert "spooled unredacted and unreadable" in reasons[0] and "as protobuf" in reasons[1]
    assert {path.name for path in Path(state_dir.rejected).glob("*.batch")} == {legacy.name, garbled.name}
