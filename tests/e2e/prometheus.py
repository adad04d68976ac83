"""A real Prometheus (Debian's `prometheus`) for the end-to-end suite.

Started on a free loopback port with its own TSDB in a temp dir and the remote-write receiver on
(`--web.enable-remote-write-receiver`); loads every alert rule file under `stack/prometheus/rules/` and
evaluates rules every second. Optional scrape targets let the harness tests feed it without the collector.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from conftest import free_port

REPO = Path(__file__).resolve().parents[2]
RULES_DIR = REPO / "stack" / "prometheus" / "rules"
BINARY = shutil.which("prometheus") or "/usr/bin/prometheus"


def rule_files() -> list[Path]:
    return sorted([*RULES_DIR.glob("*.yml"), *RULES_DIR.glob("*.yaml")]) if RULES_DIR.is_dir() else []


def render_config(scrape_targets: list[str], rules: list[Path]) -> str:
    """Prometheus' YAML as JSON (a YAML subset): 1 s rule evaluation, optional 1 s scrape of `targets`."""
    config: dict[str, Any] = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(path) for path in rules],
        "scrape_configs": [],
    }
    if scrape_targets:
        config["scrape_configs"] = [{"job_name": "harness", "static_configs": [{"targets": scrape_targets}]}]
    return json.dumps(config, indent=2)


class Prometheus:
    """`with Prometheus(workdir) as prom:`; `prom.remote_write_url`, `prom.query(expr)`."""

    def __init__(self, workdir: Path, scrape_targets: list[str] | None = None,
                 extra_rules: list[Path] | None = None) -> None:
        self.workdir = workdir
        self.scrape_targets = scrape_targets or []
        self.port = free_port()
        self.rules = [*rule_files(), *(extra_rules or [])]
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def remote_write_url(self) -> str:
        return f"{self.url}/api/v1/write"

    def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        config = self.workdir / "prometheus.yml"
        config.write_text(render_config(self.scrape_targets, self.rules))
        self.log = (self.workdir / "prometheus.log").open("wb")
        self.process = subprocess.Popen(
            [BINARY, f"--config.file={config}", f"--storage.tsdb.path={self.workdir / 'tsdb'}",
             f"--web.listen-address=127.0.0.1:{self.port}", "--web.enable-remote-write-receiver",
             "--storage.tsdb.retention.time=1d", "--log.level=warn"],
            stdout=self.log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"prometheus exited {self.process.returncode}: {self.log_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/-/ready", timeout=2) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"prometheus not ready in 60 s: {self.log_text()[-2000:]}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def __enter__(self) -> Prometheus:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def log_text(self) -> str:
        path = self.workdir / "prometheus.log"
        return path.read_text(errors="replace") if path.exists() else ""

    # ---- HTTP API
    def api(self, path: str, **params: str) -> Any:
        query = urllib.parse.urlencode(params)
        with urllib.request.urlopen(f"{self.url}/api/v1/{path}?{query}", timeout=30) as answer:
            payload = json.loads(answer.read())
        if payload.get("status") != "success":
            raise RuntimeError(f"prometheus {path} {params}: {payload}")
        return payload["data"]

    def query(self, expr: str, at: float | None = None) -> list[dict[str, Any]]:
        """Instant query; the result as a list of {metric, value} (a scalar becomes one unlabelled sample)."""
        data = self.api("query", query=expr, time=f"{at if at is not None else time.time():.3f}")
        if data["resultType"] in ("scalar", "string"):
            return [{"metric": {}, "value": data["result"]}]
        return list(data["result"])

    def series_names(self) -> set[str]:
        return set(self.api("label/__name__/values"))

    def series(self, metric: str) -> list[dict[str, str]]:
        return list(self.api("series", **{"match[]": metric}))

    def value(self, expr: str, at: float | None = None) -> float | None:
        """The single value of a query (sum it in PromQL first), None when it returns nothing."""
        result = self.query(expr, at)
        if not result:
            return None
        if len(result) != 1:
            raise AssertionError(f"{expr} returned {len(result)} series")
        return float(result[0]["value"][1])

    def wait_for(self, expr: str, timeout: float = 60, at: float | None = None) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while True:
            result = self.query(expr, at)
            if result or time.monotonic() > deadline:
                return result
            time.sleep(0.5)

    def rules_state(self) -> tuple[int, int, list[str]]:
        """(rules evaluated without error, all rules, the names of the others) from /api/v1/rules."""
        groups = self.api("rules")["groups"]
        total, good, bad = 0, 0, []
        for group in groups:
            for rule in group["rules"]:
                total += 1
                evaluated = rule.get("lastEvaluation", "").startswith("0001-") is False
                if rule.get("health") == "ok" and evaluated:
                    good += 1
                else:
                    bad.append(f"{rule.get('name')}: {rule.get('health')} {rule.get('lastError', '')}".strip())
        return good, total, bad
