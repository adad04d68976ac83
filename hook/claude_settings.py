"""Claude Code settings files: find them, add or remove ccotel's hook entries, write them safely.

The edit functions are pure (settings dict in, settings dict out). Ownership is decided by the handler's
command alone: a command hook whose program is a `ccotel` executable (or `python -m ccotel.hook`) run with
the `hook` subcommand is ours; nothing else is ever changed or removed.
"""

from __future__ import annotations

import copy
import json
import os
import shlex
import sys
import sysconfig
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ccotel.errors import CcotelError

HOOK_EVENTS = ("Stop", "SubagentStop", "SessionEnd")
# Seconds Claude Code waits for the handler. The hook keeps its own ~2 s deadline; SessionEnd hooks share a
# 1.5 s budget that a configured timeout raises, so ours is set explicitly.
HOOK_TIMEOUTS = {"Stop": 10, "SubagentStop": 10, "SessionEnd": 5}
BACKUP_SUFFIX = ".ccotel.bak"


def hook_command() -> str:
    """The absolute command Claude Code should run, so the hook works from any shell and any PATH."""
    script = Path(sysconfig.get_path("scripts")) / "ccotel"
    if script.is_file() and os.access(script, os.X_OK):
        return f"{shlex.quote(str(script))} hook"
    return f"{shlex.quote(sys.executable)} -m ccotel.hook hook"


def is_ccotel_command(command: object) -> bool:
    """True for `<...>/ccotel hook [...]` and `<python> -m ccotel.hook hook [...]`."""
    if not isinstance(command, str):
        return False
    try:
        words = shlex.split(command)
    except ValueError:
        return False
    if len(words) >= 2 and Path(words[0]).name == "ccotel" and words[1] == "hook":
        return True
    return len(words) >= 4 and words[1:4] == ["-m", "ccotel.hook", "hook"]


def _is_ours(handler: object) -> bool:
    return isinstance(handler, dict) and handler.get("type") == "command" and is_ccotel_command(handler.get("command"))


def our_handlers(settings: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(event, handler) for every ccotel handler in these settings."""
    found: list[tuple[str, dict[str, Any]]] = []
    hooks = settings.get("hooks")
    if not isinstance(hooks, dict):
        return found
    for event, groups in hooks.items():
        if not isinstance(groups, list):
            continue
        for group in groups:
            if isinstance(group, dict) and isinstance(group.get("hooks"), list):
                found.extend((event, handler) for handler in group["hooks"] if _is_ours(handler))
    return found


def without_ccotel(settings: dict[str, Any]) -> dict[str, Any]:
    """A copy with every ccotel handler removed, and any group, event or `hooks` key that held only ours."""
    result = copy.deepcopy(settings)
    hooks = result.get("hooks")
    if not isinstance(hooks, dict):
        return result
    for event in list(hooks):
        groups = hooks[event]
        if not isinstance(groups, list):
            continue
        kept_groups = []
        for group in groups:
            if not (isinstance(group, dict) and isinstance(group.get("hooks"), list)):
                kept_groups.append(group)
                continue
            handlers = [handler for handler in group["hooks"] if not _is_ours(handler)]
            if handlers or not group["hooks"]:
                kept_groups.append({**group, "hooks": handlers})
            # a group that held only our handlers goes away with them
        if kept_groups or not groups:
            hooks[event] = kept_groups
        else:
            del hooks[event]
    if not hooks and isinstance(settings.get("hooks"), dict) and settings["hooks"]:
        del result["hooks"]
    return result


def with_ccotel(settings: dict[str, Any], command: str, *, run_async: bool = False) -> dict[str, Any]:
    """A copy with exactly one ccotel handler per event (an old one, e.g. another path, is replaced)."""
    result = without_ccotel(settings)
    hooks = result.setdefault("hooks", {})
    if not isinstance(hooks, dict):
        raise CcotelError("settings has a `hooks` value that is not an object; fix it by hand first")
    for event in HOOK_EVENTS:
        handler: dict[str, Any] = {"type": "command", "command": command, "timeout": HOOK_TIMEOUTS[event]}
        if run_async:
            handler["async"] = True
        groups = hooks.setdefault(event, [])
        if not isinstance(groups, list):
            raise CcotelError(f"settings has hooks.{event} that is not a list; fix it by hand first")
        groups.append({"hooks": [handler]})
    return result


@dataclass(frozen=True)
class SettingsFile:
    path: Path
    text: str | None  # None: the file does not exist
    data: dict[str, Any]
    indent: int | str | None
    trailing_newline: bool


def _detect_indent(text: str) -> int | str | None:
    for line in text.splitlines()[1:]:
        stripped = line.lstrip(" \t")
        if stripped and len(stripped) < len(line):
            prefix = line[: len(line) - len(stripped)]
            return prefix if "\t" in prefix else len(prefix)
    return 2 if "\n" in text.strip() else None


def load(path: Path) -> SettingsFile:
    """Read a settings file. Missing is an empty object; malformed is an error that names the file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return SettingsFile(path, None, {}, 2, True)
    except (OSError, UnicodeDecodeError) as error:
        raise CcotelError(f"cannot read {path}: {error}") from error
    try:
        data = json.loads(text) if text.strip() else {}
    except json.JSONDecodeError as error:
        raise CcotelError(
            f"{path} is not valid JSON (line {error.lineno}, column {error.colno}: {error.msg}); nothing was changed"
        ) from error
    if not isinstance(data, dict):
        raise CcotelError(f"{path} does not hold a JSON object; nothing was changed")
    return SettingsFile(path, text, data, _detect_indent(text), text.endswith("\n"))


def render(settings: SettingsFile, data: dict[str, Any]) -> str:
    """Serialise as Claude Code does (JSON.stringify with the file's indent), keeping the final newline."""
    text = json.dumps(data, indent=settings.indent, ensure_ascii=False)
    return text + "\n" if settings.trailing_newline else text


def write_atomically(path: Path, text: str) -> None:
    """Write via a temporary file in the same directory and os.replace, keeping the file's mode."""
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o600
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def claude_config_dir() -> Path:
    configured = os.environ.get("CLAUDE_CONFIG_DIR", "").split(",")[0].strip()
    return Path(configured).expanduser() if configured else Path.home() / ".claude"


def settings_paths(project_dir: Path) -> dict[str, Path]:
    """Every settings file whose hooks Claude Code merges, by scope."""
    return {
        "user": claude_config_dir() / "settings.json",
        "project": project_dir / ".claude" / "settings.json",
        "local": project_dir / ".claude" / "settings.local.json",
    }


def plugin_registrations() -> list[Path]:
    """hooks.json files of installed Claude Code plugins that run ccotel (a second registration)."""
    found = []
    plugins = claude_config_dir() / "plugins"
    if plugins.is_dir():
        for hooks_file in sorted(plugins.rglob("hooks.json")):
            try:
                data = json.loads(hooks_file.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if isinstance(data, dict) and our_handlers(data):
                found.append(hooks_file)
    return found
