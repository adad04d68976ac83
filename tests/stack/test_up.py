"""`ccotel up` (what `make up` runs), as real processes.

- No Docker (no client on PATH, or a client whose daemon does not answer): one line saying so, then exactly
  what `ccotel report` prints, with its exit code.
- Docker there: a `docker` script stands in for the client (it records its arguments); a small HTTP server on
  127.0.0.1 stands in for Alloy (it decodes the OTLP test span and serves Alloy's accepted-spans counter);
  `ccotel install` runs for real against the isolated HOME.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import REPO, TRANSCRIPTS
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

DAEMON_DOWN = ("Cannot connect to the Docker daemon at unix:///var/run/docker.sock. "
               "Is the docker daemon running?")
SYSTEM_PATH = "/usr/bin:/bin"


def write_docker(bin_dir: Path, log: Path, *, daemon: bool = True, compose_up_exit: int = 0) -> None:
    """A `docker` client script: `info` fails like a missing daemon unless daemon=True."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    script = bin_dir / "docker"
    script.write_text(f"""#!/bin/sh
printf '%s\\n' "$*" >> '{log}'
case "$1" in
  info) {"echo 28.2.2; exit 0" if daemon else f"echo '{DAEMON_DOWN}' >&2; exit 1"} ;;
  compose)
    case "$*" in
      *" up "*) exit {compose_up_exit} ;;
      *version*) echo "Docker Compose version v2.39.1"; exit 0 ;;
    esac ;;
esac
exit 0
""", encoding="utf-8")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)


class FakeAlloy:
    """POST /v1/traces (OTLP protobuf) and GET /metrics with otelcol_receiver_accepted_spans_total."""

    def __init__(self, counting: bool = True) -> None:
        self.counting = counting
        self.accepted = 41  # a running Alloy has counted spans before
        self.spans: list[tuple[str, str]] = []  # (service.name, span name)
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                request = ExportTraceServiceRequest.FromString(body)
                for resource_spans in request.resource_spans:
                    service = next(a.value.string_value for a in resource_spans.resource.attributes
                                   if a.key == "service.name")
                    for scope_spans in resource_spans.scope_spans:
                        for span in scope_spans.spans:
                            fake.spans.append((service, span.name))
                            fake.accepted += 1 if fake.counting else 0
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.end_headers()

            def do_GET(self) -> None:
                text = ("# TYPE otelcol_receiver_accepted_spans_total counter\n"
                        'otelcol_receiver_accepted_spans_total{component_id="otelcol.receiver.otlp.default",'
                        f'transport="http"}} {fake.accepted - 1}\n'
                        'otelcol_receiver_accepted_spans_total{component_id="otelcol.receiver.otlp.default",'
                        'transport="grpc"} 1\n'
                        "otelcol_receiver_accepted_spans_totally_unrelated 1000\n").encode()
                self.send_response(200)
                self.end_headers()
                self.wfile.write(text)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeAlloy:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def alloy() -> Iterator[FakeAlloy]:
    with FakeAlloy() as fake:
        yield fake


