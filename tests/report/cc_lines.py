"""Write small Claude Code transcripts for the report tests (the line shapes of reference/claude-code-data.md §1).

A Session collects lines in order; each helper advances a clock by one second so the lines have
distinct, increasing timestamps. `write()` lays the file out as <config>/projects/<dir>/<id>.jsonl, in
compact JSON as Claude Code writes it (ccusage only reads lines containing `"usage":{`).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

MODEL = "claude-sonnet-4-5-20250929"  # $3 input, $15 output, $0.30 cache read, $3.75 5m write, $6 1h write per MTok


@dataclass
class Session:
    session_id: str
    cwd: str = "/home/user/demo"
    start: datetime = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
    lines: list[dict[str, Any]] = field(default_factory=list)
    _clock: int = 0
    _calls: int = 0
    _last_uuid: str | None = None

    def _stamp(self) -> str:
        self._clock += 1
        return (self.start + timedelta(seconds=self._clock)).isoformat().replace("+00:00", "Z")

    def _line(self, kind: str, message: dict[str, Any], **extra: Any) -> dict[str, Any]:
        line_uuid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{self.session_id}/{len(self.lines)}"))
        line = {
            "parentUuid": self._last_uuid,
            "isSidechain": False,
            "userType": "external",
            "cwd": self.cwd,
            "sessionId": self.session_id,
            "version": "2.1.39",
            "gitBranch": "main",
            "type": kind,
            "message": message,
            "uuid": line_uuid,
            "timestamp": self._stamp(),
            **extra,
        }
        self._last_uuid = line_uuid
        self.lines.append(line)
        return line

    def prompt(self, text: str) -> None:
        self._line("user", {"role": "user", "content": text})

    def call(
        self,
        *,
        tools: list[tuple[str, dict[str, Any]]] = (),
        text: str = "",
        input_tokens: int = 10,
        output_tokens: int = 5,
        cache_read: int = 0,
        cache_write_5m: int = 0,
        cache_write_1h: int = 0,
        model: str = MODEL,
    ) -> list[str]:
        """One API call (one line per content block, as Claude Code writes them); returns the tool_use ids."""
        self._calls += 1
        message_id, request_id = f"msg_{self.session_id}_{self._calls}", f"req_{self.session_id}_{self._calls}"
        usage = {
            "input_tokens": input_tokens,
            "output_tokens": output_tokens,
            "cache_read_input_tokens": cache_read,
            "cache_creation_input_tokens": cache_write_5m + cache_write_1h,
            "cache_creation": {
                "ephemeral_5m_input_tokens": cache_write_5m,
                "ephemeral_1h_input_tokens": cache_write_1h,
            },
        }
        blocks: list[dict[str, Any]] = [{"type": "text", "text": text or "ok"}]
        ids = []
        for index, (name, arguments) in enumerate(tools):
            tool_id = f"toolu_{self.session_id}_{self._calls}_{index}"
            ids.append(tool_id)
            blocks.append({"type": "tool_use", "id": tool_id, "name": name, "input": arguments})
        for block in blocks:
            self._line(
                "assistant",
                {
                    "id": message_id,
                    "type": "message",
                    "role": "assistant",
                    "model": model,
                    "content": [block],
                    "stop_reason": None,
                    "usage": usage,
                },
                requestId=request_id,
            )
        return ids

    def result(self, tool_id: str, text: str = "done", is_error: bool = False) -> None:
        block: dict[str, Any] = {"type": "tool_result", "tool_use_id": tool_id, "content": text}
        if is_error:
            block["is_error"] = True
        self._line("user", {"role": "user", "content": [block]})

    def tool_turn(
        self, prompt: str, tools: list[tuple[str, dict[str, Any]]], errors: tuple[int, ...] = (), **usage: int
    ) -> None:
        """A prompt, one call asking for the tools, their results, and a closing call."""
        self.prompt(prompt)
        ids = self.call(tools=tools, **usage)
        for index, tool_id in enumerate(ids):
            self.result(tool_id, is_error=index in errors)
        self.call(text="finished")

    def write(self, config_dir: Path, project_dir: str = "-home-user-demo") -> Path:
        path = config_dir / "projects" / project_dir / f"{self.session_id}.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            "".join(json.dumps(line, separators=(",", ":")) + "\n" for line in self.lines), encoding="utf-8"
        )
        return path


def read(path: str) -> tuple[str, dict[str, Any]]:
    return ("Read", {"file_path": path})


def edit(path: str) -> tuple[str, dict[str, Any]]:
    return ("Edit", {"file_path": path, "old_string": "a", "new_string": "b"})


def write(path: str) -> tuple[str, dict[str, Any]]:
    return ("Write", {"file_path": path, "content": "x"})


def grep(pattern: str) -> tuple[str, dict[str, Any]]:
    return ("Grep", {"pattern": pattern})


def bash(command: str) -> tuple[str, dict[str, Any]]:
    return ("Bash", {"command": command})
