"""The built collector (`make otelcol` → build/otelcol/ccotel-otelcol) as a process for the end-to-end suite.

Its configuration is `alloy/` translated by `ccotel.collector.otelcol.translate.translate`, with the
environment `alloy/env.alloy` reads pointing the sinks at the test's loopback sinks and Prometheus. It can be
killed (SIGKILL, as a crash) and restarted on the same ports and storage directory.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

from conftest import free_port
from e2e.prometheus import REPO
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

BINARY = REPO / "build" / "otelcol" / "ccotel-otelcol"
ALLOY_DIR = REPO / "alloy"


def release() -> str:
    """`<version> ` of the built binary, e.g. 0.158.0-ccotel."""
    out = subprocess.run([str(BINARY), "--version"], capture_output=True, text=True, timeout=30, check=True).stdout
    match = re.search(r"version\s+(\S+)", out)
    return match.group(1) if match else out.strip()


def component_count() -> int:
    """Components compiled into the binary (`components` subcommand: receivers, processors, ...)."""
    out = subprocess.run([str(BINARY), "components"], capture_output=True, text=True, timeout=30, check=True).stdout
    return len(re.findall(r"^\s*-\s+name:", out, flags=re.MULTILINE))


class Collector:
    def __init__(self, workdir: Path, env: dict[str, str]) -> None:
        self.workdir = workdir
        self.http_port, self.grpc_port = free_port(), free_port()
        self.env = {"CCOTEL_OTLP_HTTP_ADDRESS": f"127.0.0.1:{self.http_port}",
                    "CCOTEL_OTLP_GRPC_ADDRESS": f"127.0.0.1:{self.grpc_port}", **env}
        self.storage = workdir / "storage"
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def write_config(self) -> Path:
        from ccotel.collector.otelcol.translate import translate

        self.storage.mkdir(parents=True, exist_ok=True, mode=0o700)
        config = translate(ALLOY_DIR, self.env, storage_dir=self.storage)
        path = self.workdir / "otelcol.yaml"
        path.write_text(json.dumps(config, indent=2), encoding="utf-8")  # JSON is YAML
        return path

    def start(self, timeout: float = 60) -> None:
        from ccotel.collector.otelcol.binary import RUN_FLAGS

        self.workdir.mkdir(parents=True, exist_ok=True)
        config = self.write_config()
        self.starts += 1
        self.log_path = self.workdir / f"otelcol-{self.starts}.log"
        environment = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "CCOTEL_"))}
        self.process = subprocess.Popen([str(BINARY), "--config", str(config), *RUN_FLAGS],
                                        stdout=self.log_path.open("wb"), stderr=subprocess.STDOUT, env=environment)
        deadline = time.monotonic() + timeout
        empty = ExportTraceServiceRequest().SerializeToString()
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"collector exited {self.process.returncode}: {self.log()[-3000:]}")
            request = urllib.request.Request(f"{self.endpoint}/v1/traces", data=empty, method="POST",
                                             headers={"Content-Type": "application/x-protobuf"})
            try:
                with urllib.request.urlopen(request, timeout=2) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"collector not ready in {timeout} s: {self.log()[-3000:]}")

    def stop(self, timeout: float = 30) -> None:
        """A clean shutdown (SIGTERM): the collector drains its batches into the queues."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def kill(self) -> None:
        """A crash: SIGKILL, nothing flushed."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.process = None

    def log(self) -> str:
        path = getattr(self, "log_path", None)
        return path.read_text(errors="replace") if path and path.exists() else ""

    def __enter__(self) -> Collector:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
