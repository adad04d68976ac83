"""Read only the new complete lines of an append-only JSONL file, from a saved cursor.

A cursor is a small JSON-serialisable dict kept in the session checkpoint:

    {"path": str, "offset": int, "dev": int, "ino": int, "head": sha256 hex, "tail": sha256 hex}

`offset` is the end of the last complete line handed out; the partial last line (a line Claude Code
is still writing) stays in the file and is read again, whole, by the next run, so the checkpoint never
carries up to megabytes of half a line. `head`/`tail` are hashes of the first 4 KiB and of the 4 KiB
before `offset`: a transcript that shrank, was replaced (other inode) or rewritten is read again from
the start; the mapper's deterministic ids and emitted set make that re-read send nothing twice.
"""

from __future__ import annotations

import os
from stat import S_ISREG

from ccotel.hook._plain import Plain
from ccotel.hook._sha import sha256
from ccotel.hook._typing import Any
from ccotel.hook.transcript import split_complete_lines

PROBE_BYTES = 4096
DEFAULT_CHUNK_BYTES = 4 * 1024 * 1024


class ReadResult(Plain):
    """lines: complete lines without their b"\n"; restarted: why the file is read again from the start ("" = it
    was not); at_end: everything up to the end of the file (but a partial last line) was handed out; partial:
    the trailing bytes without a newline, when at_end."""

    __slots__ = ("at_end", "cursor", "lines", "missing", "partial", "restarted")
    __hash__ = None  # type: ignore[assignment]

    def __init__(self, lines: list[bytes] | None = None, cursor: dict[str, Any] | None = None, restarted: str = "",
                 at_end: bool = True, partial: bytes = b"", missing: bool = False) -> None:
        self.lines: list[bytes] = [] if lines is None else lines
        self.cursor: dict[str, Any] = {} if cursor is None else cursor
        self.restarted, self.at_end, self.partial, self.missing = restarted, at_end, partial, missing


def _probe(fd: int, offset: int) -> tuple[str, str]:
    head = os.pread(fd, min(offset, PROBE_BYTES), 0)
    tail_len = min(offset, PROBE_BYTES)
    tail = os.pread(fd, tail_len, offset - tail_len) if tail_len else b""
    return sha256(head).hexdigest(), sha256(tail).hexdigest()


def _restart_reason(fd: int, stat: os.stat_result, cursor: dict[str, Any]) -> str:
    offset = int(cursor.get("offset", 0))
    if offset == 0:
        return ""
    if (cursor.get("dev"), cursor.get("ino")) != (stat.st_dev, stat.st_ino):
        return "the file was replaced (new inode)"
    if stat.st_size < offset:
        return f"the file shrank ({stat.st_size} < {offset} bytes)"
    if _probe(fd, offset) != (cursor.get("head"), cursor.get("tail")):
        return "the file's content before the saved offset changed"
    return ""


def read_new_lines(
    path: str, cursor: dict[str, Any] | None, chunk_bytes: int = DEFAULT_CHUNK_BYTES
) -> ReadResult:
    """The complete lines after the cursor, about chunk_bytes of them (a longer line is read whole).

    Raises OSError for an unreadable file other than a missing one.
    """
    try:  # O_NONBLOCK: a FIFO named as a transcript must not hang the hook
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        return ReadResult(cursor=dict(cursor or {}), missing=True)
    try:
        stat = os.fstat(fd)
        if not S_ISREG(stat.st_mode):
            raise OSError(f"{path} is not a regular file")
        cursor = dict(cursor or {})
        restarted = _restart_reason(fd, stat, cursor)
        offset = 0 if restarted else int(cursor.get("offset", 0))
        pieces: list[bytes] = []
        position = offset
        while position < stat.st_size:  # chunks until a newline is in hand (a 20 MB line is read whole)
            piece = os.pread(fd, min(chunk_bytes, stat.st_size - position), position)
            if not piece:
                break
            pieces.append(piece)
            position += len(piece)
            if b"\n" in piece:
                break
        data = b"".join(pieces)
        lines, trailing = split_complete_lines(data)
        new_offset = offset + len(data) - len(trailing)
        at_end = position >= os.fstat(fd).st_size  # the file may have grown while we read
        head, tail = _probe(fd, new_offset)
        new_cursor = {
            "path": path,
            "offset": new_offset,
            "dev": stat.st_dev,
            "ino": stat.st_ino,
            "head": head,
            "tail": tail,
        }
        return ReadResult(lines, new_cursor, restarted, at_end, trailing if at_end else b"")
    finally:
        os.close(fd)


def advance_past(cursor: dict[str, Any], extra: int, path: str) -> dict[str, Any]:
    """The cursor moved over `extra` more bytes (a final partial line that was consumed at SessionEnd)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        offset = int(cursor["offset"]) + extra
        head, tail = _probe(fd, offset)
        return {**cursor, "offset": offset, "head": head, "tail": tail}
    finally:
        os.close(fd)
