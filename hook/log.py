"""The hook's log: one line per event in <state dir>/ccotel.log, rotated by size, private (0600).

Deliberately not the `logging` package: the hook runs after every Claude response and needs three
methods, not a framework. Writes are single O_APPEND writes, so concurrent hook runs interleave whole
lines. A log that cannot be written is ignored: the hook never fails because of its log.
"""

from __future__ import annotations

import contextlib
import os
import time

MAX_LOG_BYTES = 1024 * 1024
KEEP_ROTATED = 3  # ccotel.log.1 .. ccotel.log.3


class Log:
    def __init__(self, path: str | os.PathLike[str] | None, debug: bool = False, tag: str = "") -> None:
        self.path = None if path is None else os.fspath(path)
        self.debug_enabled = debug
        self.tag = tag  # e.g. "hook 4d5611e5" so lines of concurrent runs can be told apart
        self.lines: list[str] = []  # everything logged by this process (kept for tests and the CLI)

    def debug(self, message: str) -> None:
        if self.debug_enabled:
            self._write("DEBUG", message)

    def info(self, message: str) -> None:
        self._write("INFO", message)

    def warning(self, message: str) -> None:
        self._write("WARNING", message)

    def error(self, message: str) -> None:
        self._write("ERROR", message)

    def _write(self, level: str, message: str) -> None:
        now = time.time()
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1000):03d}Z"
        one_line = " ".join(message.split("\n"))
        line = f"{stamp} {level} [{self.tag or 'ccotel'} pid={os.getpid()}] {one_line}"
        self.lines.append(line)
        if self.path is None:
            return
        with contextlib.suppress(OSError):  # a concurrent run rotated first
            self._rotate_if_large()
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, (line + "\n").encode("utf-8", "replace"))
            finally:
                os.close(fd)
        except OSError:
            pass

    def _rotate_if_large(self) -> None:
        assert self.path is not None
        try:
            if os.stat(self.path).st_size < MAX_LOG_BYTES:
                return
        except FileNotFoundError:
            return
        for index in range(KEEP_ROTATED - 1, 0, -1):
            older = f"{self.path}.{index}"
            if os.path.exists(older):
                os.replace(older, f"{self.path}.{index + 1}")
        os.replace(self.path, f"{self.path}.1")
