"""`ccotel doctor` as a real process: every check seen passing and failing, with its fix command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from otlp_sink import OtlpSink

from ccotel.hook import spool
from ccotel.hook.state import StateDir

CCOTEL = Path(sys.executable).with_name("ccotel")


class HealthEndpoints:
    """Stand-ins for Alloy's /-/ready, Langfuse's /api/public/health and Grafana's /api/health on loopback."""

    def __init__(self) -> None:
        self.status: dict[str, int] = {"/-/ready": 200, "/api/public/health": 200, "/api/health": 200}
        endpoints = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                return

            def do_GET(self) -> None:
                code = endpoints.status.get(self.path, 404)
                self.send_response(code)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture
def services() -> Iterator[HealthEndpoints]:
    endpoints = HealthEndpoints()
    yield endpoints
    endpoints.server.shutdown()
    endpoints.server.server_close()


@pytest.fixture
def env(tmp_path: Path, otlp_sink: OtlpSink, services: HealthEndpoints) -> dict[str, str]:
    values = {
        **os.environ,
        "CCOTEL_STATE_DIR": str(tmp_path / "state"),
        "CCOTEL_ENDPOINT": otlp_sink.endpoint,
        "CCOTEL_LANGFUSE_URL": services.url,
        "CCOTEL_GRAFANA_URL": services.url,
    }
    return values


