"""The test collector binary: where it is, how it is built (`make otelcol`), how to run and validate with it.

    ensure_built() -> Path          command(config) -> argv          validate(config) -> (ok, output)

The binary is built from collector/otelcol/{go.mod,go.sum,*.go} into build/otelcol/ccotel-otelcol (or the
path in CCOTEL_OTELCOL_BINARY), and rebuilt when one of those files is newer than it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from ccotel.errors import CcotelError

# One release for every collector module (go.mod): contrib and core v0.158.0, core's stable modules v1.64.0 --
# the release Grafana Alloy v1.19 embeds.
RELEASE = "v0.158.0"
GO_DIR = Path(__file__).resolve().parent
REPO_ROOT = GO_DIR.parents[1]
DEFAULT_BINARY = REPO_ROOT / "build" / "otelcol" / "ccotel-otelcol"
BINARY_ENV = "CCOTEL_OTELCOL_BINARY"
GO_FALLBACK = Path("/usr/local/go/bin/go")
# Flags every run needs besides --config (none today: upstream runs alpha components without a gate).
RUN_FLAGS: tuple[str, ...] = ()


def binary_path() -> Path:
    return Path(os.environ[BINARY_ENV]) if os.environ.get(BINARY_ENV) else DEFAULT_BINARY


def go_command() -> str | None:
    """The go tool: on PATH, else where Debian-less machines of this kind have it."""
    found = shutil.which("go")
    if found:
        return found
    return str(GO_FALLBACK) if GO_FALLBACK.is_file() and os.access(GO_FALLBACK, os.X_OK) else None


def sources() -> list[Path]:
    return sorted([*GO_DIR.glob("*.go"), *GO_DIR.glob("*/*.go"), GO_DIR / "go.mod", GO_DIR / "go.sum"])


def is_stale(binary: Path) -> bool:
    if not binary.is_file():
        return True
    built = binary.stat().st_mtime
    return any(source.is_file() and source.stat().st_mtime > built for source in sources())


def ensure_built() -> Path:
    """The binary, built first if it is missing or older than its sources. CcotelError (one line) otherwise."""
    binary = binary_path()
    if not is_stale(binary) or (binary.is_file() and not (GO_DIR / "go.mod").is_file()):
        return binary
    if not (GO_DIR / "go.mod").is_file():
        raise CcotelError(f"the test collector is not built ({binary}) and its Go sources are not here: "
                          "build it from a source checkout with `make otelcol`")
    go = go_command()
    if go is None:
        raise CcotelError("the test collector needs Go 1.26 to build (not on PATH, not at /usr/local/go/bin/go)")
    binary.parent.mkdir(parents=True, exist_ok=True)
    argv = [go, "build", "-trimpath", "-ldflags=-s -w", "-o", str(binary), "."]
    done = subprocess.run(argv, cwd=GO_DIR, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise CcotelError(f"building the test collector failed: {last}")
    return binary


def command(config: Path, binary: Path | None = None) -> list[str]:
    """The argv that runs the collector with one config file."""
    return [str(binary or binary_path()), "--config", str(config), *RUN_FLAGS]


def validate(config: Path, binary: Path | None = None, timeout: float = 60) -> tuple[bool, str]:
    """`ccotel-otelcol validate --config FILE`: the real config loader, factories and OTTL parsers."""
    argv = [str(binary or binary_path()), "validate", "--config", str(config), *RUN_FLAGS]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    return done.returncode == 0, (done.stdout + done.stderr).strip()
