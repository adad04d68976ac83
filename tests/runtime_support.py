"""Helpers for the hook runtime tests: live copies of the sample sessions, running the real hook process,
and the reference a test compares what the sink received with.

A LiveSession copies a sample's files line by line into a fresh Claude config dir, the way Claude Code
writes them (main transcript in file order; subagent lines up to the time the main file has reached),
so a test can fire Stop after each turn. The reference is the same transcript mapped in one go, in
memory, then encoded: the runtime (incremental reads, spool, HTTP, crashes) must deliver exactly that.
Independent counts (API calls, tool_use ids, prompts) come straight from the raw JSON.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from conftest import REPO, TRANSCRIPTS
from otlp_sink import OtlpSink, ReceivedSpan

CCOTEL = REPO / ".venv" / "bin" / "ccotel"
HOOK_COMMAND = [str(CCOTEL), "hook"] if CCOTEL.exists() else [sys.executable, "-m", "ccotel.commands", "hook"]
SAMPLES = sorted(path.name for path in TRANSCRIPTS.iterdir() if path.is_dir())


def sample_main(sample: str) -> Path:
    (main,) = sorted((TRANSCRIPTS / sample / "projects").glob("*/*.jsonl"))
    return main


UUID_PATTERN = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
API_ID_PATTERN = re.compile(rb"(?:msg|req|toolu)_[A-Za-z0-9]+")
SESSION_FIELD = re.compile(rb'"sessionId":"[^"]*"')
STAMP_PATTERN = re.compile(rb'"timestamp":"([0-9T:.\-]+)Z"')


def _derived(token: bytes, salt: str) -> bytes:
    digest = hashlib.sha256(salt.encode() + b"/" + token).hexdigest()
    if UUID_PATTERN.fullmatch(token):
        return f"{digest[:8]}-{digest[8:12]}-4{digest[13:16]}-8{digest[17:20]}-{digest[20:32]}".encode()
    return token.split(b"_", 1)[0] + b"_" + digest[:24].encode()


def with_session_id(lines: list[bytes], session_id: str) -> list[bytes]:
    """The same lines under another `sessionId`: what a forked (or resumed-as-new) session file holds."""
    field = f'"sessionId":"{session_id}"'.encode()
    return [SESSION_FIELD.sub(lambda _: field, line) for line in lines]


def renamed_lines(lines: list[bytes], salt: str, session_id: str, shift: timedelta = timedelta()) -> list[bytes]:
    """Lines of a different session, not a copy: every uuid and msg_/req_/toolu_ id replaced by one derived
    from it and `salt`, `sessionId` = session_id, timestamps moved by `shift`."""
    def moved(match: re.Match[bytes]) -> bytes:
        stamp = datetime.fromisoformat(match.group(1).decode()) + shift
        return b'"timestamp":"' + stamp.isoformat(timespec="milliseconds").encode() + b'Z"'

    out = []
    for line in lines:
        line = UUID_PATTERN.sub(lambda m: _derived(m.group(0), salt), line)
        line = API_ID_PATTERN.sub(lambda m: _derived(m.group(0), salt), line)
        out.append(STAMP_PATTERN.sub(moved, line) if shift else line)
    return with_session_id(out, session_id)


def _row(line: bytes) -> dict[str, Any]:
    try:
        value = json.loads(line)
    except (ValueError, RecursionError):  # the garbage lines the fuzz tests insert
        return {}
    return value if isinstance(value, dict) else {}


def _text_blocks(row: dict[str, Any]) -> list[str]:
    content = (row.get("message") or {}).get("content")
    if isinstance(content, str):
        return [content]
    if not isinstance(content, list):
        return []
    return [b["text"] for b in content if isinstance(b, dict) and b.get("type") == "text" and b.get("text")]


def is_typed_prompt(row: dict[str, Any]) -> bool:
    """A line the person typed (reference/claude-code-data.md §1.3), judged from the raw JSON here."""
    if row.get("type") != "user" or row.get("isMeta") or row.get("isCompactSummary") or row.get("isSidechain"):
        return False
    content = (row.get("message") or {}).get("content")
    if isinstance(content, list):
        if not content or any(isinstance(b, dict) and b.get("type") == "tool_result" for b in content):
            return False
        first = content[0].get("text", "") if isinstance(content[0], dict) else ""
    else:
        first = content if isinstance(content, str) else ""
    return not str(first).lstrip().startswith(
        ("[Request interrupted by user", "<local-command-stdout>", "<local-command-stderr>")
    )


@dataclass
class LiveSession:
    """A sample session being "written" into `root` (a CLAUDE_CONFIG_DIR) step by step."""

    sample: str
    root: Path
    session_id: str = ""
    main_lines: list[bytes] = field(default_factory=list)
    agent_lines: dict[str, list[tuple[str, bytes]]] = field(default_factory=dict)  # name -> [(timestamp, line)]
    written: int = 0
    agents_written: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        source = sample_main(self.sample)
        self.session_id = self.session_id or source.stem
        project = self.root / "projects" / source.parent.name
        project.mkdir(parents=True, exist_ok=True)
        self.main = project / f"{self.session_id}.jsonl"
        self.main.touch()
        self.main_lines = source.read_bytes().splitlines(keepends=True)
        self.subagents = project / self.session_id / "subagents"
        for agent in sorted((source.parent / source.stem / "subagents").glob("agent-*.jsonl")):
            lines = agent.read_bytes().splitlines(keepends=True)
            self.agent_lines[agent.name] = [(str(_row(line).get("timestamp", "")), line) for line in lines]
            self.agents_written[agent.name] = 0

    @property
    def turn_starts(self) -> list[int]:
        return [i for i, line in enumerate(self.main_lines) if is_typed_prompt(_row(line))]

    def write_until(self, end: int) -> None:
        """Append main lines [written, end) and the subagent lines whose time the main file has reached."""
        with self.main.open("ab") as handle:
            handle.writelines(self.main_lines[self.written : end])
        self.written = max(self.written, end)
        reached = ""
        for line in self.main_lines[: self.written]:
            stamp = str(_row(line).get("timestamp", ""))
            reached = max(reached, stamp)
        for name, lines in self.agent_lines.items():
            count = self.agents_written[name]
            upto = count
            while upto < len(lines) and (lines[upto][0] <= reached or self.written >= len(self.main_lines)):
                upto += 1
            if upto > count:
                self.subagents.mkdir(parents=True, exist_ok=True)
                with (self.subagents / name).open("ab") as handle:
                    handle.writelines(line for _, line in lines[count:upto])
                self.agents_written[name] = upto

    def write_all(self) -> None:
        self.write_until(len(self.main_lines))

    def last_assistant_text(self, upto: int | None = None) -> str | None:
        last = None
        for line in self.main_lines[: self.written if upto is None else upto]:
            row = _row(line)
            if row.get("type") == "assistant":
                texts = _text_blocks(row)
                if texts:
                    last = texts[-1]
        return last

    def payload(self, event: str, **extra: Any) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "session_id": self.session_id,
            "transcript_path": str(self.main),
            "cwd": str(self.root),
            "hook_event_name": event,
        }
        if event == "Stop":
            text = self.last_assistant_text()
            if text is not None:
                payload["last_assistant_message"] = text
        payload.update(extra)
        return payload

    def files(self) -> list[Path]:
        return [self.main, *sorted(self.subagents.glob("agent-*.jsonl"))] if self.subagents.is_dir() else [self.main]


def hook_env(sink_endpoint: str, state_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CCOTEL_", "OTEL_", "CLAUDE_"))}
    env.update(CCOTEL_ENDPOINT=sink_endpoint, CCOTEL_STATE_DIR=str(state_dir))
    env.update(extra)
    return env


def run_hook(
    payload: dict[str, Any] | bytes, env: dict[str, str], timeout: float = 30
) -> subprocess.CompletedProcess[bytes]:
    data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return subprocess.run(HOOK_COMMAND, input=data, capture_output=True, env=env, timeout=timeout, check=False)


def assert_silent_success(result: subprocess.CompletedProcess[bytes]) -> None:
    assert (result.returncode, result.stdout, result.stderr) == (0, b"", b""), result


def simulate(session: LiveSession, env: dict[str, str], mid_turn_steps: int = 0) -> int:
    """Write the session turn by turn, firing Stop after each turn (and SubagentStop `mid_turn_steps`
    times inside each turn), then SessionEnd. Returns the number of hook runs."""
    runs = 0
    starts = [*session.turn_starts[1:], len(session.main_lines)]
    for end in starts:
        begin = session.written
        for step in range(1, mid_turn_steps + 1):
            session.write_until(begin + (end - begin) * step // (mid_turn_steps + 1))
            assert_silent_success(run_hook(session.payload("SubagentStop"), env))
            runs += 1
        session.write_until(end)
        assert_silent_success(run_hook(session.payload("Stop"), env))
        runs += 1
    session.write_all()
    assert_silent_success(run_hook(session.payload("SessionEnd", reason="other"), env))
    return runs + 1


def reference(session_id: str, files: list[Path], user_id: str, content: str = "full") -> dict[str, bytes]:
    """span id (hex) -> serialised Span: the whole session mapped in one go, in memory."""
    from ccotel.hook.mapping import MappingOptions, SessionMapper
    from ccotel.hook.otlp import encode_request
    from ccotel.hook.transcript import parse_line

    mapper = SessionMapper(session_id, MappingOptions(content=content, max_content_chars=20000, user_id=user_id))
    for path in files:
        rows = [row for row in map(parse_line, path.read_bytes().splitlines()) if row is not None]
        source = "main" if not path.name.startswith("agent-") else path.name.removesuffix(".jsonl")
        mapper.feed(source, rows)
    spans = mapper.collect(turn_closed=True, final=True)
    request = encode_request(spans, {})
    return {span.span_id.hex(): span.SerializeToString() for span in request.resource_spans[0].scope_spans[0].spans}


def independent_counts(files: list[Path]) -> Counter[str]:
    """Straight from the raw JSON: API calls (message.id+requestId), tool_use ids, typed prompts."""
    calls, tools, prompts = set(), set(), 0
    for path in files:
        for line in path.read_bytes().splitlines():
            row = _row(line)
            if row.get("type") == "assistant":
                message = row.get("message") or {}
                calls.add((message.get("id"), row.get("requestId")))
                for block in message.get("content") or []:
                    if isinstance(block, dict) and block.get("type") == "tool_use":
                        tools.add(block["id"])
            elif not path.name.startswith("agent-") and is_typed_prompt(row):
                prompts += 1
    return Counter({"chat": len(calls), "execute_tool": len(tools), "prompts": prompts})


def received_by_id(sink: OtlpSink) -> dict[str, list[ReceivedSpan]]:
    found: dict[str, list[ReceivedSpan]] = {}
    for span in list(sink.spans):
        found.setdefault(span.span_id, []).append(span)
    return found


def assert_each_once(sink: OtlpSink, expected: dict[str, bytes]) -> int:
    """Every expected span arrived, nothing else did, and any span id seen twice was a byte-identical
    resend. Returns the number of such resends."""
    found = received_by_id(sink)
    assert set(found) == set(expected), (set(expected) - set(found), set(found) - set(expected))
    resends = 0
    for span_id, copies in found.items():
        assert all(copy.raw == expected[span_id] for copy in copies), f"span {span_id} differs from the reference"
        resends += len(copies) - 1
    return resends


def state_files(state_dir: Path) -> list[Path]:
    return [path for path in state_dir.rglob("*")]
