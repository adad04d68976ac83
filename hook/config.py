"""Settings of the hook and backfill, read from the environment (CCOTEL_*) and the project's settings files.

Claude Code puts the `env` blocks of its settings files into a hook's environment but strips OTEL_*, so
ccotel has its own names. A project can opt out with `CCOTEL_ENABLED=false` in the `env` block of
`<project>/.claude/settings.local.json` (or `.claude/settings.json`); those files are read here as well,
so backfill honours the opt-out too. A bad value is reported in `Settings.warnings` (the runtime logs
them) and the default is used instead: a setting never stops the hook.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

# Kept equal to pyproject's version by a test; importlib.metadata costs the hot path ~10 ms.
VERSION = "0.1.0"
SCOPE_NAME = "ccotel"
SERVICE_NAME = "claude-code"

DEFAULT_ENDPOINT = "http://127.0.0.1:4318"
DEFAULT_TIMEOUT_SECONDS = 2.0
DEFAULT_SPOOL_MAX_MB = 200.0
DEFAULT_MAX_CONTENT_CHARS = 20000
DEFAULT_BACKFILL_SPANS_PER_SECOND = 2000.0
CONTENT_MODES = ("full", "metadata")

# Keys a project's own settings files may set. They only narrow what this project sends; the endpoint,
# headers and state dir are the user's, so a cloned repository cannot redirect a backfill of all history.
PROJECT_KEYS = ("CCOTEL_ENABLED", "CCOTEL_CONTENT", "CCOTEL_MAX_CONTENT_CHARS")

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


@dataclass(frozen=True)
class Settings:
    endpoint: str = DEFAULT_ENDPOINT  # base URL; traces go to <endpoint>/v1/traces
    headers: dict[str, str] = field(default_factory=dict)
    state_dir: Path = Path("~/.ccotel")
    content: str = "full"
    max_content_chars: int = DEFAULT_MAX_CONTENT_CHARS
    enabled: bool = True
    debug: bool = False
    user_id: str = ""
    resource_attributes: dict[str, str] = field(default_factory=dict)
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS  # the whole hook run
    spool_max_bytes: int = int(DEFAULT_SPOOL_MAX_MB * 1024 * 1024)
    backfill_spans_per_second: float = DEFAULT_BACKFILL_SPANS_PER_SECOND
    warnings: tuple[str, ...] = ()

    @property
    def traces_url(self) -> str:
        base = self.endpoint.rstrip("/")
        return base if base.endswith("/v1/traces") else base + "/v1/traces"


def parse_key_values(text: str, setting: str, warnings: list[str]) -> dict[str, str]:
    """`k=v,k2=v2` with percent-decoding, as OTEL_EXPORTER_OTLP_HEADERS and OTEL_RESOURCE_ATTRIBUTES do."""
    pairs: dict[str, str] = {}
    for item in text.split(","):
        if not item.strip():
            continue
        key, sep, value = item.partition("=")
        key = unquote(key.strip())
        if not sep or not key:
            warnings.append(f"{setting}: ignored {item.strip()!r} (expected key=value)")
            continue
        pairs[key] = unquote(value.strip())
    return pairs


def _bool(env: Mapping[str, str], name: str, default: bool, warnings: list[str]) -> bool:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    warnings.append(f"{name}={raw!r} is not a boolean (true/false); using {str(default).lower()}")
    return default


def _number(env: Mapping[str, str], name: str, default: float, minimum: float, warnings: list[str]) -> float:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not value >= minimum or value == float("inf"):
        warnings.append(f"{name}={raw!r} is not a number >= {minimum:g}; using {default:g}")
        return default
    return value


def default_user_id() -> str:
    """The OS user, as getpass.getuser() finds it (without importing getpass on the hot path)."""
    for name in ("LOGNAME", "USER", "LNAME", "USERNAME"):
        if os.environ.get(name):
            return os.environ[name]
    try:
        import pwd

        return pwd.getpwuid(os.getuid()).pw_name
    except (ImportError, KeyError):  # no passwd entry: still a usable value
        return "unknown"


def project_env(cwd: str | os.PathLike[str] | None, warnings: list[str]) -> dict[str, str]:
    """Project-scoped CCOTEL_* keys from <cwd>/.claude/settings.json and settings.local.json (local wins)."""
    found: dict[str, str] = {}
    if not cwd:
        return found
    for name in ("settings.json", "settings.local.json"):
        path = Path(cwd) / ".claude" / name
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            continue
        except (OSError, UnicodeDecodeError) as error:
            warnings.append(f"{path}: not readable ({error}); its env block is ignored")
            continue
        try:
            env = json.loads(text).get("env") or {}
            if not isinstance(env, dict):
                raise ValueError("env is not an object")
        except (ValueError, AttributeError) as error:
            warnings.append(f"{path}: not a JSON settings object ({error}); its env block is ignored")
            continue
        for key in PROJECT_KEYS:
            if key in env and env[key] is not None:
                found[key] = str(env[key]).lower() if isinstance(env[key], bool) else str(env[key])
    return found


def load_settings(
    environ: Mapping[str, str] | None = None, cwd: str | os.PathLike[str] | None = None
) -> Settings:
    """Settings from the environment, then the project's settings files for the project-scoped keys."""
    warnings: list[str] = []
    env = dict(os.environ if environ is None else environ)
    env.update(project_env(cwd, warnings))

    endpoint = env.get("CCOTEL_ENDPOINT", "").strip() or DEFAULT_ENDPOINT
    if not endpoint.startswith(("http://", "https://")):
        warnings.append(f"CCOTEL_ENDPOINT={endpoint!r} is not an http(s) URL; using {DEFAULT_ENDPOINT}")
        endpoint = DEFAULT_ENDPOINT

    headers: dict[str, str] = {}
    for key, value in parse_key_values(env.get("CCOTEL_HEADERS", ""), "CCOTEL_HEADERS", warnings).items():
        if any(c in key + value for c in "\r\n\0") or ":" in key or " " in key.strip():
            warnings.append(f"CCOTEL_HEADERS: ignored header {key!r} (control characters or ':' in it)")
            continue
        headers[key.strip().lower()] = value

    state_raw = env.get("CCOTEL_STATE_DIR", "").strip()
    state_dir = Path(state_raw).expanduser() if state_raw else Path("~/.ccotel").expanduser()

    content = env.get("CCOTEL_CONTENT", "").strip().lower() or "full"
    if content not in CONTENT_MODES:
        warnings.append(f"CCOTEL_CONTENT={content!r} is not one of {'|'.join(CONTENT_MODES)}; using full")
        content = "full"

    resource = parse_key_values(
        env.get("CCOTEL_RESOURCE_ATTRIBUTES", ""), "CCOTEL_RESOURCE_ATTRIBUTES", warnings
    )
    if "service.name" in resource:
        warnings.append(f"CCOTEL_RESOURCE_ATTRIBUTES: service.name stays {SERVICE_NAME!r}")
        del resource["service.name"]

    return Settings(
        endpoint=endpoint,
        headers=headers,
        state_dir=state_dir,
        content=content,
        max_content_chars=int(
            _number(env, "CCOTEL_MAX_CONTENT_CHARS", DEFAULT_MAX_CONTENT_CHARS, 0, warnings)
        ),
        enabled=_bool(env, "CCOTEL_ENABLED", True, warnings),
        debug=_bool(env, "CCOTEL_DEBUG", False, warnings),
        user_id=env.get("CCOTEL_USER_ID", "").strip() or default_user_id(),
        resource_attributes=resource,
        timeout_seconds=_number(env, "CCOTEL_TIMEOUT", DEFAULT_TIMEOUT_SECONDS, 0.1, warnings),
        spool_max_bytes=int(
            _number(env, "CCOTEL_SPOOL_MAX_MB", DEFAULT_SPOOL_MAX_MB, 0.01, warnings) * 1024 * 1024
        ),
        backfill_spans_per_second=_number(
            env, "CCOTEL_BACKFILL_SPANS_PER_SECOND", DEFAULT_BACKFILL_SPANS_PER_SECOND, 1, warnings
        ),
        warnings=tuple(warnings),
    )
