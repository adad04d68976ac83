"""The secret corpus and a generated Claude Code session that carries it, for the end-to-end suite.

Secrets come from the redaction catalogue at run time (every rule's `examples`), so the corpus grows with the
catalogue. For each example the *secret* is the part the rule removes: the rule's match minus the groups its
replacement keeps (found with RE2, the rule's own pattern; the pipeline's output is never consulted). Benign
texts are the catalogue's `lookalikes` plus plain prose with code and URLs: they must arrive byte for byte.

`write_session` lays the session out the way Claude Code writes it (§1 of the transcript reference): per turn a
typed prompt, an assistant call with thinking + a tool_use, the tool_result, a closing assistant call. Secrets
are spread over the four places the issue names: prompts, thinking, tool arguments, tool results.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import re2

from ccotel.redaction.catalogue import Catalogue, default_catalogue

PLACES = ("prompt", "thinking", "tool_arguments", "tool_result")
BENIGN_PROSE = (
    "Refactor the parser so that `parse_line` returns None on blank input; see https://example.com/docs/parser.",
    "def total(xs: list[int]) -> int:\n    return sum(x for x in xs if x > 0)  # naïve, but fine — 100 %",
    "The build failed at step 3/7: `make -j2 test` exited 2 (see build.log, lines 40-52).",
    "Ünïcödé stays: 日本語のテキスト, emoji 🚀, and a tab\there.",
)
_GROUP_REFERENCE = re.compile(r"\$(?:\{(\w+)\}|(\d+))")


@dataclass(frozen=True)
class Secret:
    rule_id: str
    example: str  # the text placed in the session
    core: str  # the part that must never reach a sink


@dataclass
class Placement:
    secret: Secret
    place: str  # one of PLACES
    turn: int


@dataclass
class GeneratedSession:
    session_id: str
    path: Path
    placements: list[Placement] = field(default_factory=list)
    benign: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)  # the transcript, one JSON object per line
    turn_ends: list[int] = field(default_factory=list)  # line count at the end of each turn
    tool_errors: int = 0
    turns: int = 0
    chat_calls: int = 0
    tool_calls: int = 0
    unpriced_calls: int = 0


def _kept_groups(replacement: str, regex: re2._Regexp) -> set[int]:
    kept = set()
    for name, number in _GROUP_REFERENCE.findall(replacement):
        kept.add(int(number) if number else regex.groupindex[name] if name in regex.groupindex else int(name))
    return kept


def secret_core(pattern: str, replacement: str, text: str) -> str:
    """The longest stretch of the rule's first match in `text` that no kept group covers."""
    regex = re2.compile(pattern)
    match = regex.search(text)
    if match is None:
        raise ValueError(f"pattern does not match its own example: {text[:60]!r}")
    covered = [False] * (match.end() - match.start())
    for group in _kept_groups(replacement, regex):
        start, end = match.span(group)
        for index in range(max(start, match.start()), max(end, match.start())):
            covered[index - match.start()] = True
    best, run_start = "", None
    for offset, is_kept in enumerate([*covered, True]):
        if not is_kept and run_start is None:
            run_start = offset
        elif is_kept and run_start is not None:
            piece = text[match.start() + run_start : match.start() + offset]
            best = piece if len(piece) > len(best) else best
            run_start = None
    return best


def secrets(catalogue: Catalogue | None = None) -> list[Secret]:
    catalogue = catalogue or default_catalogue()
    found = []
    for rule in catalogue.rules:
        for example in rule.examples:
            core = secret_core(rule.pattern, rule.replacement, example.text)
            if len(core.strip()) >= 6:  # shorter leftovers ("@", quotes) are not a secret
                found.append(Secret(rule.id, example.text, core))
    return found


def distinct(corpus: list[Secret], benign: list[str]) -> list[Secret]:
    """The secrets whose core occurs nowhere else in the session: not in a benign text, not in another example
    outside that example's own secret (a catalogue lookalike may reuse a token on purpose)."""
    kept = []
    for secret in corpus:
        elsewhere = [text for text in benign if secret.core in text]
        elsewhere += [other.example.replace(other.core, "") for other in corpus
                      if other is not secret and secret.core in other.example.replace(other.core, "")]
        if not elsewhere:
            kept.append(secret)
    return kept


def benign_texts(catalogue: Catalogue | None = None) -> list[str]:
    catalogue = catalogue or default_catalogue()
    return [*BENIGN_PROSE, *(text for rule in catalogue.rules for text in rule.lookalikes)]


def wire_forms(text: str) -> set[str]:
    """How `text` can appear on the wire: as is, JSON-escaped once, and twice (JSON inside JSON)."""
    once = json.dumps(text, ensure_ascii=False)[1:-1]
    twice = json.dumps(once, ensure_ascii=False)[1:-1]
    ascii_once = json.dumps(text)[1:-1]
    ascii_twice = json.dumps(ascii_once)[1:-1]
    return {text, once, twice, ascii_once, ascii_twice}


