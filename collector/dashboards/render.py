"""Render the ccotel dashboards to stack/grafana/dashboards/*.json (what Grafana provisions).

    python -m ccotel.collector.dashboards.render           write the JSON files of this checkout
    python -m ccotel.collector.dashboards.render --check   exit 1 if a committed file differs from a fresh render
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ccotel.collector.dashboards import activity, overview, pipeline, sessions, team, tools

# The checkout's provisioned dashboards (collector/ sits beside stack/ in the repository).
OUTPUT = Path(__file__).resolve().parents[2] / "stack" / "grafana" / "dashboards"
BUILDERS = {
    "ccotel-overview.json": overview.build,
    "ccotel-tools.json": tools.build,
    "ccotel-sessions.json": sessions.build,
    "ccotel-pipeline.json": pipeline.build,
    "ccotel-activity.json": activity.build,
    "ccotel-team.json": team.build,
}


def rendered() -> dict[str, str]:
    """file name -> JSON text, deterministic (sorted keys, 2-space indent, trailing newline)."""
    return {name: json.dumps(build(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
            for name, build in BUILDERS.items()}


def main(argv: list[str]) -> int:
    stale = []
    for name, text in rendered().items():
        path = OUTPUT / name
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            continue
        if "--check" in argv:
            stale.append(name)
        else:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path}")
    if stale:
        print(f"stale dashboards (python -m ccotel.collector.dashboards.render): {', '.join(stale)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
