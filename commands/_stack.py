"""Where the stack's files are, what .env says about its addresses, and whether Docker can run it."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ccotel.commands._envfile import parse_env
from ccotel.errors import CcotelError

COMPOSE_FILE = "docker-compose.yml"
CLOUD_OVERRIDE = "docker-compose.cloud.yml"
TEMPLATE = ".env.example"
DOCKER_TIMEOUT_SECONDS = 20.0


def _is_stack_dir(path: Path) -> bool:
    compose = path / COMPOSE_FILE
    if not (compose.is_file() and (path / TEMPLATE).is_file()):
        return False
    try:
        return "name: ccotel" in compose.read_text(encoding="utf-8")
    except OSError:
        return False


def find_stack_dir(explicit: Path | None = None, start: Path | None = None) -> Path:
    """The folder with ccotel's docker-compose.yml and .env.example: the one given, else the current folder
    or one of its parents, else the source checkout this package runs from."""
    if explicit is not None:
        if not _is_stack_dir(explicit):
            raise CcotelError(f"{explicit} has no ccotel {COMPOSE_FILE} and {TEMPLATE}")
        return explicit.resolve()
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents, Path(__file__).resolve().parents[1]):
        if _is_stack_dir(candidate):
            return candidate
    raise CcotelError(
        f"cannot find ccotel's {COMPOSE_FILE} and {TEMPLATE}: run this in the ccotel checkout or pass --stack-dir"
    )


def write_private(path: Path, text: str) -> None:
    """Write text to path atomically with mode 0600 (the file holds secrets)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@dataclass(frozen=True)
class Addresses:
    """The host side of the stack, from .env (defaults = docker-compose.yml's)."""

    langfuse_url: str
    grafana_url: str
    alloy_ui_url: str
    otlp_http_url: str
    langfuse_user: str
    grafana_user: str

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Addresses:
        def port(name: str, default: int) -> int:
            raw = env.get(name, "").strip() or str(default)
            if not raw.isdigit() or not 0 < int(raw) < 65536:
                raise CcotelError(f".env: {name}={raw!r} is not a port number")
            return int(raw)

        return cls(
            langfuse_url=f"http://localhost:{port('LANGFUSE_PORT', 3000)}",
            grafana_url=f"http://localhost:{port('GRAFANA_PORT', 3001)}",
            alloy_ui_url=f"http://127.0.0.1:{port('ALLOY_UI_PORT', 12345)}",
            otlp_http_url=f"http://127.0.0.1:{port('ALLOY_OTLP_HTTP_PORT', 4318)}",
            langfuse_user=env.get("LANGFUSE_INIT_USER_EMAIL", "").strip() or "admin@ccotel.localhost",
            grafana_user=env.get("GRAFANA_ADMIN_USER", "").strip() or "admin",
        )


def read_env_file(path: Path) -> dict[str, str]:
    try:
        return parse_env(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise CcotelError(f"cannot read {path}: {error.strerror or error}") from error


def login_lines(addresses: Addresses, env_file: Path) -> list[str]:
    """What a person opens first, and with which user (passwords stay in .env)."""
    return [
        f"  Langfuse  {addresses.langfuse_url:<24} user {addresses.langfuse_user}, "
        f"password LANGFUSE_INIT_USER_PASSWORD in {env_file}",
        f"  Grafana   {addresses.grafana_url:<24} user {addresses.grafana_user}, "
        f"password GRAFANA_ADMIN_PASSWORD in {env_file}; Dashboards > ccotel > Overview",
        f"  Alloy     {addresses.alloy_ui_url:<24} the pipeline graph; "
        f"the hook sends OTLP to {addresses.otlp_http_url}",
    ]


@dataclass(frozen=True)
class DockerStatus:
    usable: bool
    reason: str  # why not, in a few words; empty when usable


def _first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return ""


def docker_status(timeout: float = DOCKER_TIMEOUT_SECONDS) -> DockerStatus:
    """Is there a docker client, does its daemon answer, and is Compose v2 there?"""
    docker = shutil.which("docker")
    if docker is None:
        return DockerStatus(False, "Docker is not installed (no `docker` on PATH)")
    checks = (
        (["info", "--format", "{{.ServerVersion}}"], "the Docker daemon does not answer"),
        (["compose", "version"], "Docker Compose v2 is missing (`docker compose version` failed)"),
    )
    for arguments, problem in checks:
        try:
            done = subprocess.run([docker, *arguments], capture_output=True, text=True, timeout=timeout,
                                  stdin=subprocess.DEVNULL, check=False)
        except subprocess.TimeoutExpired:
            return DockerStatus(False, f"{problem} (no reply within {timeout:g} s)")
        except OSError as error:
            return DockerStatus(False, f"{problem} ({error.strerror or error})")
        if done.returncode != 0:
            detail = _first_line(done.stderr) or _first_line(done.stdout) or f"exit {done.returncode}"
            return DockerStatus(False, f"{problem} ({detail})")
    return DockerStatus(True, "")


def compose_command(stack_dir: Path, env_file: Path, *, cloud: bool, logs: bool) -> list[str]:
    """`docker compose` with this stack's files, env file and profiles (the subcommand is appended)."""
    command = ["docker", "compose", "--project-directory", str(stack_dir), "--env-file", str(env_file),
               "-f", str(stack_dir / COMPOSE_FILE)]
    if cloud:
        command += ["-f", str(stack_dir / CLOUD_OVERRIDE)]
    if logs:
        command += ["--profile", "logs"]
    return command
