"""Local transcripts -> report records through the store: each run reads only what was appended since the last.

Per session, the store keeps every file's cursor (the hook's own incremental reading, ccotel.hook.cursor: an
offset, the inode and hashes of the bytes around it) and the SessionMapper's resumable state, as the hook
keeps them in its checkpoints. A run:
- skips a session whose files have the same size, mtime and inode as at its last read (no open, no parse);
- feeds the new complete lines of a changed session to its restored mapper and stores the spans that became
  complete, plus the still-open spans (closed on a copy of the state, as a finished session is) as its tail;
- maps a session again from the start when one of its files shrank, was replaced or rewritten, or vanished;
- forgets sessions whose main file is gone.
So the mapping's per-session semantics hold across reads: a turn spanning two reads, subagent files nested
under their Task span, the dedupe by message id + request id. Rows are slimmed before mapping (long tool
results and thinking emptied, long texts and tool arguments cut, but Task/Agent arguments kept whole: the mapping
links subagents by their prompt): the report keeps none of them, and neither the mapping's counts nor the prompt
texts and tool paths the report keeps depend on them.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import pickle
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ccotel.collector.report.records import SpanRecord
from ccotel.collector.report.store import FILE_NAME, ReportStore, StoredSession, stats_text
from ccotel.commands.local_usage import CONTENT_CHARS, SessionFiles, record_from_span
from ccotel.hook._records import AGENT_TOOLS
from ccotel.hook.cursor import read_new_lines
from ccotel.hook.mapping import STATE_VERSION, MappingOptions, SessionMapper
from ccotel.hook.transcript import parse_line

SLIM_CHARS = 1000  # text kept per assistant text block (an API error's type is read from its first words)
# What the stored records and derived facts depend on: a change to any of these files rebuilds the store.
_READER_SOURCES = ("hook/mapping.py", "hook/_records.py", "hook/_spans.py", "hook/_emission.py",
                   "hook/content.py", "hook/transcript.py", "commands/local_usage.py", "commands/_history_store.py",
                   "collector/report/records.py", "collector/pricing/table.py", "collector/pricing/costing.py",
                   "collector/pricing/catalogue.py", "collector/pricing/prices.yaml",
                   "collector/pricing/price_overrides.yaml", "collector/report/analytics.py",
                   "collector/report/tips.py", "collector/report/tool_categories.py",
                   "collector/report/tool_categories.yaml", "collector/report/fold.py",
                   "commands/_stored_sessions.py")


def default_store_path(environ: dict[str, str] | None = None) -> Path:
    """<CCOTEL_STATE_DIR or ~/.ccotel>/report.sqlite3 (the hook's state directory)."""
    env = os.environ if environ is None else environ
    raw = env.get("CCOTEL_STATE_DIR", "").strip()
    return Path(raw or "~/.ccotel").expanduser() / FILE_NAME


def reader_fingerprint() -> str:
    """Mapping state version, content limit, Python version (marshal), a hash of the mapping and pricing code."""
    package = Path(__file__).resolve().parents[1]  # the ccotel package (a checkout or site-packages/ccotel)
    digest = hashlib.sha256()
    for name in _READER_SOURCES:
        path = package / name
        digest.update(name.encode() + (path.read_bytes() if path.is_file() else b"(missing)"))
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    return f"mapping/{STATE_VERSION} content/{CONTENT_CHARS} python/{version} code/{digest.hexdigest()[:16]}"


def session_stats(sessions: list[SessionFiles]) -> dict[str, dict[str, list[int]]]:
    """Each session's file stats (main file path -> path -> [size, mtime_ns, inode]), taken once per run and
    before any read (a file that grows after that is read again next time); a vanished session is left out."""
    out = {}
    for files in sessions:
        try:
            out[str(files.main)] = _file_stats(files)
        except OSError:
            continue
    return out


def input_state(sessions: list[SessionFiles], stats: dict[str, dict[str, list[int]]]) -> str | None:
    """A digest of what a report is computed from, beside the arguments and the store's fingerprint: every
    session's files (paths, sizes, mtimes, inodes, in discovery order) and the code that turns the stored
    facts into the printed report. None when a file cannot be read (it vanished: no shortcut then)."""
    package = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256(f"{sys.version_info.major}.{sys.version_info.minor}".encode())
    for path in sorted((*(package / "collector" / "report").glob("*.*"), package / "commands" / "report.py")):
        if path.suffix in (".py", ".yaml"):
            digest.update(path.name.encode() + path.read_bytes())
    for files in sessions:
        if str(files.main) not in stats:
            return None
        digest.update(stats_text(stats[str(files.main)]).encode() + b"\n")
    return digest.hexdigest()


def _slim_block(block: Any) -> Any:
    if not isinstance(block, dict):
        return block
    kind = block.get("type")
    if kind == "text" and isinstance(block.get("text"), str) and len(block["text"]) > SLIM_CHARS:
        return {**block, "text": block["text"][:SLIM_CHARS]}
    if kind == "thinking":
        return {**block, "thinking": ""}
    if kind == "tool_result":
        return {**block, "content": ""}
    if kind == "tool_use" and block.get("name") not in AGENT_TOOLS and isinstance(block.get("input"), dict):
        cut = {key: value[:SLIM_CHARS] if isinstance(value, str) else value for key, value in block["input"].items()}
        return {**block, "input": cut}  # a Write's content, an Edit's strings; the file path stays whole
    if kind in ("image", "document"):
        return {"type": kind, "source": {"type": "base64", "media_type": "", "data": ""}}
    return block


def slim_row(row: dict[str, Any]) -> dict[str, Any]:
    """A transcript row without the bulk the report never keeps: tool results, long texts, images.

    Prompt lines (user text that is not a tool result) keep their text: the report quotes prompts.
    """
    message = row.get("message")
    if not isinstance(message, dict) or not isinstance(message.get("content"), list):
        return row
    blocks = message["content"]
    if row.get("type") == "user" and not any(isinstance(b, dict) and b.get("type") == "tool_result" for b in blocks):
        return row
    return {**row, "message": {**message, "content": [_slim_block(block) for block in blocks]}}


@dataclass(frozen=True)
class _Read:
    rows: list[dict[str, Any]]
    cursor: dict[str, Any]
    partial: dict[str, Any] | None
    restarted: str


def _read_chunks(path: Path, cursor: dict[str, Any] | None) -> Iterator[_Read]:
    """The new rows in chunks of about 4 MB (mapped and dropped one by one: memory stays flat on a big file);
    the last chunk carries the partial last line. Only the first chunk can say the file must be read again."""
    while True:
        result = read_new_lines(str(path), cursor)
        if result.missing:
            yield _Read([], cursor or {}, None, "the file vanished")
            return
        rows = [slim_row(row) for line in result.lines if (row := parse_line(line)) is not None]
        cursor = result.cursor
        partial = parse_line(result.partial) if result.at_end and result.partial.strip() else None
        yield _Read(rows, cursor, slim_row(partial) if partial else None, result.restarted)
        if result.at_end:
            return


def _file_stats(files: SessionFiles) -> dict[str, list[int]]:
    stats = {}
    for path in (files.main, *files.agents):
        info = path.stat()
        stats[str(path)] = [info.st_size, info.st_mtime_ns, info.st_ino]
    return stats


def _agent_meta(agent_file: Path) -> dict[str, Any] | None:
    meta_path = agent_file.with_name(f"{agent_file.stem}.meta.json")
    if not meta_path.is_file():
        return None
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return meta if isinstance(meta, dict) else None


Pricer = Callable[[SpanRecord], SpanRecord]
Fresh = tuple[list[SpanRecord], list[SpanRecord]]  # a session read from the start: complete and open records


def refresh_session(
    store: ReportStore, files: SessionFiles, known_stats: str | None, price: Pricer,
    taken: dict[str, list[int]] | None = None,
) -> Fresh | None:
    """Bring one session's records in the store up to date with its files; records are stored priced.
    taken: the files' stats taken earlier in the run (session_stats), else taken now. Returns the session's
    records (complete, open) when it was read from the start, which the caller may use instead of the store's."""
    stats = taken if taken is not None else _file_stats(files)
    if known_stats is not None and known_stats == stats_text(stats):
        return None
    key = str(files.main)
    stored = store.session(key) if known_stats is not None else None
    restart = stored is None or stored.mapper_state is None or not set(stored.files) <= set(stats)
    if restart or stored is None:
        stored = StoredSession(key, files.session_id, files.project_dir, {}, {}, None, 0)
    options = MappingOptions(content="prompts", max_content_chars=CONTENT_CHARS)
    mapper = SessionMapper(files.session_id, options, state=stored.mapper_state)
    sources = [("main", files.main, None)]
    sources += [(f"agent-{path.stem.removeprefix('agent-')}", path, _agent_meta(path)) for path in files.agents]
    partials: list[tuple[str, dict[str, Any]]] = []
    complete: list[SpanRecord] = []
    for source, path, meta in sources:
        if meta is not None:
            mapper.feed_meta(source.removeprefix("agent-"), meta)
        for read in _read_chunks(path, stored.files.get(str(path))):
            if read.restarted and not restart:  # shrank, replaced or rewritten: map the whole session again
                return refresh_session(store, files, None, price, taken)
            if read.rows:
                mapper.feed(source, read.rows)
                complete += _records(mapper.collect(), files, price)
            if read.partial is not None:
                partials.append((source, read.partial))
            stored.files[str(path)] = read.cursor
    closing = SessionMapper(files.session_id, options, state=json.loads(json.dumps(mapper.state)))  # a copy
    for source, row in partials:
        closing.feed(source, [row])
    tail = closing.collect(turn_closed=True, final=True)
    stored.mapper_state, stored.stats = mapper.state, stats
    open_records = _records(tail, files, price)
    store.save(stored, complete, open_records, restart=restart)
    return (complete, open_records) if restart else None


def _records(spans: list[Any], files: SessionFiles, price: Pricer) -> list[SpanRecord]:
    return [price(record_from_span(span, files.session_id, files.project_dir)) for span in spans]


class LazyPrices:
    """The price table, loaded (YAML, validation) only when a record needs pricing: not on a warm run. With a
    store, the parsed table is kept in it (pickled: the store's fingerprint covers the price files and code)."""

    def __init__(self, store: ReportStore | None = None) -> None:
        self.store = store
        self.table: Any = None
        self._by_model: dict[str, Any] = {}  # model name -> the table cut to the one entry that prices it

    def _table_for(self, model: str) -> Any:
        """The first matching entry alone (the table's order is the policy, so the answer is the same), found
        once per model name instead of by a scan of every entry's regex per call."""
        table = self._by_model.get(model)
        if table is None:
            full = self.get()
            entry = full.find_model(model) if model else None
            table = self._by_model[model] = full if entry is None else dataclasses.replace(full, models=(entry,))
        return table

    def get(self) -> Any:
        if self.table is None:
            from ccotel.collector.pricing.table import load_price_table

            self.table = kept_in(self.store, "price_table", load_price_table)
        return self.table

    def price(self, record: SpanRecord) -> SpanRecord:
        from ccotel.collector.pricing.costing import price_record

        return price_record(record, self._table_for(record.model))


def kept_in(store: ReportStore | None, key: str, load: Callable[[], Any]) -> Any:
    """What load() returns, kept pickled in the store (whose fingerprint covers the files and code it reads)."""
    kept = store.blob(key) if store is not None else None
    if kept is not None:
        return pickle.loads(kept)
    value = load()
    if store is not None:
        store.save_blob(key, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
    return value


class StoredReader:
    """Keeps the store's sessions up to date (priced records) and forgets those whose main file is gone."""

    def __init__(
        self, store: ReportStore, prices: LazyPrices, taken: dict[str, dict[str, list[int]]] | None = None
    ) -> None:
        self.taken = taken or {}  # session_stats of this run
        self.store = store
        self.prices = prices
        self.price = prices.price
        self._stats = store.stats()
        self._seen: set[str] = set()

    def refresh(self, files: SessionFiles) -> Fresh | None:
        key = str(files.main)
        self._seen.add(key)
        return refresh_session(self.store, files, self._stats.get(key), self.price, self.taken.get(key))

    def prices_source(self) -> str:
        """The price table's name: the stored one when no record needed pricing (the fingerprint pins the table)."""
        stored = self.store.meta("prices")
        if self.prices.table is None and stored:
            return stored
        source = str(self.prices.get().source)
        if source != stored:
            self.store.set_meta("prices", source)
        return source

    def forget_missing(self) -> int:
        return self.store.forget(key for key in self._stats if key not in self._seen and not os.path.exists(key))


def open_store(path: Path) -> ReportStore:
    return ReportStore(path, reader_fingerprint())

