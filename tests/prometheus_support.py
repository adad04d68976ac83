"""A real Prometheus for the tests: the Debian `prometheus` binary on loopback with a temporary TSDB, fed by
remote write (protobuf + snappy, both encoded here: the protocol is small and snappy's literal-only framing is
valid snappy), queried over its HTTP API.

    with running_prometheus(tmp_path, rule_files) as server:
        server.push(series)                       # [(labels, [(unix_seconds, value), ...]), ...]
        server.query('sum(up)')                   # the result list of /api/v1/query
        server.alerts()                           # the alerts of /api/v1/alerts
"""

from __future__ import annotations

import json
import re
import shutil
import struct
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from conftest import free_port

Labels = dict[str, str]
Series = tuple[Labels, Sequence[tuple[float, float]]]


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        low = value & 0x7F
        value >>= 7
        if value:
            out.append(low | 0x80)
        else:
            out.append(low)
            return bytes(out)


def _field(number: int, payload: bytes) -> bytes:
    """A length-delimited protobuf field."""
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def encode_write_request(series: Sequence[Series]) -> bytes:
    """prometheus.WriteRequest{timeseries: [TimeSeries{labels (sorted by name), samples}]}."""
    body = bytearray()
    for labels, samples in series:
        timeseries = bytearray()
        for name in sorted(labels):
            timeseries += _field(1, _field(1, name.encode()) + _field(2, labels[name].encode()))
        for seconds, value in samples:
            sample = _varint(1 << 3 | 1) + struct.pack("<d", value) + _varint(2 << 3) + _varint(int(seconds * 1000))
            timeseries += _field(2, sample)
        body += _field(1, bytes(timeseries))
    return bytes(body)


def snappy_literal(data: bytes) -> bytes:
    """Snappy block format with literal elements only (no compression, but any decoder reads it)."""
    out = bytearray(_varint(len(data)))
    for start in range(0, len(data), 65536):
        chunk = data[start:start + 65536]
        length = len(chunk) - 1
        if length < 60:
            out.append(length << 2)
        elif length < 256:
            out += bytes([60 << 2, length])
        else:
            out += bytes([61 << 2]) + struct.pack("<H", length)
        out += chunk
    return bytes(out)


@dataclass
class Prometheus:
    url: str
    process: subprocess.Popen[bytes]

    def _get(self, path: str, **params: str) -> Any:
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        with urllib.request.urlopen(f"{self.url}{path}{query}", timeout=10) as response:
            document = json.load(response)
        assert document["status"] == "success", document
        return document["data"]

    def push(self, series: Sequence[Series]) -> None:
        request = urllib.request.Request(
            f"{self.url}/api/v1/write", data=snappy_literal(encode_write_request(series)), method="POST",
            headers={"Content-Type": "application/x-protobuf", "Content-Encoding": "snappy",
                     "X-Prometheus-Remote-Write-Version": "0.1.0"})
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 204, response.status

    def query(self, expr: str) -> list[dict[str, Any]]:
        return list(self._get("/api/v1/query", query=expr)["result"])

    def alerts(self) -> list[dict[str, Any]]:
        return list(self._get("/api/v1/alerts")["alerts"])

    def rule_groups(self) -> list[dict[str, Any]]:
        return list(self._get("/api/v1/rules")["groups"])

    def wait_for_evaluation_after(self, moment: float, timeout: float = 20) -> None:
        """Until every rule group has been evaluated (at least) twice after `moment` (unix seconds)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            groups = self.rule_groups()
            stamps = [group.get("lastEvaluation", "") for group in groups]
            if groups and all(stamp and _unix(stamp) > moment + 1 for stamp in stamps):
                return
            time.sleep(0.3)
        raise AssertionError(f"rules not evaluated after {moment}: {self.rule_groups()}")


def _unix(rfc3339: str) -> float:
    """Go's RFC 3339 with nanoseconds ("2026-12-03T10:30:01.123456789Z") to unix seconds."""
    match = re.fullmatch(r"(.{19})(\.\d+)?(Z|[+-]\d\d:\d\d)", rfc3339)
    assert match, rfc3339
    zone = "+00:00" if match[3] == "Z" else match[3]
    return datetime.fromisoformat(match[1] + zone).timestamp() + float(match[2] or 0)


def prometheus_binary() -> str:
    found = shutil.which("prometheus")
    assert found, "the prometheus binary is missing (Debian package prometheus; .ci/run installs it)"
    return found


@contextmanager
def running_prometheus(workdir: Path, rule_files: Sequence[Path], config: dict[str, Any] | None = None,
                       evaluation_interval: str = "1s") -> Iterator[Prometheus]:
    """Prometheus with `config` (default: empty) whose rule_files are `rule_files`, evaluated every second."""
    workdir.mkdir(parents=True, exist_ok=True)
    settings = dict(config or {})
    settings["global"] = {**settings.get("global", {}), "evaluation_interval": evaluation_interval}
    settings["rule_files"] = [str(path) for path in rule_files]
    config_path = workdir / "prometheus.yml"
    config_path.write_text(yaml.safe_dump(settings), encoding="utf-8")
    port = free_port()
    log = (workdir / "prometheus.log").open("wb")
    process = subprocess.Popen(
        [prometheus_binary(), f"--config.file={config_path}", f"--storage.tsdb.path={workdir / 'data'}",
         f"--web.listen-address=127.0.0.1:{port}", "--web.enable-remote-write-receiver"],
        stdout=log, stderr=subprocess.STDOUT)
    server = Prometheus(f"http://127.0.0.1:{port}", process)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{server.url}/-/ready", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError((workdir / "prometheus.log").read_text(encoding="utf-8")[-3000:])
            time.sleep(0.2)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
