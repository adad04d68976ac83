"""The state directory: layout, private permissions, atomic writes, per-session locks and checkpoints.

    <state dir>/                 0700
      instance-id                service.instance.id, generated once
      ccotel.log[.1-3]           the log (ccotel.hook.log)
      status.json                spool size and last delivery, for `ccotel doctor`
      sessions/<key>.json        per-session checkpoint: seq, file cursors, mapper state
      sessions/<key>.lock        flock'd by the one run working on that session
      spool/*.batch              write-ahead batches (ccotel.hook.spool)
      rejected/*.batch, *.reason batches the collector refused as malformed (4xx)
      claims/<2 chars>/<uuid>      which session exported a turn first (ccotel.hook.claims)

Every file is written as tmp + fsync + os.replace, with mode 0600. A session's lock is its own file,
so sessions never wait for each other; two runs of the same session (Stop and SubagentStop together)
take turns.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time

from ccotel.hook._sha import sha256
from ccotel.hook._typing import Any
from ccotel.hook.checkpoint import STATE_VERSION, CheckpointCodec

_SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")


def ensure_private_dir(path: str) -> str:
    os.makedirs(path, mode=0o700, exist_ok=True)
    if os.stat(path).st_mode & 0o077:
        os.chmod(path, 0o700)
    return path


def fsync_dir(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: str, data: bytes, durable: bool = True) -> None:
    """Write data to path so a reader sees the old file or the new one, never a torn one (mode 0600)."""
    folder, name = os.path.split(path)
    tmp = os.path.join(folder, f".{name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        if durable:
            os.fsync(fd)
    except BaseException:
        os.close(fd)
        unlink_quietly(tmp)
        raise
    os.close(fd)
    os.replace(tmp, path)
    if durable:
        fsync_dir(folder or ".")


def unlink_quietly(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def read_text(path: str) -> str:
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def _uuid4() -> str:
    """A random (version 4) UUID string; the uuid module costs the hook's startup ~2 ms."""
    raw = bytearray(os.urandom(16))
    raw[6] = (raw[6] & 0x0F) | 0x40
    raw[8] = (raw[8] & 0x3F) | 0x80
    text = raw.hex()
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def session_key(session_id: str) -> str:
    """A file-name-safe key for a session id: the id itself when it is a plain uuid-like name, else a hash."""
    if 0 < len(session_id) <= 100 and set(session_id) <= _SAFE and not session_id.startswith("-"):
        return session_id
    return "h-" + sha256(session_id.encode("utf-8", "surrogatepass")).hexdigest()[:32]


class StateDir:
    """The paths of a state directory, as strings (the hook's run does without pathlib: it costs ~5 ms a start)."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = os.fspath(root)
        self.sessions = os.path.join(self.root, "sessions")
        self.spool = os.path.join(self.root, "spool")
        self.rejected = os.path.join(self.root, "rejected")
        self.claims = os.path.join(self.root, "claims")
        self.log_path = os.path.join(self.root, "ccotel.log")
        self.status_path = os.path.join(self.root, "status.json")

    def create(self) -> StateDir:
        for directory in (self.root, self.sessions, self.spool, self.rejected):
            ensure_private_dir(directory)
        return self

    def instance_id(self) -> str:
        """service.instance.id: generated once per state dir, stable across runs (and races)."""
        path = os.path.join(self.root, "instance-id")
        try:
            existing = read_text(path).strip()
            if existing:
                return existing
        except (FileNotFoundError, UnicodeDecodeError):
            pass
        new_id = _uuid4()
        tmp = os.path.join(self.root, f".instance-id.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, new_id.encode() + b"\n")
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(tmp, path)  # fails if another run created it first: then theirs wins
        except FileExistsError:
            pass
        finally:
            unlink_quietly(tmp)
        return read_text(path).strip() or new_id

    def sweep_temporary_files(self, every_seconds: float = 86400, older_than: float = 3600) -> int:
        """Remove tmp files a killed run left behind (at most once a day; cheap otherwise)."""
        marker = os.path.join(self.root, ".last-sweep")
        now = time.time()
        try:
            if now - os.stat(marker).st_mtime < every_seconds:
                return 0
        except FileNotFoundError:
            pass
        atomic_write(marker, b"", durable=False)
        removed = 0
        for directory in (self.root, self.sessions, self.spool, self.rejected):
            try:
                entries = list(os.scandir(directory))
            except FileNotFoundError:
                continue
            for entry in entries:
                if entry.name.startswith(".") and entry.name.endswith(".tmp"):
                    try:
                        if now - entry.stat().st_mtime > older_than:
                            os.unlink(entry.path)
                            removed += 1
                    except FileNotFoundError:
                        pass
        return removed

    def state_path(self, key: str) -> str:
        return os.path.join(self.sessions, f"{key}.json")

    def read_state(self, key: str, codec: CheckpointCodec | None = None
                   ) -> tuple[bytes, dict[str, Any]] | tuple[None, None]:
        """The checkpoint as (its bytes, its object), or (None, None) if never written. `codec` (the one that
        will encode the next checkpoint) keeps what it read, so that encoding costs only what changed.

        An unreadable one is set aside (CorruptState says where); the session then starts again.
        """
        path = self.state_path(key)
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except FileNotFoundError:
            return None, None
        try:
            state = (codec or CheckpointCodec()).decode(data)
        except ValueError as error:
            aside = f"{path}.corrupt-{int(time.time())}"
            os.replace(path, aside)
            raise CorruptState(f"{path}: {error}; moved to {os.path.basename(aside)}, the session is re-read") from None
        return data, state

    def load_state(self, key: str) -> dict[str, Any] | None:
        return self.read_state(key)[1]

    def save_state(self, key: str, state: dict[str, Any]) -> None:
        atomic_write(self.state_path(key), encode_state(state))


class CorruptState(Exception):
    pass


def encode_state(state: dict[str, Any]) -> bytes:
    """A checkpoint's bytes, encoded in full (ccotel.hook.checkpoint)."""
    return CheckpointCodec().encode(state)


def new_state(session_id: str) -> dict[str, Any]:
    return {"v": STATE_VERSION, "session_id": session_id, "seq": 0, "files": {}, "meta": {}, "mapper": None}


class SessionLock:
    """fcntl.flock on sessions/<key>.lock. Released by close() or when the process dies (even SIGKILL)."""

    def __init__(self, state_dir: StateDir, key: str) -> None:
        self.path = os.path.join(state_dir.sessions, f"{key}.lock")
        self._fd: int | None = None

    def try_acquire(self) -> bool:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def acquire(self, deadline: float, poll_seconds: float = 0.01) -> bool:
        """Wait for the lock until deadline (time.monotonic); False if another run still holds it."""
        while True:
            if self.try_acquire():
                return True
            if time.monotonic() + poll_seconds >= deadline:
                return False
            time.sleep(poll_seconds)

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> SessionLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
