"""`ccotel pipeline translate|run`: translate alloy/ and print the YAML, or run it in the test collector.

The config is written to a private temporary folder (0700, file 0600: it may hold credentials) and removed
when the collector exits; the collector runs in the foreground until Ctrl-C.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

import yaml

from ccotel.collector.otelcol import binary
from ccotel.collector.otelcol.translate import translate
from ccotel.errors import CcotelError


def repo_alloy_dir() -> Path:
    from ccotel.collector.pipeline.check import repo_alloy_dir as packaged

    return packaged()


def to_yaml(config: Mapping[str, object]) -> str:
    return yaml.safe_dump(dict(config), sort_keys=False, width=100000, allow_unicode=True)


def write_config(config: Mapping[str, object], folder: Path) -> Path:
    """config.yaml in folder, readable by its owner only."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / "config.yaml"
    path.touch(mode=0o600)
    path.write_text(to_yaml(config), encoding="utf-8")
    return path


def run_or_print(directory: Path | None, env: Mapping[str, str], *, run: bool, storage: Path | None) -> int:
    alloy_dir = directory or repo_alloy_dir()
    if not alloy_dir.is_dir():
        raise CcotelError(f"{alloy_dir}: not a directory (Alloy loads a directory's *.alloy files)")
    folder = Path(tempfile.mkdtemp(prefix="ccotel-otelcol-"))
    try:
        config = translate(alloy_dir, env, storage_dir=storage or folder / "storage")
        if not run:
            sys.stdout.write(to_yaml(config))
            return 0
        executable = binary.ensure_built()
        path = write_config(config, folder)
        print(f"ccotel pipeline run: {executable} --config {path} (Ctrl-C stops it)", file=sys.stderr)
        process = subprocess.Popen(binary.command(path, executable))
        try:
            return process.wait()
        except KeyboardInterrupt:  # let the collector drain its batches into the queues, then clean up
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            return 130
    finally:
        shutil.rmtree(folder, ignore_errors=True)
