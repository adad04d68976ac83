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

from ccotel.hook._plain import Plain

# Kept equal to pyproject's version by a test; importlib.metadata costs the hot path ~10 ms.
VERSION = "0.1.0"
SCOPE_NAME = "ccotel"
SERVICE_NAME = "claude-code"

DEFAULT_ENDPOINT = "http://127.0.0.1:4318"
DEFAULT_TIMEOUT_SECONDS = 2.0
DEFAULT_SPOOL_MAX_MB = 200.0
DEFAULT_SPOOL_MAX_BYTES = int(DEFAULT_SPOOL_MAX_MB * 1024 * 1024)
DEFAULT_MAX_CONTENT_CHARS = 20000
DEFAULT_BACKFILL_SPANS_PER_SECOND = 2000.0
CONTENT_MODES = ("full", "metadata")
# CCOTEL_REDACT: redact in the hook before anything is written to the spool or sent. auto = only when the
# endpoint is not on this machine (the local collector redacts with the same catalogue).
REDACT_MODES = ("auto", "always", "off")

# Keys a project's own settings files may set. They only narrow what this project sends; the endpoint,
# headers and state dir are the user's, so a cloned repository cannot redirect a backfill of all history.
PROJECT_KEYS = ("CCOTEL_ENABLED", "CCOTEL_CONTENT", "CCOTEL_MAX_CONTENT_CHARS")

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class Settings(Plain):
    """endpoint: base URL, traces go to <endpoint>/v1/traces; timeout_seconds: the whole hook run."""

    __slots__ = (
        "backfill_spans_per_second",
        "content",
        "debug",
        "enabled",
        "endpoint",
        "headers",
        "max_content_chars",
        "redact",
        "resource_attributes",
        "spool_max_bytes",
        "state_dir",
        "timeout_seconds",
        "user_id",
        "warnings",
    )
    __hash__ = None  # type: ignore[assignment]

    def __init__(
        self, *, endpoint: str = DEFAULT_ENDPOINT, headers: dict[str, str] | None = None,
        state_dir: str | None = None, content: str = "full", max_content_chars: int = DEFAULT_MAX_CONTENT_CHARS,
        enabled: bool = True, debug: bool = False, user_id: str = "", resource_attributes: dict[str, str] | None = None,
        timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS, spool_max_bytes: int = DEFAULT_SPOOL_MAX_BYTES,
        backfill_spans_per_second: float = DEFAULT_BACKFILL_SPANS_PER_SECOND, redact: str = "auto",
        warnings: tuple[str, ...] = (),
    ) -> None:
        self.endpoint, self.headers = endpoint, dict(headers or {})
        self.state_dir = os.path.expanduser("~/.ccotel") if state_dir is None else os.fspath(state_dir)
        self.content, self.max_content_chars, self.enabled, self.debug = content, max_content_chars, enabled, debug
        self.user_id, self.resource_attributes = user_id, dict(resource_attributes or {})
        self.timeout_seconds, self.spool_max_bytes = timeout_seconds, spool_max_bytes
        self.backfill_spans_per_second, self.redact, self.warnings = backfill_spans_per_second, redact, warnings

    @property
    def traces_url(self) -> str:
        base = self.endpoint.rstrip("/")
        return base if base.endswith("/v1/traces") else base + "/v1/traces"

    @property
    def redacting(self) -> bool:
        """Does the hook redact what it exports? (CCOTEL_REDACT=always, or auto and a remote endpoint.)"""
        return self.redact == "always" or (self.redact == "auto" and not is_local_endpoint(self.endpoint))

    def redaction_mode(self) -> str:
        """One line for `ccotel doctor` and the log: whether, and why, the hook redacts."""
        if self.redact == "off":
            return f"off (CCOTEL_REDACT=off): spans leave raw for {self.endpoint}; its collector must redact"
        if self.redact == "always":
            return "on (CCOTEL_REDACT=always): secrets are replaced before spans are spooled or sent"
        if self.redacting:
            return (f"on: {self.endpoint} is not on this machine, so secrets are replaced before spans are "
                    "spooled or sent (CCOTEL_REDACT=off turns this off)")
        return f"off: {self.endpoint} is on this machine and its collector redacts (CCOTEL_REDACT=always: here too)"


