"""Read the pricing-scenario transcripts the way ccusage 20.0.24 counts them, for the oracle comparisons.

One request per (message.id, requestId), keeping the line with the largest token total (ccusage's rule);
5m/1h writes from `usage.cache_creation` when present, else all cache creation as 5m writes.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ccotel.collector.pricing.table import Usage


@dataclass(frozen=True)
class Request:
    session_id: str  # the file name, as ccusage groups sessions
    message_id: str
    model: str
    usage: Usage
    at: datetime


def _usage(raw: dict[str, Any]) -> Usage:
    breakdown = raw.get("cache_creation")
    write_5m = breakdown["ephemeral_5m_input_tokens"] if breakdown else raw.get("cache_creation_input_tokens", 0)
    write_1h = breakdown["ephemeral_1h_input_tokens"] if breakdown else 0
    return Usage(
        uncached_input=raw["input_tokens"], output=raw["output_tokens"],
        cache_read=raw.get("cache_read_input_tokens", 0), cache_write_5m=write_5m, cache_write_1h=write_1h,
        speed=raw.get("speed"), inference_geo=raw.get("inference_geo"),
        web_search_requests=(raw.get("server_tool_use") or {}).get("web_search_requests", 0),
    )


def _total(usage: Usage) -> int:
    return usage.prompt_tokens + usage.output


def read_requests(config_dir: Path) -> list[Request]:
    chosen: dict[tuple[str, str, str], Request] = {}
    for path in sorted((config_dir / "projects").glob("*/*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            message = row.get("message") or {}
            if row.get("type") != "assistant" or "usage" not in message:
                continue
            request = Request(path.stem, message["id"], message["model"], _usage(message["usage"]),
                              datetime.fromisoformat(row["timestamp"].replace("Z", "+00:00")))
            key = (path.stem, message["id"], row["requestId"])
            if key not in chosen or _total(request.usage) > _total(chosen[key].usage):
                chosen[key] = request
    return list(chosen.values())


def write_session(config_dir: Path, session_id: str, model: str, usage: dict[str, Any], timestamp: str) -> None:
    """One single-request session in Claude Code's line shape (compact JSON: ccusage scans for `"usage":{`)."""
    row = {
        "parentUuid": None, "isSidechain": False, "userType": "external", "cwd": "/home/user/probe",
        "sessionId": session_id, "version": "2.1.0", "gitBranch": "main", "type": "assistant",
        "message": {"id": f"msg_{session_id[-6:]}", "type": "message", "role": "assistant", "model": model,
                    "content": [{"type": "text", "text": "ok"}], "stop_reason": None, "stop_sequence": None,
                    "usage": usage},
        "requestId": f"req_{session_id[-6:]}", "uuid": session_id, "timestamp": timestamp,
    }
    folder = config_dir / "projects" / "-home-user-probe"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{session_id}.jsonl").write_text(json.dumps(row, separators=(",", ":")) + "\n", encoding="utf-8")


def run_ccusage(ccusage: Path, config_dir: Path, home: Path) -> dict[str, Any]:
    """`ccusage claude session --offline --json -z UTC --mode calculate` as a real process."""
    home.mkdir(parents=True, exist_ok=True)
    env = {"HOME": str(home), "CLAUDE_CONFIG_DIR": str(config_dir), "LOG_LEVEL": "0", "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [str(ccusage), "claude", "session", "--offline", "--json", "-z", "UTC", "--mode", "calculate"],
        env=env, capture_output=True, text=True, timeout=60, check=True,
    )
    return json.loads(result.stdout)
