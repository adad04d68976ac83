"""Derive, from the OTTL Go sources (pkg/ottl/ottlfuncs of the collector release in collector/otelcol/go.mod),
which positional parameters of each OTTL function take a string (`string`, `ottl.StringGetter[K]`, optional or
not): a literal of another type there is rejected by the real parser ("expected string but got int64").

    python tests/ottl_string_params.py   # prints the table for collector/pipeline/ottl_types.py
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

_STRING = re.compile(r"^(?:ottl\.Optional\[)?(?:string|ottl\.StringGetter\[K\])\]?$")


def ottlfuncs_dir() -> Path:
    from ccotel.collector.otelcol.binary import GO_DIR, RELEASE, go_command

    go = go_command()
    if go is None:
        raise RuntimeError("Go is needed to locate the OTTL sources")
    cache = subprocess.run([go, "env", "GOMODCACHE"], cwd=GO_DIR, capture_output=True, text=True, check=True)
    module = f"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/ottl@{RELEASE}"
    return Path(cache.stdout.strip()) / module / "ottlfuncs"


def string_params(folder: Path) -> dict[str, tuple[int, ...]]:
    table: dict[str, tuple[int, ...]] = {}
    for path in sorted(folder.glob("func_*.go")):
        if path.name.endswith("_test.go"):
            continue
        text = path.read_text(encoding="utf-8")
        for name, struct in re.findall(r'NewFactory\("(\w+)", &(\w+)\[K\]\{\}', text):
            body = re.search(rf"type {struct}\[K any\] struct \{{(.*?)\n\}}", text, re.S)
            if body is None:
                continue
            fields = [line.split(None, 1) for line in body.group(1).strip().splitlines() if line.strip()]
            fields = [f for f in fields if len(f) == 2 and not f[0].startswith("//")]
            positions = tuple(i for i, (_, kind) in enumerate(fields) if _STRING.match(kind.split("`")[0].strip()))
            if positions:
                table[name] = positions
    return table


if __name__ == "__main__":
    for function, positions in sorted(string_params(ottlfuncs_dir()).items()):
        print(f"    {function!r}: {positions!r},")