def label(place: str, turn: int) -> str:
    """The text in front of the secret placed at (place, turn): finds the attribute that carried it."""
    return f"[{place} of turn {turn}] "


def _stamp(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class _Writer:
    def __init__(self, session_id: str, cwd: str, start: datetime) -> None:
        self.session_id, self.cwd, self.now = session_id, cwd, start
        self.lines: list[str] = []
        self.parent: str | None = None
        self.calls = 0

    def _line(self, kind: str, message: dict[str, object], **extra: object) -> None:
        self.now += timedelta(seconds=2)
        line_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{self.session_id}/{len(self.lines)}"))
        row = {"parentUuid": self.parent, "isSidechain": False, "userType": "external", "cwd": self.cwd,
               "sessionId": self.session_id, "version": "2.1.240", "gitBranch": "main", "entrypoint": "cli",
               "type": kind, "uuid": line_id, "timestamp": _stamp(self.now), "message": message, **extra}
        self.lines.append(json.dumps(row, ensure_ascii=False, separators=(",", ":")))
        self.parent = line_id

    def prompt(self, text: str) -> None:
        self._line("user", {"role": "user", "content": text})

    def assistant(self, model: str, content: list[dict[str, object]], usage: dict[str, int]) -> None:
        self.calls += 1
        message = {"model": model, "id": f"msg_E2E{self.session_id[:8]}{self.calls:04d}", "type": "message",
                   "role": "assistant", "content": content, "stop_reason": None, "stop_sequence": None,
                   "usage": {**usage, "service_tier": "standard"}}
        self._line("assistant", message, requestId=f"req_E2E{self.session_id[:8]}{self.calls:04d}")

    def tool_result(self, tool_id: str, text: str, is_error: bool) -> None:
        block = {"type": "tool_result", "tool_use_id": tool_id, "content": text, "is_error": is_error}
        self._line("user", {"role": "user", "content": [block]})


def write_session(config_dir: Path, session_id: str, *, start: datetime | None = None) -> GeneratedSession:
    """A session under `config_dir/projects/-home-user-e2e/` carrying every secret of the corpus."""
    benign = benign_texts()
    corpus = distinct(secrets(), benign)
    project = config_dir / "projects" / "-home-user-e2e"
    project.mkdir(parents=True, exist_ok=True)
    session = GeneratedSession(session_id, project / f"{session_id}.jsonl", benign=benign)
    writer = _Writer(session_id, "/home/user/e2e", start or datetime.now(UTC) - timedelta(minutes=30))
    per_turn = len(PLACES)
    turns = (len(corpus) + per_turn - 1) // per_turn
    benign_per_turn = (len(benign) + turns - 1) // turns
    for turn in range(turns):
        chunk = corpus[turn * per_turn : (turn + 1) * per_turn]
        placed = {place: chunk[i] for i, place in enumerate(PLACES) if i < len(chunk)}
        for place, secret in placed.items():
            session.placements.append(Placement(secret, place, turn))
        text = {place: label(place, turn) + (placed[place].example if place in placed else "") for place in PLACES}
        model = "claude-imaginary-9-e2e" if turn == 1 else "claude-sonnet-4-5-20250929"
        tool = "mcp__github__get_issue" if turn % 5 == 2 else "Bash"
        tool_id = f"toolu_E2E{session_id[:8]}{turn:04d}"
        is_error = turn % 4 == 3
        writer.prompt(text["prompt"])
        writer.assistant(model, [{"type": "thinking", "thinking": text["thinking"], "signature": "c2ln"},
                                 {"type": "tool_use", "id": tool_id, "name": tool,
                                  "input": {"command": text["tool_arguments"], "description": "run it"}}],
                         {"input_tokens": 12 + turn, "cache_creation_input_tokens": 1000,
                          "cache_read_input_tokens": 2000 * turn, "output_tokens": 40 + turn})
        writer.tool_result(tool_id, text["tool_result"], is_error)
        answer = "\n\n".join(benign[turn * benign_per_turn : (turn + 1) * benign_per_turn]) or "done"
        writer.assistant(model, [{"type": "text", "text": answer}],
                         {"input_tokens": 3, "cache_creation_input_tokens": 50,
                          "cache_read_input_tokens": 3000 + 2000 * turn, "output_tokens": 25})
        session.turn_ends.append(len(writer.lines))
        session.tool_errors += is_error
        session.unpriced_calls += 2 if turn == 1 else 0
    session.turns, session.chat_calls, session.tool_calls = turns, writer.calls, turns
    session.lines = writer.lines
    session.path.write_text("\n".join(writer.lines) + "\n", encoding="utf-8")
    return session


def write_turns(session: GeneratedSession) -> Iterator[int]:
    """Rewrite the session file turn by turn, the way Claude Code appends it; yields after each turn."""
    session.path.write_text("", encoding="utf-8")
    written = 0
    for turn, end in enumerate(session.turn_ends):
        with session.path.open("a", encoding="utf-8") as handle:
            handle.writelines(line + "\n" for line in session.lines[written:end])
        written = end
        yield turn
