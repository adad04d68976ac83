"""The write-ahead spool: one file per batch of spans, written durably before it is sent.

A batch file holds the gzip'd OTLP request body (exactly the bytes that are POSTed, so a resend is
byte-identical) of one step of one session, numbered by the session's step counter `seq`. The step
commits when the session's checkpoint (ccotel.hook.state) records that seq, which is written after the
batch: a batch whose seq is above its session's checkpoint was never committed (the run died in between),
is never sent, and is deleted by the session's next run, which re-reads the same lines and writes it again.
Layout of `spool/<created_ns:020>-<session key>-<seq:08>.batch`:

    CCOTEL-BATCH 2\n
    {"session": key, "seq": n, "spans": count, "created_ns": t, "body_bytes": M, "sha256": sha256(body),
     "type": content type, "redacted": true|false}\n
    <M bytes: gzip'd ExportTraceServiceRequest>

`type` is the body's Content-Type (application/json, OTLP/JSON; a batch without it was written by an
older version as protobuf); `redacted` says the hook replaced the secrets in it (ccotel.hook.scrub)
before it was written, so a run that must redact knows which spooled batches are safe to send.

Names sort oldest first. A batch the collector refuses as malformed (4xx) is moved to `rejected/` with a
`.reason` file next to it; a file that fails its checksum is set aside the same way. Nothing committed is
ever deleted except after the collector said 2xx.
"""

from __future__ import annotations

import json
import os
import time
import zlib

from ccotel.hook._plain import Plain
from ccotel.hook._sha import sha256
from ccotel.hook.state import atomic_write, unlink_quietly

MAGIC = b"CCOTEL-BATCH 2\n"
SUFFIX = ".batch"


class CorruptBatch(Exception):
    pass


JSON = "application/json"
PROTOBUF = "application/x-protobuf"  # batches written before the hook sent OTLP/JSON


class BatchRef(Plain):
    __slots__ = ("created_ns", "key", "path", "seq", "size")

    def __init__(self, path: str, created_ns: int, key: str, seq: int, size: int) -> None:
        self.path, self.created_ns, self.key, self.seq, self.size = path, created_ns, key, seq, size

    @property
    def name(self) -> str:
        return os.path.basename(self.path)


class Batch(Plain):
    __slots__ = ("body", "content_type", "redacted", "ref", "spans")

    def __init__(self, ref: BatchRef, spans: int, body: bytes, content_type: str = JSON,
                 redacted: bool = False) -> None:
        self.ref, self.spans, self.body = ref, spans, body  # body: gzip'd
        self.content_type, self.redacted = content_type, redacted


def batch_name(created_ns: int, key: str, seq: int) -> str:
    return f"{created_ns:020d}-{key}-{seq:08d}{SUFFIX}"


def parse_name(path: str, size: int = 0) -> BatchRef | None:
    name = os.path.basename(path)
    if not name.endswith(SUFFIX) or len(name) < 20 + 1 + 1 + 1 + 8 + len(SUFFIX):
        return None
    stem = name[: -len(SUFFIX)]
    created, key, seq = stem[:20], stem[21:-9], stem[-8:]
    if not (created.isdigit() and seq.isdigit() and stem[20] == "-" and stem[-9] == "-" and key):
        return None
    return BatchRef(path, int(created), key, int(seq), size)


def gzip_body(body: bytes) -> bytes:
    """A gzip member (wbits 31) with mtime 0: the same spans always give the same bytes, so a resend is
    byte-identical. What gzip.compress(body, 6, mtime=0) does since Python 3.11, without importing gzip."""
    return zlib.compress(body, 6, 31)


def write_batch(spool_dir: str, key: str, seq: int, spans: int, gz_body: bytes, content_type: str = JSON,
                redacted: bool = False) -> BatchRef:
    created_ns = time.time_ns()
    path = os.path.join(spool_dir, batch_name(created_ns, key, seq))
    return write_batch_at(path, BatchRef(path, created_ns, key, seq, 0), spans, gz_body, content_type, redacted)


def rewrite_batch(batch: Batch, gz_body: bytes, redacted: bool) -> Batch:
    """Replace a batch's body in place (same name, so same place in the order): a spooled batch redacted
    before it is sent."""
    ref = batch.ref
    new = write_batch_at(ref.path, ref, batch.spans, gz_body, batch.content_type, redacted)
    return Batch(new, batch.spans, gz_body, batch.content_type, redacted)


def write_batch_at(path: str, ref: BatchRef, spans: int, gz_body: bytes, content_type: str,
                   redacted: bool) -> BatchRef:
    header = {"session": ref.key, "seq": ref.seq, "spans": spans, "created_ns": ref.created_ns,
              "body_bytes": len(gz_body), "sha256": sha256(gz_body).hexdigest(), "type": content_type,
              "redacted": redacted}
    data = MAGIC + json.dumps(header, separators=(",", ":")).encode() + b"\n" + gz_body
    atomic_write(path, data)
    return BatchRef(path, ref.created_ns, ref.key, ref.seq, len(data))


def list_batches(spool_dir: str) -> list[BatchRef]:
    """Every batch in the spool, oldest first."""
    refs: list[BatchRef] = []
    try:
        entries = list(os.scandir(spool_dir))
    except FileNotFoundError:
        return refs
    for entry in entries:
        if not entry.name.endswith(SUFFIX):
            continue
        try:
            size = entry.stat().st_size
        except FileNotFoundError:  # delivered by another run just now
            continue
        ref = parse_name(entry.path, size)
        if ref is not None:
            refs.append(ref)
    refs.sort(key=lambda ref: (ref.created_ns, ref.key, ref.seq))
    return refs


def read_batch(ref: BatchRef) -> Batch:
    try:
        with open(ref.path, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        raise
    except OSError as error:
        raise CorruptBatch(f"unreadable: {error}") from None
    if not data.startswith(MAGIC):
        raise CorruptBatch("not a ccotel batch (bad magic)")
    header_end = data.find(b"\n", len(MAGIC))
    try:
        header = json.loads(data[len(MAGIC) : header_end])
        body_len = int(header["body_bytes"])
    except (ValueError, KeyError, TypeError) as error:
        raise CorruptBatch(f"bad header: {error}") from None
    body = data[header_end + 1 :]
    if len(body) != body_len:
        raise CorruptBatch(f"truncated: {len(body)} bytes, header says {body_len}")
    if sha256(body).hexdigest() != header.get("sha256"):
        raise CorruptBatch("checksum mismatch")
    content_type = header.get("type", PROTOBUF)
    if content_type not in (JSON, PROTOBUF):
        raise CorruptBatch(f"unknown body type {content_type!r}")
    return Batch(ref, int(header.get("spans", 0)), body, content_type, header.get("redacted") is True)


def remove(ref: BatchRef) -> None:
    unlink_quietly(ref.path)


def reject(ref: BatchRef, rejected_dir: str, reason: str) -> str:
    """Move a batch aside for a person to look at, with the reason beside it; never resent automatically."""
    target = os.path.join(rejected_dir, ref.name)
    atomic_write(target[: -len(SUFFIX)] + ".reason", (reason.strip() + "\n").encode("utf-8", "replace"))
    os.replace(ref.path, target)
    return target


def total_bytes(refs: list[BatchRef]) -> int:
    return sum(ref.size for ref in refs)


def count_rejected(rejected_dir: str) -> tuple[int, int]:
    count = size = 0
    try:
        for entry in os.scandir(rejected_dir):
            if entry.name.endswith(SUFFIX):
                count += 1
                size += entry.stat().st_size
    except FileNotFoundError:
        pass
    return count, size
