"""The real OTTL parser as an oracle: many statements/conditions, one `ccotel-otelcol validate` run.

    real_verdicts(items, binary) -> list[str | None]     (None = accepted, else the collector's error)

Each item becomes its own transform processor (statements), filter processor (conditions) or signal-to-metrics
connector (values) in one config;
the collector validates every configured component and reports each failing one on its own line
(`processors::transform/ottl.7: ...`), so one run gives every verdict.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ccotel.collector.otelcol.binary import RUN_FLAGS
from ccotel.collector.otelcol.run import write_config
from ccotel.collector.otelcol.translate import escape_dollars

_SIGNAL = {"trace": "trace", "metric": "metric", "log": "log"}
_ERROR_LINE = re.compile(r"^(?:processors::(?:transform|filter)|connectors::signal_to_metrics)/ottl\.(\d+): (.*)$")


@dataclass(frozen=True)
class OttlItem:
    kind: str  # "statement" | "condition" | "value" (a signal-to-metrics value expression)
    signal: str  # "trace" | "metric" | "log"
    context: str  # "resource", "span", "datapoint", ...
    text: str


def oracle_config(items: list[OttlItem]) -> dict[str, object]:
    processors: dict[str, object] = {}
    connectors: dict[str, object] = {}
    for index, item in enumerate(items):
        signal = _SIGNAL[item.signal]
        if item.kind == "value":
            rules = {"trace": "spans", "metric": "datapoints", "log": "logs"}[signal]
            connectors[f"signal_to_metrics/ottl.{index}"] = {rules: [{"name": "m", "sum": {"value": item.text}}]}
        elif item.kind == "statement":
            key = f"{signal}_statements"
            processors[f"transform/ottl.{index}"] = {key: [{"context": item.context, "statements": [item.text]}]}
        else:
            key = f"{signal}_conditions"
            processors[f"filter/ottl.{index}"] = {key: [{"context": item.context, "conditions": [item.text]}]}
    return escape_dollars({  # type: ignore[return-value]
        "receivers": {"otlp": {"protocols": {"http": {"endpoint": "127.0.0.1:0"}}}},
        "processors": processors,
        "connectors": connectors,
        "exporters": {"debug": {}},
        "service": {
            "telemetry": {"metrics": {"level": "none"}},
            "pipelines": {"traces": {"receivers": ["otlp"], "processors": [], "exporters": ["debug"]}},
        },
    })


def real_verdicts(items: list[OttlItem], binary: Path, timeout: float = 300) -> list[str | None]:
    """The real parser's verdict on each item: None when accepted, else its error message."""
    with tempfile.TemporaryDirectory(prefix="ccotel-ottl-") as folder:
        path = write_config(oracle_config(items), Path(folder))
        argv = [str(binary), "validate", "--config", str(path), *RUN_FLAGS]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    verdicts: list[str | None] = [None] * len(items)
    if done.returncode == 0:
        return verdicts
    found = False
    for line in done.stderr.splitlines():
        line = line.removeprefix("Error: ")
        matched = _ERROR_LINE.match(line)
        if matched:
            verdicts[int(matched.group(1))] = matched.group(2)
            found = True
    if not found:
        raise RuntimeError(f"the collector rejected the oracle config for another reason: {done.stderr[-500:]}")
    return verdicts
