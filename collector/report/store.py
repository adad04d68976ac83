"""The report's local store: what `ccotel report` has read, kept in SQLite between runs. Records in, records out.

    <state dir>/report.sqlite3   0600, WAL journal (its -wal/-shm files get the database's mode)

    meta(key, value)             schema version and the reader's fingerprint (mapping options, Python)
    sessions(key, ..., files, mapper_state, tail)
        one row per transcript session (key: its main file's path): the cursor of every file read so far
        (the hook's cursor dicts: offset, inode, head/tail hashes), the mapper's resumable state, the
        file stats that let an unchanged session be skipped without opening it, and `tail`: the records
        of the spans still open at the last read (closed for the report, replaced on every read)
    chunks(key, seq, data)       the records of spans that were complete, appended one chunk per read
    derived(key, window, ...)    what the report computed from a session's records for one --since/--until
                                 window (opaque bytes to this module), with the call keys it counted;
                                 dropped whenever the session's records change
    checkpoints(key, window, chunks, data)
                                 what the report derived from a session's first `chunks` chunks for one
                                 window (opaque bytes), to be continued with the later ones; dropped when
                                 the session is read again from the start
    blobs(key, data)             anything else the reader keeps between runs (the parsed price table)
    outputs(args, state, text)   the last report printed for one set of arguments, and the state of the
                                 inputs it was computed from (opaque to this module: the caller's digest of
                                 every transcript file's stats and the report code); kept only for the
                                 latest state

Each session's update is one transaction: a crash mid-write leaves the previous state, and the session
is read again from its previous offsets. A database of another schema version or fingerprint, or one
SQLite cannot open, is deleted and rebuilt from the transcripts. Records are packed with `marshal`
(standard library, the fastest decoder here); the fingerprint names the Python version, whose marshal
format the data depends on. The state directory is private, so the file is trusted like the hook's
checkpoints. No I/O outside the database file; no knowledge of transcripts.
"""

from __future__ import annotations

import json
import marshal
import os
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ccotel.collector.report.records import SpanRecord

