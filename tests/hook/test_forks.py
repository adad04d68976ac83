"""A forked (or resumed-as-new) session: a NEW session id and file holding a copy of the earlier transcript
(same line uuids, same message.id/requestId; reference/claude-code-data.md §1.9). Each turn is exported once
across sessions, by the session that committed it first; the copy's new turns are exported under its id.

Real processes (`ccotel hook`, `ccotel backfill`) against the OTLP sink; token sums per session are checked
against ccusage 20.0.24 on the same two files. ccusage gives a call found in several files to the file it
reads first, which is the first by path (not by age); with the fork's id sorting after the original's,
that is the original, as here.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

from mapping_support import ccusage_sessions
from opentelemetry.proto.trace.v1.trace_pb2 import Span as PbSpan
from otlp_sink import OtlpSink
from runtime_support import (
    CCOTEL,
    LiveSession,
    assert_each_once,
    assert_silent_success,
    hook_env,
    is_typed_prompt,
    reference,
    renamed_lines,
    run_hook,
    simulate,
    with_session_id,
)

SAMPLE = "03-spotter-v2.1.38-tool-heavy"
FORK_ID = "f0f0f0f0-0000-4000-8000-00000000b0b0"  # sorts after sample 03's d6e0bada-…
DAY = 86400


def _row(line: bytes) -> dict[str, Any]:
    row: dict[str, Any] = json.loads(line)
    return row


class Fork:
    """Session A = sample 03; session B = A's lines under B's sessionId, then two new turns (fresh ids):
    A's first turn twice, so B's new tokens differ from A's."""

    def __init__(self, root: Path, fork_id: str = FORK_ID) -> None:
        self.fork_id = fork_id
        self.a = LiveSession(SAMPLE, root)
        self.b = LiveSession(SAMPLE, root, session_id=fork_id)
        lines = self.a.main_lines
        first_turn = lines[self.a.turn_starts[0] : self.a.turn_starts[1]]
        self.copied = with_session_id(lines, fork_id)
        new_turns = [*renamed_lines(first_turn, "new turn 1", fork_id, timedelta(days=1)),
                     *renamed_lines(first_turn, "new turn 2", fork_id, timedelta(days=1, hours=1))]
        self.b.main_lines = [*self.copied, *new_turns]
        self.root = root

    def prompts(self, lines: list[bytes]) -> list[str]:
        return [_row(line)["uuid"] for line in lines if is_typed_prompt(_row(line))]

    def run_b_with_the_hook(self, env: dict[str, str]) -> None:
        """The fork's file appears with the copy and its first new turn; then the second; then it ends."""
        new_starts = [i for i in self.b.turn_starts if i >= len(self.copied)]
        assert len(new_starts) == 2
        for end in (new_starts[1], len(self.b.main_lines)):
            self.b.write_until(end)
            assert_silent_success(run_hook(self.b.payload("Stop"), env))
        assert_silent_success(run_hook(self.b.payload("SessionEnd", reason="other"), env))

    def expected(self) -> dict[str, bytes]:
        """Every span of A; every span of B except those of its copied turns (trace = sha256(B, prompt uuid))."""
        copied_traces = {hashlib.sha256(f"{self.fork_id}\n{uuid}".encode()).digest()[:16]
                         for uuid in self.prompts(self.copied)}
        expected = reference(self.a.session_id, self.a.files(), "tester")
        for span_id, raw in reference(self.fork_id, self.b.files(), "tester").items():
            if PbSpan.FromString(raw).trace_id not in copied_traces:
                expected[span_id] = raw
        return expected


def _env(sink: OtlpSink, tmp_path: Path) -> dict[str, str]:
    return hook_env(sink.endpoint, tmp_path / "state", CCOTEL_USER_ID="tester",
                    CLAUDE_CONFIG_DIR=str(tmp_path / "claude"))


def _backfill(env: dict[str, str]) -> None:
    result = subprocess.run([str(CCOTEL), "backfill"], capture_output=True, text=True, env=env, timeout=60,
                            check=False)
    assert result.returncode == 0, result.stderr


def _age(files: list[Path], seconds_ago: float) -> None:
    for path in files:
        os.utime(path, (time.time() - seconds_ago, time.time() - seconds_ago))


def _api_calls(lines: list[bytes]) -> set[tuple[str, str]]:
    """(message.id, requestId) of every assistant line, from the raw JSON."""
    return {(_row(line)["message"]["id"], _row(line)["requestId"]) for line in lines
            if _row(line).get("type") == "assistant"}


