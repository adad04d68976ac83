"""Health checks behind `ccotel doctor`: each returns a Check with what failed and the one command that fixes it."""

from __future__ import annotations

import json
import os
import shlex
import stat
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from ccotel.errors import CcotelError
from ccotel.hook import claude_settings
from ccotel.hook.config import Settings

OK, FAIL, SKIP = "ok", "FAIL", "skip"


@dataclass(frozen=True)
class Check:
    name: str
    status: str  # OK, FAIL or SKIP
    detail: str
    fix: str = ""  # the one command that fixes a FAIL


def _http_status(url: str, *, method: str = "GET", body: bytes | None = None, timeout: float = 3.0) -> int | str:
    request = urllib.request.Request(url, data=body, method=method)
    if body is not None:
        request.add_header("Content-Type", "application/x-protobuf")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except (urllib.error.URLError, OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        return str(reason)


def check_hook_registered(project_dir: Path) -> Check:
    registrations = []
    for scope, path in claude_settings.settings_paths(project_dir).items():
        try:
            handlers = claude_settings.our_handlers(claude_settings.load(path).data)
        except CcotelError as error:
            return Check("hook registered", FAIL, str(error), f"$EDITOR {shlex.quote(str(path))}")
        if handlers:
            registrations.append((scope, path, handlers))
    plugins = claude_settings.plugin_registrations()
    if not registrations:
        if plugins:
            return Check("hook registered", OK, f"by a plugin: {plugins[0]}")
        return Check("hook registered", FAIL, "no Stop/SubagentStop/SessionEnd hook runs ccotel", "ccotel install")
    if len(registrations) + len(plugins) > 1:
        where = ", ".join(str(path) for _, path, _ in registrations) + "".join(f", {p}" for p in plugins)
        return Check(
            "hook registered",
            FAIL,
            f"registered more than once ({where}): every turn would be sent twice",
            f"ccotel uninstall --{registrations[-1][0]}",
        )
    scope, path, handlers = registrations[0]
    events = sorted({event for event, _ in handlers})
    missing = sorted(set(claude_settings.HOOK_EVENTS) - set(events))
    if missing:
        return Check("hook registered", FAIL, f"{path} lacks {', '.join(missing)}", f"ccotel install --{scope}")
    return Check("hook registered", OK, f"{path} ({', '.join(events)})")


def check_hook_runnable(project_dir: Path, settings: Settings) -> Check:
    """Run the registered command the way Claude Code does: a shell, a payload on stdin, exit 0 and silence."""
    commands = set()
    for path in claude_settings.settings_paths(project_dir).values():
        try:
            commands.update(h["command"] for _, h in claude_settings.our_handlers(claude_settings.load(path).data))
        except CcotelError:
            continue
    if not commands:
        return Check("hook runnable", SKIP, "no registered hook to run")
    payload = json.dumps(
        {
            "session_id": "ccotel-doctor",
            "hook_event_name": "SessionEnd",
            "transcript_path": os.path.join(settings.state_dir, "doctor-missing.jsonl"),
            "cwd": "/",
        }
    )
    for command in sorted(commands):
        started = time.monotonic()
        try:
            result = subprocess.run(
                ["/bin/sh", "-c", command], input=payload, capture_output=True, text=True, timeout=30, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            return Check("hook runnable", FAIL, f"{command}: {error}", "ccotel install")
        elapsed = time.monotonic() - started
        if result.returncode != 0 or result.stdout or result.stderr:
            said = (result.stderr or result.stdout).strip().splitlines()
            return Check(
                "hook runnable",
                FAIL,
                f"{command}: exit {result.returncode} {said[-1] if said else ''}",
                "ccotel install",
            )
    return Check("hook runnable", OK, f"{sorted(commands)[0]} ran in {elapsed:.2f} s")


def check_state_dir(settings: Settings) -> Check:
    directory = Path(settings.state_dir)
    if not directory.exists():
        return Check("state dir", OK, f"{directory} not created yet (the first hook run creates it)")
    mode = stat.S_IMODE(directory.stat().st_mode)
    if mode & 0o077:
        return Check(
            "state dir",
            FAIL,
            f"{directory} is mode {mode:o}; others can read your transcripts' state",
            f"chmod -R go-rwx {shlex.quote(str(directory))}",
        )
    if not os.access(directory, os.W_OK):
        return Check("state dir", FAIL, f"{directory} is not writable", f"chown -R $USER {shlex.quote(str(directory))}")
    return Check("state dir", OK, f"{directory} (mode {mode:o})")


def check_collector(settings: Settings) -> Check:
    """An empty OTLP request is valid: a collector answers 2xx without storing anything."""
    status = _http_status(settings.traces_url, method="POST", body=b"")
    if isinstance(status, int) and 200 <= status < 300:
        return Check("collector", OK, f"{settings.traces_url} accepts OTLP (HTTP {status})")
    return Check("collector", FAIL, f"{settings.traces_url}: {status}", "docker compose up -d --wait alloy")


def check_redaction(settings: Settings) -> Check:
    """Where secrets are replaced: in the hook (an endpoint not on this machine, or CCOTEL_REDACT=always; then
    the rendered rules must load and google-re2 import), or by the collector."""
    mode = settings.redaction_mode()
    if not settings.redacting:
        return Check("redaction", OK, mode)
    try:
        from ccotel.hook.scrub import load

        rules = len(load().ids)
    except Exception as error:  # whatever stops the rules from loading stops the hook from sending
        return Check("redaction", FAIL, f"{mode}; but it cannot: {error}",
                     "pip install --force-reinstall ccotel  # restores google-re2 and hook/secret_rules.json")
    return Check("redaction", OK, f"{mode} [{rules} rules]")


def check_alloy_ready(url: str) -> Check:
    status = _http_status(url.rstrip("/") + "/-/ready")
    if status == 200:
        return Check("alloy ready", OK, f"{url}/-/ready")
    return Check("alloy ready", FAIL, f"{url}/-/ready: {status}", "docker compose up -d --wait alloy")


def check_service(name: str, base_url: str | None, path: str, setting: str, service: str) -> Check:
    if not base_url:
        return Check(name, SKIP, f"not configured (set {setting})")
    status = _http_status(base_url.rstrip("/") + path)
    if status == 200:
        return Check(name, OK, f"{base_url}{path}")
    return Check(name, FAIL, f"{base_url}{path}: {status}", f"docker compose up -d --wait {service}")


def check_spool(settings: Settings) -> Check:
    """Pending batches are normal for a moment; old ones mean the collector has been unreachable."""
    from ccotel.hook import spool
    from ccotel.hook.state import StateDir

    state_dir = StateDir(settings.state_dir)
    if not os.path.isdir(state_dir.spool):
        return Check("spool", OK, "empty")
    refs = spool.list_batches(state_dir.spool)
    rejected, rejected_bytes = spool.count_rejected(state_dir.rejected)
    size = spool.total_bytes(refs)
    detail = f"{len(refs)} batches, {size / 2**20:.1f} of {settings.spool_max_bytes / 2**20:.0f} MiB"
    if refs:
        age = time.time() - refs[0].created_ns / 1e9
        detail += f", oldest {age / 60:.0f} min old"
    if rejected:
        return Check(
            "spool",
            FAIL,
            f"{detail}; {rejected} batches ({rejected_bytes} bytes) refused by the "
            f"collector, kept in {state_dir.rejected}",
            f"ls {shlex.quote(str(state_dir.rejected))}  # read the .reason files",
        )
    if size >= settings.spool_max_bytes:
        return Check("spool", FAIL, detail + " (full)", "docker compose up -d --wait alloy")
    if refs and time.time() - refs[0].created_ns / 1e9 > 600:
        return Check("spool", FAIL, detail + " (not draining)", "docker compose up -d --wait alloy")
    return Check("spool", OK, detail)


def check_last_export(settings: Settings) -> Check:
    from ccotel.hook.delivery import read_status
    from ccotel.hook.state import StateDir

    status = read_status(StateDir(settings.state_dir))
    success, attempt = status.get("last_success"), status.get("last_attempt") or {}
    if not status:
        return Check("last export", SKIP, "the hook has not run yet")
    if attempt and not attempt.get("ok"):
        reason = attempt.get("reason") or attempt.get("status")
        return Check(
            "last export",
            FAIL,
            f"last attempt {attempt.get('time')} failed: {reason}; last success {success or 'never'}",
            "docker compose up -d --wait alloy",
        )
    return Check("last export", OK, f"last success {success or 'never (nothing to send yet)'}")