SCHEMA_VERSION = 3
_DEFERRED_ROWS = 100  # derived rows written together (memory stays small on a large history)
FILE_NAME = "report.sqlite3"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)
_FIELDS = tuple(field.name for field in fields(SpanRecord))
_START, _END = _FIELDS.index("start"), _FIELDS.index("end")
_SCHEMA = (
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE sessions (key TEXT PRIMARY KEY, session_id TEXT NOT NULL, project_dir TEXT NOT NULL, "
    "stats TEXT NOT NULL, files TEXT NOT NULL, mapper_state TEXT, tail BLOB, chunks INTEGER NOT NULL)",
    "CREATE TABLE chunks (key TEXT NOT NULL, seq INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY (key, seq))",
    "CREATE TABLE derived (key TEXT PRIMARY KEY, window TEXT NOT NULL, call_keys BLOB NOT NULL, data BLOB NOT NULL)",
    "CREATE TABLE checkpoints (key TEXT PRIMARY KEY, window TEXT NOT NULL, chunks INTEGER NOT NULL, "
    "data BLOB NOT NULL)",
    "CREATE TABLE blobs (key TEXT PRIMARY KEY, data BLOB NOT NULL)",
    "CREATE TABLE outputs (args TEXT PRIMARY KEY, state TEXT NOT NULL, text TEXT NOT NULL)",
)


def encode_records(records: Iterable[SpanRecord]) -> bytes:
    """Records as marshal bytes: one tuple per record, times as integer microseconds since the epoch."""
    rows = []
    for record in records:
        row = [getattr(record, name) for name in _FIELDS]
        row[_START] = (record.start - _EPOCH) // _MICRO
        row[_END] = (record.end - _EPOCH) // _MICRO
        rows.append(tuple(row))
    return marshal.dumps(rows)


def decode_records(data: bytes | None) -> list[SpanRecord]:
    if not data:
        return []
    records = []
    for row in marshal.loads(data):
        values = list(row)
        values[_START] = _EPOCH + _MICRO * values[_START]
        values[_END] = _EPOCH + _MICRO * values[_END]
        records.append(SpanRecord(*values))
    return records


@dataclass
class StoredSession:
    key: str
    session_id: str
    project_dir: str
    stats: dict[str, list[int]]  # path -> [size, mtime_ns, inode] at the last read
    files: dict[str, dict[str, Any]]  # path -> the hook's cursor dict
    mapper_state: dict[str, Any] | None
    chunks: int


def stats_text(stats: dict[str, list[int]]) -> str:
    """The stored form of a session's file stats; equal text means the files did not change."""
    return json.dumps(stats, sort_keys=True, separators=(",", ":"))


@contextmanager
def _transaction(db: sqlite3.Connection) -> Iterator[None]:
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


class ReportStore:
    """One open store. Use as a context manager; every write is its own transaction."""

    def __init__(self, path: Path, fingerprint: str) -> None:
        self.path = path
        self.fingerprint = fingerprint
        self.rebuilt = ""  # why the store was rebuilt on open ("" = it was not)
        self._db = self._open()
        self.deferred: list[tuple[str, str, bytes, bytes]] | None = None  # derived rows not written yet

    def __enter__(self) -> ReportStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()

    def _open(self) -> sqlite3.Connection:
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        wanted = {"schema": str(SCHEMA_VERSION), "fingerprint": self.fingerprint}
        db: sqlite3.Connection | None = None
        try:
            db = self._connect()
            found = dict(db.execute("SELECT key, value FROM meta").fetchall())
            if all(found.get(key) == value for key, value in wanted.items()):
                return db
            self.rebuilt = f"schema {found.get('schema')}, reader {found.get('fingerprint')}"
        except sqlite3.DatabaseError as error:  # a new empty file (no meta table), or not a database at all
            if self.path.stat().st_size:
                self.rebuilt = f"unreadable: {error}"
        if db is not None:
            db.close()
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)
        db = self._connect()
        with _transaction(db):
            for statement in _SCHEMA:
                db.execute(statement)
            db.executemany("INSERT INTO meta VALUES (?, ?)", wanted.items())
        return db

    def _connect(self) -> sqlite3.Connection:
        descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)  # created private before SQLite opens it
        os.close(descriptor)
        if os.stat(self.path).st_mode & 0o077:
            os.chmod(self.path, 0o600)
        db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        return db

    def meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with _transaction(self._db):
            self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def stats(self) -> dict[str, str]:
        """Every stored session's key -> the file stats (JSON text) at its last read."""
        return dict(self._db.execute("SELECT key, stats FROM sessions").fetchall())

    def session(self, key: str) -> StoredSession | None:
        row = self._db.execute(
            "SELECT session_id, project_dir, stats, files, mapper_state, chunks FROM sessions WHERE key = ?", (key,)
        ).fetchone()
        if row is None:
            return None
        session_id, project_dir, stats, files, state, chunks = row
        return StoredSession(
            key, session_id, project_dir, json.loads(stats), json.loads(files), json.loads(state) if state else None,
            chunks,
        )

    def records(self, key: str) -> list[SpanRecord]:
        """Every record of a session: the complete spans in read order, then the open ones of the last read."""
        return self.chunk_records(key)[0] + self.tail_records(key)

    def chunk_records(self, key: str, first: int = 0) -> tuple[list[SpanRecord], int]:
        """The complete spans of chunks `first`... in read order, and the number of chunks."""
        out: list[SpanRecord] = []
        chunks = first
        query = "SELECT seq, data FROM chunks WHERE key = ? AND seq >= ? ORDER BY seq"
        for seq, data in self._db.execute(query, (key, first)):
            out.extend(decode_records(data))
            chunks = seq + 1
        return out, chunks

    def tail_records(self, key: str) -> list[SpanRecord]:
        """The spans still open at the last read of a session."""
        tail = self._db.execute("SELECT tail FROM sessions WHERE key = ?", (key,)).fetchone()
        return decode_records(tail[0]) if tail else []

    def checkpoint(self, key: str, window: str) -> tuple[int, bytes] | None:
        """How many chunks the stored checkpoint of this session and window covers, and its bytes."""
        row = self._db.execute("SELECT window, chunks, data FROM checkpoints WHERE key = ?", (key,)).fetchone()
        return None if row is None or row[0] != window else (row[1], row[2])

    def save_checkpoint(self, key: str, window: str, chunks: int, data: bytes) -> None:
        with _transaction(self._db):
            self._db.execute("INSERT OR REPLACE INTO checkpoints VALUES (?, ?, ?, ?)", (key, window, chunks, data))

    def derived(self, key: str, window: str) -> tuple[list[str], bytes] | None:
        """The call keys and the derived bytes stored for this session and window, if any."""
        row = self._db.execute("SELECT window, call_keys, data FROM derived WHERE key = ?", (key,)).fetchone()
        return None if row is None or row[0] != window else (marshal.loads(row[1]), row[2])

    def save_derived(self, key: str, window: str, call_keys: list[str], data: bytes) -> None:
        """Keep derived bytes now, or at flush_derived() while `deferred` is a list (one transaction for many:
        they are a cache, and a session's later read drops them in its own transaction)."""
        row = (key, window, marshal.dumps(call_keys), data)
        if self.deferred is not None:
            self.deferred.append(row)
            if len(self.deferred) >= _DEFERRED_ROWS:
                self.flush_derived()
                self.deferred = []
            return
        with _transaction(self._db):
            self._db.execute("INSERT OR REPLACE INTO derived VALUES (?, ?, ?, ?)", row)

    def flush_derived(self) -> None:
        rows, self.deferred = self.deferred or [], None
        if rows:
            with _transaction(self._db):
                self._db.executemany("INSERT OR REPLACE INTO derived VALUES (?, ?, ?, ?)", rows)

    def blob(self, key: str) -> bytes | None:
        row = self._db.execute("SELECT data FROM blobs WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def save_blob(self, key: str, data: bytes) -> None:
        with _transaction(self._db):
            self._db.execute("INSERT OR REPLACE INTO blobs VALUES (?, ?)", (key, data))

    def output(self, args: str, state: str) -> str | None:
        """The report printed last for these arguments, if the inputs were in this state then."""
        row = self._db.execute("SELECT text FROM outputs WHERE args = ? AND state = ?", (args, state)).fetchone()
        return row[0] if row else None

    def save_output(self, args: str, state: str, text: str) -> None:
        """Keep a printed report; the outputs of other input states can no longer be served and go."""
        with _transaction(self._db):
            self._db.execute("DELETE FROM outputs WHERE state != ?", (state,))
            self._db.execute("INSERT OR REPLACE INTO outputs VALUES (?, ?, ?)", (args, state, text))

    def save(
        self, session: StoredSession, complete: list[SpanRecord], tail: list[SpanRecord], *, restart: bool
    ) -> None:
        """One read of a session, atomically: its new complete records, its open ones, cursors and state."""
        db = self._db
        with _transaction(db):
            db.execute("DELETE FROM derived WHERE key = ?", (session.key,))
            if restart:
                db.execute("DELETE FROM checkpoints WHERE key = ?", (session.key,))
                db.execute("DELETE FROM chunks WHERE key = ?", (session.key,))
                session.chunks = 0
            if complete:
                db.execute(
                    "INSERT INTO chunks VALUES (?, ?, ?)", (session.key, session.chunks, encode_records(complete))
                )
                session.chunks += 1
            db.execute(
                "INSERT OR REPLACE INTO sessions VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    session.key,
                    session.session_id,
                    session.project_dir,
                    stats_text(session.stats),
                    json.dumps(session.files),
                    json.dumps(session.mapper_state, separators=(",", ":")) if session.mapper_state else None,
                    encode_records(tail),
                    session.chunks,
                ),
            )

    def forget(self, keys: Iterable[str]) -> int:
        """Drop sessions whose files are gone."""
        gone = list(keys)
        if gone:
            with _transaction(self._db):
                self._db.executemany("DELETE FROM derived WHERE key = ?", ((key,) for key in gone))
                self._db.executemany("DELETE FROM checkpoints WHERE key = ?", ((key,) for key in gone))
                self._db.executemany("DELETE FROM chunks WHERE key = ?", ((key,) for key in gone))
                self._db.executemany("DELETE FROM sessions WHERE key = ?", ((key,) for key in gone))
        return len(gone)
