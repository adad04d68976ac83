"""The test collector as a process for tests: free loopback ports, start/stop with the translated alloy/, a
loopback OTLP/HTTP logs endpoint."""

from __future__ import annotations

import gzip
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from conftest import free_port
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest,
    ExportLogsServiceResponse,
)

from ccotel.collector.otelcol import binary
from ccotel.collector.otelcol.run import write_config
from ccotel.collector.otelcol.translate import translate

ALLOY = Path(__file__).resolve().parents[1] / "alloy"


def http_get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status, response.read().decode()
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return 0, ""


@contextmanager
def started(env: dict[str, str], tmp_path: Path, otelcol_binary: Path) -> Iterator[dict[str, str]]:
    """The collector running the translated alloy/ on free loopback ports, healthy; stopped afterwards."""
    env = {
        "CCOTEL_OTLP_HTTP_ADDRESS": f"127.0.0.1:{free_port()}",
        "CCOTEL_OTLP_GRPC_ADDRESS": f"127.0.0.1:{free_port()}",
        "CCOTEL_TEST_HEALTH_ADDRESS": f"127.0.0.1:{free_port()}",
        "CCOTEL_TEST_SELF_METRICS_ADDRESS": f"127.0.0.1:{free_port()}",
        **env,
    }
    config = write_config(translate(ALLOY, env, storage_dir=tmp_path / "storage"), tmp_path / "cfg")
    log = (tmp_path / "collector.log").open("w")
    process = subprocess.Popen(binary.command(config, otelcol_binary), stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while http_get(f"http://{env['CCOTEL_TEST_HEALTH_ADDRESS']}/")[0] != 200:
            assert process.poll() is None, (tmp_path / "collector.log").read_text()[-2000:]
            assert time.monotonic() < deadline, "the collector did not become healthy in 60 s"
            time.sleep(0.2)
        yield env
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


class LogsSink:
    """A loopback OTLP/HTTP logs endpoint (protobuf, gzip or not) recording every log record it gets."""

    def __init__(self) -> None:
        self.records: list[tuple[dict, object]] = []  # (resource attributes, LogRecord)
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                request = ExportLogsServiceRequest.FromString(body)
                for resource_logs in request.resource_logs:
                    resource = {kv.key: kv.value.string_value for kv in resource_logs.resource.attributes}
                    for scope_logs in resource_logs.scope_logs:
                        sink.records.extend((resource, record) for record in scope_logs.log_records)
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.end_headers()
                self.wfile.write(ExportLogsServiceResponse().SerializeToString())

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
