"""Local transcripts -> span records, one session at a time, through the hook's own mapping.

The report reads `~/.claude/projects` with the same SessionMapper the hook and backfill use, so all
three agree on turns, calls and tokens. A session's files are read in chunks, mapped, reduced to
SpanRecords (which keep only a short prompt text and tool file paths) and dropped before the next
session is read.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from ccotel.collector.report.records import CHAT, EXECUTE_TOOL, SpanRecord, file_path_argument, prompt_text
from ccotel.errors import CcotelError
from ccotel.hook import semconv as sc
from ccotel.hook.mapping import MappingOptions, SessionMapper
from ccotel.hook.model import Span, StatusCode
from ccotel.hook.transcript import parse_line, split_complete_lines

CONTENT_CHARS = 2048  # content kept per attribute while mapping: enough for a prompt and a tool's file path
READ_CHUNK = 1 << 20
FEED_ROWS = 5000


@dataclass(frozen=True, slots=True)
class SessionFiles:
    session_id: str
    project_dir: str  # the encoded directory name under projects/
    main: Path
    agents: tuple[Path, ...]  # <session>/subagents/**/agent-*.jsonl

    def newest_mtime(self) -> float:
        return max(path.stat().st_mtime for path in (self.main, *self.agents))


def projects_dirs(explicit: str | None, environ: dict[str, str] | None = None) -> list[Path]:
    """--projects-dir, else every $CLAUDE_CONFIG_DIR (comma-separated)/projects, else ~/.claude/projects
    and ~/.config/claude/projects. An explicit or configured directory that is missing is an error."""
    env = os.environ if environ is None else environ
    if explicit:
        candidates = [Path(part).expanduser() for part in explicit.split(",") if part.strip()]
        origin = "--projects-dir"
    elif env.get("CLAUDE_CONFIG_DIR", "").strip():
        candidates = [
            Path(part.strip()).expanduser() / "projects" for part in env["CLAUDE_CONFIG_DIR"].split(",") if part.strip()
        ]
        origin = "CLAUDE_CONFIG_DIR"
    else:
        home = Path(env.get("HOME") or Path.home())
        found = [
            path for path in (home / ".claude" / "projects", home / ".config" / "claude" / "projects") if path.is_dir()
        ]
        if not found:
            raise CcotelError(
                f"no Claude Code transcripts found: {home / '.claude' / 'projects'} does not exist "
                "(use --projects-dir DIR or set CLAUDE_CONFIG_DIR)"
            )
        return found
    for path in candidates:
        if not path.is_dir():
            raise CcotelError(f"{origin}: {path} is not a directory")
    return candidates


def discover_sessions(roots: list[Path]) -> Iterator[SessionFiles]:
    """Every <project>/<session>.jsonl under the roots, with its subagent files, in a stable order."""
    for root in roots:
        for project in sorted(path for path in root.iterdir() if path.is_dir()):
            files = sorted(project.glob("*.jsonl"))
            mains = {path.stem: path for path in files if not path.name.startswith("agent-")}
            flat: dict[str, list[Path]] = {}  # 2.0.x: agent-<id>.jsonl beside the session that ran it
            for path in files:
                if path.name.startswith("agent-"):
                    owner = _first_session_id(path)
                    if owner in mains:
                        flat.setdefault(owner, []).append(path)
                    else:
                        mains[path.stem] = path  # no session of its own here: reported on its own, as ccusage does
            for stem in sorted(mains):
                main = mains[stem]
                subagents = main.with_suffix("") / "subagents"
                nested = sorted(subagents.rglob("agent-*.jsonl")) if subagents.is_dir() else []
                yield SessionFiles(stem, project.name, main, (*flat.get(stem, ()), *nested))


def _first_session_id(path: Path) -> str | None:
    """The `sessionId` of a file's first line that has one (a flat subagent file carries its parent's)."""
    try:
        with path.open("rb") as handle:
            head = handle.read(1 << 16)
    except OSError:
        return None
    for line in head.split(b"\n")[:8]:
        row = parse_line(line)
        if row is not None and isinstance(row.get("sessionId"), str):
            return str(row["sessionId"])
    return None


def _rows(path: Path) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    rest = b""
    with path.open("rb") as handle:
        while chunk := handle.read(READ_CHUNK):
            lines, rest = split_complete_lines(rest + chunk)
            for line in lines:
                row = parse_line(line)
                if row is not None:
                    batch.append(row)
            if len(batch) >= FEED_ROWS:
                yield batch
                batch = []
    if rest.strip() and (row := parse_line(rest)) is not None:
        batch.append(row)
    if batch:
        yield batch


def map_session(files: SessionFiles) -> list[Span]:
    """All spans of one finished session (main transcript, then its subagents)."""
    mapper = SessionMapper(files.session_id, MappingOptions(content="prompts", max_content_chars=CONTENT_CHARS))
    for rows in _rows(files.main):
        mapper.feed("main", rows)
    for agent_file in files.agents:
        agent_id = agent_file.stem.removeprefix("agent-")
        meta_path = agent_file.with_name(f"{agent_file.stem}.meta.json")
        if meta_path.is_file():
            try:
                meta = json.loads(meta_path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                meta = None
            if isinstance(meta, dict):
                mapper.feed_meta(agent_id, meta)
        for rows in _rows(agent_file):
            mapper.feed(f"agent-{agent_id}", rows)
    return mapper.collect(turn_closed=True, final=True)


def _time(unix_nano: int) -> datetime:
    return datetime.fromtimestamp(unix_nano / 1e9, tz=UTC)


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def record_from_span(span: Span, session_id: str, project_dir: str) -> SpanRecord:
    """Keep what the analyses read; drop the rest of the content."""
    attrs = span.attributes
    operation = str(attrs.get(sc.GEN_AI_OPERATION_NAME, ""))
    cache_read = _int(attrs.get(sc.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS))
    cache_creation = _int(attrs.get(sc.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS))
    has_split = sc.CC_CACHE_CREATION_5M in attrs or sc.CC_CACHE_CREATION_1H in attrs
    tool = str(attrs.get(sc.GEN_AI_TOOL_NAME, ""))
    return SpanRecord(
        trace_id=span.trace_id.hex(),
        span_id=span.span_id.hex(),
        parent_id=span.parent_span_id.hex(),
        session_id=session_id,
        project=str(attrs.get(sc.CC_PROJECT) or project_dir),
        operation=operation,
        name=span.name,
        start=_time(span.start_time_unix_nano),
        end=_time(span.end_time_unix_nano),
        agent_name=str(attrs.get(sc.GEN_AI_AGENT_NAME, "")),
        model=str(attrs.get(sc.GEN_AI_RESPONSE_MODEL) or attrs.get(sc.GEN_AI_REQUEST_MODEL) or ""),
        tool_name=tool,
        input_tokens=max(_int(attrs.get(sc.GEN_AI_USAGE_INPUT_TOKENS)) - cache_read - cache_creation, 0),
        output_tokens=_int(attrs.get(sc.GEN_AI_USAGE_OUTPUT_TOKENS)),
        cache_read_tokens=cache_read,
        cache_write_5m_tokens=_int(attrs.get(sc.CC_CACHE_CREATION_5M)) if has_split else cache_creation,
        cache_write_1h_tokens=_int(attrs.get(sc.CC_CACHE_CREATION_1H)),
        speed=str(attrs.get(sc.CC_USAGE_SPEED, "")),
        inference_geo=str(attrs.get(sc.CC_USAGE_INFERENCE_GEO, "")),
        web_search_requests=_int(attrs.get(sc.CC_USAGE_WEB_SEARCH_REQUESTS)),
        is_error=span.status_code == StatusCode.ERROR,
        error_type=str(attrs.get(sc.ERROR_TYPE, "")),
        is_compaction=bool(attrs.get(sc.CC_COMPACTION)),
        turn_index=_int(attrs.get(sc.CC_TURN_INDEX)),
        prompt=prompt_text(str(attrs.get(sc.GEN_AI_INPUT_MESSAGES, ""))) if sc.CC_TURN_INDEX in attrs else "",
        prompt_kind=str(attrs.get(sc.CC_PROMPT_KIND, "")),
        file_path=file_path_argument(str(attrs.get(sc.GEN_AI_TOOL_CALL_ARGUMENTS, ""))) if tool else "",
        project_dir=project_dir,
        call_key=_call_key(operation, attrs),
    )


def _call_key(operation: str, attrs: dict[str, Any]) -> str:
    """What identifies an API call (message.id + requestId) or a tool call (tool_use.id) across files."""
    if operation == CHAT and attrs.get(sc.GEN_AI_RESPONSE_ID):
        return f"chat\n{attrs[sc.GEN_AI_RESPONSE_ID]}\n{attrs.get(sc.CC_REQUEST_ID, '')}"
    if operation == EXECUTE_TOOL and attrs.get(sc.GEN_AI_TOOL_CALL_ID):
        return f"tool\n{attrs[sc.GEN_AI_TOOL_CALL_ID]}"
    return ""


def in_window(record: SpanRecord, since: date | None, until: date | None) -> bool:
    day = record.start.date()
    return (since is None or day >= since) and (until is None or day <= until)


@dataclass
class LocalHistory:
    """The sessions under some projects directories, read one at a time.

    An API call or tool call already seen in an earlier session (a resumed session's file that repeats
    its history, the same file under two config dirs) is counted once, as ccusage does for calls
    (key: message.id + requestId). A session that cannot be read is skipped and named in `skipped`.
    """

    roots: list[Path]
    since: date | None = None
    until: date | None = None
    project: str | None = None
    skipped: list[str] = field(default_factory=list)
    duplicates: int = 0
    _seen: set[int] = field(default_factory=set)

    def sessions(self) -> Iterator[list[SpanRecord]]:
        needle = self.project.lower() if self.project else None
        for files in discover_sessions(self.roots):
            try:
                if self.since is not None and datetime.fromtimestamp(files.newest_mtime(), UTC).date() < self.since:
                    continue  # nothing in these files was written on or after --since
                spans = map_session(files)
            except Exception as error:  # one unreadable or unmappable session must not sink the report
                self.skipped.append(f"{files.main}: {type(error).__name__}: {error}")
                continue
            records = [
                record
                for record in (record_from_span(span, files.session_id, files.project_dir) for span in spans)
                if in_window(record, self.since, self.until) and self._first_time(record)
            ]
            if (
                needle
                and records
                and not any(needle in text.lower() for text in (records[0].project, files.project_dir))
            ):
                continue
            if records:
                yield records

    def _first_time(self, record: SpanRecord) -> bool:
        if not record.call_key:
            return True
        key = hash(record.call_key)
        if key in self._seen:
            self.duplicates += 1
            return False
        self._seen.add(key)
        return True
