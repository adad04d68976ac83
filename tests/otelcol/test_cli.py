"""`ccotel pipeline translate` and `ccotel pipeline run` (item 7: the pipeline without Docker)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from conftest import free_port
from otelcol_support import http_get

from ccotel.collector.otelcol import binary
from ccotel.commands.main import main

CCOTEL = Path(sys.executable).parent / "ccotel"


def test_translate_prints_the_config_with_flags_over_env_file_over_environment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEMPO_ENDPOINT", "http://127.0.0.1:1111")
    env_file = tmp_path / ".env"
    env_file.write_text('# sinks\nTEMPO_ENDPOINT=http://127.0.0.1:2222\nLOKI_ENDPOINT="http://127.0.0.1:3100/otlp"\n')
    assert main(["pipeline", "translate", "--env-file", str(env_file), "--otlp-http", "127.0.0.1:14318"]) == 0
    config = yaml.safe_load(capsys.readouterr().out)
    assert config["exporters"]["otlp_http/tempo"]["endpoint"] == "http://127.0.0.1:2222"
    assert config["exporters"]["otlp_http/loki"]["endpoint"] == "http://127.0.0.1:3100/otlp"
    assert config["receivers"]["otlp/default"]["protocols"]["http"]["endpoint"] == "127.0.0.1:14318"


def test_run_without_go_or_binary_is_one_readable_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(binary.BINARY_ENV, str(tmp_path / "no-such-collector"))
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(binary, "GO_FALLBACK", tmp_path / "no-go")
    assert main(["pipeline", "run"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "needs Go 1.26" in err


def test_run_serves_in_the_foreground_and_cleans_up_on_ctrl_c(tmp_path: Path, otelcol_binary: Path) -> None:
    health, otlp = f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}"
    env = {**os.environ, "TMPDIR": str(tmp_path), binary.BINARY_ENV: str(otelcol_binary)}
    argv = [str(CCOTEL), "pipeline", "run", "--health", health, "--otlp-http", otlp,
            "--otlp-grpc", f"127.0.0.1:{free_port()}"]
    log_path = tmp_path / "run.log"  # a file, not a pipe: nobody reads it while the collector logs
    with log_path.open("w") as log:
        process = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while http_get(f"http://{health}/")[0] != 200:
            assert process.poll() is None and time.monotonic() < deadline, "pipeline run did not come up"
            time.sleep(0.2)
        folders = list(tmp_path.glob("ccotel-otelcol-*"))
        assert len(folders) == 1 and folders[0].stat().st_mode & 0o777 == 0o700
        assert (folders[0] / "config.yaml").stat().st_mode & 0o777 == 0o600
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=45)
    assert process.returncode == 130
    assert "Shutdown complete" in log_path.read_text()  # the collector was stopped cleanly, not killed
    assert list(tmp_path.glob("ccotel-otelcol-*")) == []  # the config (it may hold credentials) is gone