def is_local_endpoint(url: str) -> bool:
    """Is the URL's host `localhost` or a loopback address? Judged on the text, never resolved: any other
    name or form (a LAN address, a DNS name, `127.1`) counts as remote, so the doubt falls on redacting."""
    try:
        host = split_endpoint(url)[1].rstrip(".").lower()
    except ValueError:
        return False
    if host == "localhost":
        return True
    parts = host.split(".")
    if len(parts) == 4 and all(part.isdigit() and part.isascii() and len(part) <= 3 and int(part) <= 255
                               and (part == "0" or not part.startswith("0")) for part in parts):
        return parts[0] == "127"
    if ":" in host:
        import _socket

        try:
            packed = _socket.inet_pton(_socket.AF_INET6, host)
        except OSError:
            return False
        return packed == bytes(15) + b"\x01" or (packed[:12] == bytes(10) + b"\xff\xff" and packed[12] == 127)
    return False


_PLAIN_AUTHORITY = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:")


def split_endpoint(url: str) -> tuple[str, str, int | None, str]:
    """(scheme, host (lower case, "" if none), port or None, path with its query) as urllib.parse.urlsplit reads
    them. A URL written the plain way (`http://host:port/path`) is split here: urllib.parse and the ipaddress
    module it loads cost every hook run ~3 ms. Anything else (IPv6, user info, a query, odd characters) goes
    to urlsplit. Raises ValueError where urlsplit does (a bad port)."""
    scheme, sep, rest = url.partition("://")
    authority = rest.partition("/")[0]
    path = rest[len(authority):]
    host, colon, port = authority.partition(":")
    if sep and scheme in ("http", "https") and host and set(authority) <= _PLAIN_AUTHORITY \
            and ":" not in port and (not colon or (port.isdigit() and len(port) <= 5)) \
            and all(char > " " and char not in "?#" for char in path):
        number = int(port) if port else None
        if number is not None and number > 65535:
            raise ValueError(f"Port out of range 0-65535: {port}")
        return scheme, host.lower(), number, path
    return split_by_urlsplit(url)


def split_by_urlsplit(url: str) -> tuple[str, str, int | None, str]:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return parts.scheme, parts.hostname or "", parts.port, parts.path + (f"?{parts.query}" if parts.query else "")


def _unquote(text: str) -> str:
    if "%" not in text:
        return text
    from urllib.parse import unquote

    return unquote(text)


def parse_key_values(text: str, setting: str, warnings: list[str]) -> dict[str, str]:
    """`k=v,k2=v2` with percent-decoding, as OTEL_EXPORTER_OTLP_HEADERS and OTEL_RESOURCE_ATTRIBUTES do."""
    pairs: dict[str, str] = {}
    for item in text.split(","):
        if not item.strip():
            continue
        key, sep, value = item.partition("=")
        key = _unquote(key.strip())
        if not sep or not key:
            warnings.append(f"{setting}: ignored {item.strip()!r} (expected key=value)")
            continue
        pairs[key] = _unquote(value.strip())
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
        path = os.path.join(os.fspath(cwd), ".claude", name)
        try:
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
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
    state_dir = os.path.expanduser(state_raw or "~/.ccotel")

    content = env.get("CCOTEL_CONTENT", "").strip().lower() or "full"
    if content not in CONTENT_MODES:
        warnings.append(f"CCOTEL_CONTENT={content!r} is not one of {'|'.join(CONTENT_MODES)}; using full")
        content = "full"

    redact = env.get("CCOTEL_REDACT", "").strip().lower() or "auto"
    if redact not in REDACT_MODES:
        warnings.append(f"CCOTEL_REDACT={redact!r} is not one of {'|'.join(REDACT_MODES)}; using auto")
        redact = "auto"

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
        redact=redact,
        warnings=tuple(warnings),
    )