def doctor(
    env: dict[str, str], services: HealthEndpoints, project: Path, *extra: str
) -> tuple[int, dict[str, str], str]:
    result = subprocess.run(
        [str(CCOTEL), "doctor", "--project-dir", str(project), "--alloy-url", services.url, *extra],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    statuses = {}
    for line in result.stdout.splitlines():
        words = line.split()
        if len(words) >= 2 and words[0] in ("ok", "FAIL", "skip"):
            name = line[6:22].strip()
            statuses[name] = words[0]
    return result.returncode, statuses, result.stdout


def install(env: dict[str, str], *args: str) -> None:
    subprocess.run([str(CCOTEL), "install", *args], env=env, check=True, capture_output=True, timeout=60)


def test_healthy_setup_passes_every_check(env: dict[str, str], services: HealthEndpoints, tmp_path: Path) -> None:
    install(env)
    code, statuses, output = doctor(env, services, tmp_path)
    assert code == 0, output
    assert statuses == {
        "hook registered": "ok",
        "hook runnable": "ok",
        "state dir": "ok",
        "spool": "ok",
        "last export": statuses["last export"],  # "ok" or "skip" depending on whether the probe run wrote status
        "redaction": "ok",
        "collector": "ok",
        "alloy ready": "ok",
        "langfuse": "ok",
        "grafana": "ok",
    }
    assert statuses["last export"] in ("ok", "skip")
    assert "0 of 10 checks failed" in output
    assert "redaction       off: http://127.0.0.1:" in output  # a local collector redacts; the hook does not


def test_redaction_mode_is_shown_and_checked(env: dict[str, str], services: HealthEndpoints, tmp_path: Path) -> None:
    remote = dict(env, CCOTEL_ENDPOINT="https://otlp.example.com")
    _, statuses, output = doctor(remote, services, tmp_path, "--no-run")
    assert statuses["redaction"] == "ok"
    assert "on: https://otlp.example.com is not on this machine" in output and " rules]" in output
    _, statuses, output = doctor(dict(remote, CCOTEL_REDACT="off"), services, tmp_path, "--no-run")
    assert statuses["redaction"] == "ok" and "off (CCOTEL_REDACT=off)" in output
    _, statuses, output = doctor(dict(env, CCOTEL_REDACT="always"), services, tmp_path, "--no-run")
    assert statuses["redaction"] == "ok" and "on (CCOTEL_REDACT=always)" in output


def test_missing_registration_fails_with_install_as_the_fix(
    env: dict[str, str], services: HealthEndpoints, tmp_path: Path
) -> None:
    code, statuses, output = doctor(env, services, tmp_path)
    assert code == 1
    assert statuses["hook registered"] == "FAIL"
    assert statuses["hook runnable"] == "skip"
    assert "fix: ccotel install" in output


def test_double_registration_fails(env: dict[str, str], services: HealthEndpoints, tmp_path: Path) -> None:
    install(env)
    subprocess.run([str(CCOTEL), "install", "--project"], env=env, cwd=tmp_path, check=True, capture_output=True)
    code, statuses, output = doctor(env, services, tmp_path)
    assert code == 1 and statuses["hook registered"] == "FAIL"
    assert "more than once" in output and "fix: ccotel uninstall --" in output


def test_broken_hook_command_fails_runnable(env: dict[str, str], services: HealthEndpoints, tmp_path: Path) -> None:
    settings = Path(env["HOME"]) / ".claude" / "settings.json"
    settings.parent.mkdir(parents=True)
    handler = {"type": "command", "command": "/nonexistent/venv/bin/ccotel hook"}
    settings.write_text(
        json.dumps({"hooks": {event: [{"hooks": [handler]}] for event in ("Stop", "SubagentStop", "SessionEnd")}})
    )
    code, statuses, output = doctor(env, services, tmp_path)
    assert code == 1
    assert statuses["hook registered"] == "ok" and statuses["hook runnable"] == "FAIL"
    assert "/nonexistent/venv/bin/ccotel hook: exit 127" in output


def test_state_dir_readable_by_others_fails(env: dict[str, str], services: HealthEndpoints, tmp_path: Path) -> None:
    install(env)
    state = Path(env["CCOTEL_STATE_DIR"])
    state.mkdir()
    state.chmod(0o755)
    # --no-run: the probe run of the hook would repair the mode itself, which is not what this test is about.
    result = subprocess.run(
        [str(CCOTEL), "doctor", "--no-run", "--project-dir", str(tmp_path), "--alloy-url", services.url],
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )
    assert result.returncode == 1
    assert "FAIL  state dir" in result.stdout and f"fix: chmod -R go-rwx {state}" in result.stdout


def test_stuck_and_rejected_spool_fail(env: dict[str, str], services: HealthEndpoints, tmp_path: Path) -> None:
    install(env)
    state_dir = StateDir(Path(env["CCOTEL_STATE_DIR"])).create()
    ref = spool.write_batch(state_dir.spool, "session-a", 1, 3, spool.gzip_body(b""))
    old_ns = time.time_ns() - 3600 * 10**9  # written an hour ago and never delivered
    Path(ref.path).rename(Path(state_dir.spool) / spool.batch_name(old_ns, "session-a", 1))
    # --no-run: the probe run of the hook would deliver the batch to the healthy collector at once.
    code, statuses, output = doctor(env, services, tmp_path, "--no-run")
    assert code == 1 and statuses["spool"] == "FAIL"
    assert "not draining" in output and "oldest 60 min old" in output

    for batch in Path(state_dir.spool).iterdir():
        batch.unlink()
    rejected = spool.write_batch(state_dir.spool, "session-b", 1, 3, spool.gzip_body(b""))
    spool.reject(spool.list_batches(state_dir.spool)[0], state_dir.rejected, "HTTP 400: bad request")
    assert not Path(rejected.path).exists()
    code, statuses, output = doctor(env, services, tmp_path, "--no-run")
    assert code == 1 and statuses["spool"] == "FAIL"
    assert "refused by the collector" in output


def test_unreachable_services_fail_and_unconfigured_ones_are_skipped(
    env: dict[str, str], services: HealthEndpoints, otlp_sink: OtlpSink, tmp_path: Path
) -> None:
    install(env)
    otlp_sink.status = 503
    services.status["/-/ready"] = 503
    services.status["/api/public/health"] = 500
    services.status["/api/health"] = 502
    code, statuses, output = doctor(env, services, tmp_path)
    assert code == 1
    assert statuses["collector"] == "FAIL" and statuses["alloy ready"] == "FAIL" and statuses["langfuse"] == "FAIL"
    assert statuses["grafana"] == "FAIL"
    assert "fix: docker compose up -d --wait alloy" in output
    assert "fix: docker compose up -d --wait langfuse-web" in output
    assert "fix: docker compose up -d --wait grafana" in output

    unset = ("CCOTEL_GRAFANA_URL", "CCOTEL_LANGFUSE_URL")
    unconfigured = {key: value for key, value in env.items() if key not in unset}
    code, statuses, output = doctor(unconfigured, services, tmp_path)
    assert statuses["grafana"] == "skip" and statuses["langfuse"] == "skip"
    assert "not configured (set CCOTEL_GRAFANA_URL)" in output


def test_last_export_fails_while_the_collector_refuses_and_passes_once_delivered(
    env: dict[str, str], services: HealthEndpoints, otlp_sink: OtlpSink, tmp_path: Path
) -> None:
    install(env)
    transcript = tmp_path / "session.jsonl"
    prompt = {"type": "user", "uuid": "u1", "sessionId": "s1", "timestamp": "2026-11-21T10:00:00.000Z",
              "cwd": str(tmp_path), "message": {"role": "user", "content": "hello"}}
    transcript.write_text(json.dumps(prompt) + "\n")
    payload = json.dumps({"session_id": "s1", "transcript_path": str(transcript), "cwd": str(tmp_path),
                          "hook_event_name": "SessionEnd"})
    otlp_sink.status = 503
    subprocess.run([str(CCOTEL), "hook"], input=payload, text=True, env=env, check=True, timeout=60)
    code, statuses, output = doctor(env, services, tmp_path, "--no-run")
    assert code == 1 and statuses["last export"] == "FAIL" and "503" in output
    assert "last success never" in output

    otlp_sink.status = 200
    subprocess.run([str(CCOTEL), "hook"], input=payload, text=True, env=env, check=True, timeout=60)
    assert otlp_sink.span_ids(), "the spooled turn was delivered"
    code, statuses, output = doctor(env, services, tmp_path, "--no-run")
    assert statuses["last export"] == "ok" and statuses["spool"] == "ok", output
    assert code == 0, output