def _each_turn_once(sink: OtlpSink, fork: Fork) -> dict[str, Counter[str]]:
    """Checks what arrived; returns the token sums per session over the chat spans received."""
    a_id, b_id, received = fork.a.session_id, fork.fork_id, list(sink.spans)
    chats = [span for span in received if span.attributes["gen_ai.operation.name"] == "chat"]
    pairs = Counter((span.attributes["gen_ai.response.id"], span.attributes["claude_code.request.id"])
                    for span in chats)
    calls_a, calls_b = _api_calls(fork.a.main_lines), _api_calls(fork.b.main_lines)
    assert calls_a < calls_b and len(calls_b - calls_a) >= 2  # B copies A's calls and makes new ones
    assert set(pairs) == calls_a | calls_b and set(pairs.values()) == {1}  # every call once, across both
    by_session = {(span.attributes["gen_ai.response.id"], span.attributes["claude_code.request.id"]):
                  span.attributes["session.id"] for span in chats}
    assert {pair for pair, session in by_session.items() if session == a_id} == calls_a
    assert {pair for pair, session in by_session.items() if session == b_id} == calls_b - calls_a
    roots = {(span.attributes["session.id"], span.attributes["claude_code.prompt.uuid"])
             for span in received if not span.parent_span_id}
    new_prompts = fork.prompts(fork.b.main_lines[len(fork.copied) :])
    assert len(new_prompts) == 2
    assert roots == {(a_id, uuid) for uuid in fork.prompts(fork.a.main_lines)} | {(b_id, u) for u in new_prompts}
    assert assert_each_once(sink, fork.expected()) == 0
    ours: dict[str, Counter[str]] = {a_id: Counter(), b_id: Counter()}
    for span in chats:
        sums, attributes = ours[str(span.attributes["session.id"])], span.attributes
        cache_read = int(attributes.get("gen_ai.usage.cache_read.input_tokens", 0))  # type: ignore[arg-type]
        cache_creation = int(attributes.get("gen_ai.usage.cache_creation.input_tokens", 0))  # type: ignore[arg-type]
        sums["input"] += int(attributes["gen_ai.usage.input_tokens"]) - cache_read - cache_creation  # type: ignore[arg-type]
        sums["output"] += int(attributes["gen_ai.usage.output_tokens"])  # type: ignore[arg-type]
        sums["cache_read"] += cache_read
        sums["cache_creation"] += cache_creation
    return ours


def _ccusage(ccusage: Path, fork: Fork, home: Path) -> dict[str, dict[str, int]]:
    home.mkdir(exist_ok=True)
    return ccusage_sessions(ccusage, fork.root, home)


def _assert_each_turn_once(sink: OtlpSink, fork: Fork, ccusage: Path, home: Path) -> None:
    """What arrived is right, and the token sums per session equal ccusage's on the same two files."""
    ours = _each_turn_once(sink, fork)
    theirs = _ccusage(ccusage, fork, home)
    assert sorted(theirs) == sorted(ours)
    assert theirs[fork.a.session_id] != theirs[fork.fork_id]
    for session_id, expected in theirs.items():
        assert {key: ours[session_id][key] for key in expected} == expected, session_id


def test_ccusage_gives_copies_to_the_first_file_by_path_the_totals_agree(
    tmp_path: Path, otlp_sink: OtlpSink, ccusage_bin: Path
) -> None:
    """A fork whose id sorts before the original's: ccusage counts every copied call for the fork (the
    file it reads first) and lists no original at all; the hook counts them for the original, which
    exported them first. Per session the two differ, by design; the totals are equal."""
    fork = Fork(tmp_path / "claude", fork_id="00000000-0000-4000-8000-00000000b0b0")
    env = _env(otlp_sink, tmp_path)
    simulate(fork.a, env)
    fork.run_b_with_the_hook(env)
    ours = _each_turn_once(otlp_sink, fork)
    theirs = _ccusage(ccusage_bin, fork, tmp_path / "cchome")
    assert list(theirs) == [fork.fork_id]
    both = theirs[fork.fork_id]
    assert both == {key: ours[fork.a.session_id][key] + ours[fork.fork_id][key] for key in both}


def _log(tmp_path: Path) -> str:
    return (tmp_path / "state" / "ccotel.log").read_text()


def test_the_hook_exports_a_forked_sessions_copied_turns_once(
    tmp_path: Path, otlp_sink: OtlpSink, ccusage_bin: Path
) -> None:
    fork = Fork(tmp_path / "claude")
    env = _env(otlp_sink, tmp_path)
    simulate(fork.a, env)
    fork.run_b_with_the_hook(env)
    _assert_each_turn_once(otlp_sink, fork, ccusage_bin, tmp_path / "cchome")
    copies = len(fork.prompts(fork.copied))
    assert f"turns {', '.join(map(str, range(1, copies + 1)))} of session {fork.fork_id} are copies of session " \
           f"{fork.a.session_id}'s turns" in _log(tmp_path)


def test_backfill_exports_a_forked_sessions_copied_turns_once(
    tmp_path: Path, otlp_sink: OtlpSink, ccusage_bin: Path
) -> None:
    fork = Fork(tmp_path / "claude")
    fork.a.write_all()
    fork.b.write_all()
    _age(fork.a.files(), 2 * DAY)  # A is the older file: backfill takes it first
    _age(fork.b.files(), DAY)
    env = _env(otlp_sink, tmp_path)
    _backfill(env)
    _assert_each_turn_once(otlp_sink, fork, ccusage_bin, tmp_path / "cchome")
    _backfill(env)  # again: nothing new
    assert_silent_success(run_hook(fork.b.payload("SessionEnd"), env))  # nor from the hook
    assert assert_each_once(otlp_sink, fork.expected()) == 0