def run(arguments: list[str], path: str, cwd: Path = REPO, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PATH": path, **env}
    return subprocess.run([sys.executable, "-m", "ccotel.commands", *arguments], capture_output=True, text=True,
                          cwd=cwd, env=environment, check=False, timeout=120)


def report_env(tmp_path: Path) -> dict[str, str]:
    sample = next(TRANSCRIPTS.glob("02-*"))
    config = tmp_path / "claude"
    shutil.copytree(sample, config)
    return {"CLAUDE_CONFIG_DIR": str(config)}


def assert_fell_back_to_the_report(up: subprocess.CompletedProcess[str], reason: str, tmp_path: Path,
                                   env: dict[str, str]) -> None:
    report = run(["report"], SYSTEM_PATH, **env)
    first, _, rest = up.stdout.partition("\n")
    assert first == (f"ccotel up: {reason}: showing the local report instead (`ccotel report`); "
                     "the stack needs Docker.")
    assert report.returncode == 0 and "sessions" in report.stdout
    assert rest == report.stdout
    assert up.returncode == report.returncode


def test_without_a_docker_client_it_shows_the_local_report(tmp_path: Path) -> None:
    empty_bin = tmp_path / "bin"
    empty_bin.mkdir()
    path = f"{empty_bin}:{SYSTEM_PATH}"
    assert shutil.which("docker", path=path) is None, "this test needs a PATH without docker"
    env = report_env(tmp_path)
    up = run(["up"], path, **env)
    assert_fell_back_to_the_report(up, "Docker is not installed (no `docker` on PATH)", tmp_path, env)


def test_with_a_client_but_no_daemon_it_shows_the_local_report(tmp_path: Path) -> None:
    log = tmp_path / "docker.log"
    write_docker(tmp_path / "bin", log, daemon=False)
    env = report_env(tmp_path)
    up = run(["up"], f"{tmp_path / 'bin'}:{SYSTEM_PATH}", **env)
    assert_fell_back_to_the_report(up, f"the Docker daemon does not answer ({DAEMON_DOWN})", tmp_path, env)
    assert log.read_text(encoding="utf-8").splitlines() == ["info --format {{.ServerVersion}}"]


def _env_file(tmp_path: Path, port: int) -> Path:
    init = run(["init", "--env-file", str(tmp_path / ".env")], SYSTEM_PATH)
    assert init.returncode == 0, init.stderr
    env_file = tmp_path / ".env"
    text = env_file.read_text(encoding="utf-8")
    text = text.replace("ALLOY_OTLP_HTTP_PORT=4318", f"ALLOY_OTLP_HTTP_PORT={port}")
    text = text.replace("ALLOY_UI_PORT=12345", f"ALLOY_UI_PORT={port}").replace("GRAFANA_PORT=3001",
                                                                               "GRAFANA_PORT=3555")
    env_file.write_text(text, encoding="utf-8")
    return env_file


def test_with_docker_it_starts_the_stack_installs_the_hook_and_checks_a_span(tmp_path: Path,
                                                                           alloy: FakeAlloy) -> None:
    log = tmp_path / "docker.log"
    write_docker(tmp_path / "bin", log)
    env_file = _env_file(tmp_path, alloy.port)
    up = run(["up", "--env-file", str(env_file), "--logs"], f"{tmp_path / 'bin'}:{SYSTEM_PATH}")
    assert up.returncode == 0, up.stdout + up.stderr
    calls = log.read_text(encoding="utf-8").splitlines()
    assert calls[:2] == ["info --format {{.ServerVersion}}", "compose version"]
    assert calls[2] == (f"compose --project-directory {REPO} --env-file {env_file} -f {REPO}/docker-compose.yml "
                        "--profile logs up -d --wait --wait-timeout 900")
    assert alloy.spans == [("ccotel-up-check", "ccotel up check")]
    assert "a test span reached Alloy (otelcol_receiver_accepted_spans_total = 42)" in up.stdout
    assert "http://localhost:3555" in up.stdout and "Dashboards > ccotel > Overview" in up.stdout
    assert f"CCOTEL_ENDPOINT=http://127.0.0.1:{alloy.port}" in up.stdout
    settings = json.loads((Path(os.environ["HOME"]) / ".claude" / "settings.json").read_text(encoding="utf-8"))
    assert {"Stop", "SubagentStop", "SessionEnd"} <= set(settings["hooks"])


def test_up_writes_the_env_first_when_there_is_none(tmp_path: Path, alloy: FakeAlloy) -> None:
    log = tmp_path / "docker.log"
    write_docker(tmp_path / "bin", log, compose_up_exit=17)
    env_file = tmp_path / "fresh" / ".env"
    up = run(["up", "--env-file", str(env_file), "--cloud"], f"{tmp_path / 'bin'}:{SYSTEM_PATH}")
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    assert f"wrote {env_file}" in up.stdout
    assert f"-f {REPO}/docker-compose.cloud.yml up -d --wait" in log.read_text(encoding="utf-8")
    # docker compose's own exit code, and one readable line.
    assert up.returncode == 17
    assert up.stderr.strip().startswith("ccotel up: `docker compose up` failed (exit 17);")
    assert alloy.spans == []


def test_a_span_alloy_does_not_count_is_exit_4(tmp_path: Path) -> None:
    log = tmp_path / "docker.log"
    write_docker(tmp_path / "bin", log)
    with FakeAlloy(counting=False) as silent:
        env_file = _env_file(tmp_path, silent.port)
        up = run(["up", "--env-file", str(env_file), "--no-install", "--check-timeout", "1"],
                 f"{tmp_path / 'bin'}:{SYSTEM_PATH}")
    assert up.returncode == 4
    assert "stayed at 41" in up.stderr and up.stderr.count("\n") == 1
    assert not (Path(os.environ["HOME"]) / ".claude" / "settings.json").exists()