def test_backfill_then_the_hook_on_the_fork(tmp_path: Path, otlp_sink: OtlpSink, ccusage_bin: Path) -> None:
    fork = Fork(tmp_path / "claude")
    fork.a.write_all()
    _age(fork.a.files(), DAY)
    env = _env(otlp_sink, tmp_path)
    _backfill(env)
    fork.run_b_with_the_hook(env)
    _assert_each_turn_once(otlp_sink, fork, ccusage_bin, tmp_path / "cchome")


def test_a_claim_left_by_a_crash_of_the_same_session_still_exports_the_turn(
    tmp_path: Path, otlp_sink: OtlpSink, ccusage_bin: Path
) -> None:
    """A run claimed A's turns and died before its commit: the next run of A still exports them; the fork's
    copies are still skipped."""
    fork = Fork(tmp_path / "claude")
    prompts = fork.prompts(fork.a.main_lines)
    claims = tmp_path / "state" / "claims"
    for uuid in prompts:
        (claims / uuid[:2]).mkdir(parents=True, exist_ok=True)
        (claims / uuid[:2] / uuid).symlink_to(fork.a.session_id)  # a claim is a link to its session
    env = _env(otlp_sink, tmp_path)
    simulate(fork.a, env)
    fork.run_b_with_the_hook(env)
    _assert_each_turn_once(otlp_sink, fork, ccusage_bin, tmp_path / "cchome")


def test_an_unusable_claims_registry_fails_open(tmp_path: Path, otlp_sink: OtlpSink) -> None:
    """The registry cannot be written (here `claims` is a file): every turn is exported, the fork's copies
    too (a duplicate rather than a lost turn), and the log says why."""
    fork = Fork(tmp_path / "claude")
    (tmp_path / "state").mkdir(mode=0o700)
    (tmp_path / "state" / "claims").write_text("not a directory")
    env = _env(otlp_sink, tmp_path)
    simulate(fork.a, env)
    fork.run_b_with_the_hook(env)
    expected = reference(fork.a.session_id, fork.a.files(), "tester")
    expected.update(reference(fork.fork_id, fork.b.files(), "tester"))
    assert assert_each_once(otlp_sink, expected) == 0
    warnings = [line for line in _log(tmp_path).splitlines() if "claims registry:" in line]
    assert len(warnings) == len(fork.prompts(fork.a.main_lines)) + len(fork.prompts(fork.b.main_lines))
    assert all(" WARNING [" in line for line in warnings)


def test_later_spans_of_a_skipped_turn_are_skipped_in_later_runs_too(tmp_path: Path) -> None:
    """The commit step itself, on real state files: a turn claimed by another session is left out with all
    its spans, and so are spans of it that come in a later run (a fresh Session, from the checkpoint)."""
    from ccotel.hook.ingest import Session
    from ccotel.hook.log import Log
    from ccotel.hook.mapping import MappingOptions
    from ccotel.hook.model import Span, SpanKind
    from ccotel.hook.state import StateDir

    state_dir = StateDir(tmp_path / "state").create()

    def session(session_id: str) -> Session:
        opened = Session(state_dir, session_id, session_id, MappingOptions(), {}, Log(state_dir.log_path)).open()
        opened.state["files"]["main"] = {"offset": 1}  # as if a line had been read: the checkpoint is written
        return opened

    def span(trace: bytes, number: int, prompt_uuid: str | None = None) -> Span:
        attributes: dict[str, Any] = {"claude_code.prompt.uuid": prompt_uuid, "claude_code.turn.index": 4} \
            if prompt_uuid else {}
        return Span(trace, bytes([number]) * 8, b"" if prompt_uuid else b"\x01" * 8, "s", SpanKind.INTERNAL,
                    1, 2, attributes)

    original, copy, other = b"\x0a" * 16, b"\x0b" * 16, b"\x0c" * 16
    assert session("session-a").commit([span(original, 1, "prompt-1"), span(original, 2)]) == 2
    fork = session("session-b")
    assert fork.commit([span(copy, 1, "prompt-1"), span(copy, 2), span(other, 3, "prompt-2")]) == 1
    assert "turn 4 of session session-b is a copy of session session-a's turn" in Path(state_dir.log_path).read_text()
    assert session("session-b").commit([span(copy, 4), span(other, 5)]) == 1  # a later run: still left out
    assert os.readlink(Path(state_dir.claims, "pr", "prompt-1")) == "session-a"
    assert os.readlink(Path(state_dir.claims, "pr", "prompt-2")) == "session-b"
    # a fork of a long session: far more copied turns in one commit than the checkpoint keeps trace ids of
    many = [(bytes([1, n]) * 8, f"turn-{n}") for n in range(200)]
    assert session("session-c").commit([span(trace, 1, uuid) for trace, uuid in many]) == 200
    assert session("session-d").commit([s for trace, uuid in many for s in (span(trace, 1, uuid), span(trace, 2))]) == 0
