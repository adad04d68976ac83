"""The one-line result of the end-to-end suite, filled in by the tests and printed at the end of the run.

`pipeline e2e: collector <release> (<n> components); spans <n> through; secrets leaked <n> of <n>;
dashboard queries with data <k>/<m>; alert rules evaluated <a>/<b>; native telemetry <ok or what failed>`

Each figure is written by the test that measures it; a figure no test measured prints as `?` (so a run that
stopped early cannot look complete). The line is also written to build/e2e/summary.txt for `make e2e`.
"""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SUMMARY_FILE = REPO / "build" / "e2e" / "summary.txt"

results: dict[str, str] = {}
unverified: list[str] = []


def record(key: str, value: object) -> None:
    results[key] = str(value)


def line(values: dict[str, str] | None = None) -> str:
    values = results if values is None else values

    def get(key: str) -> str:
        return values.get(key, "?")

    return (f"pipeline e2e: collector {get('release')} ({get('components')} components); "
            f"spans {get('spans')} through; secrets leaked {get('leaked')} of {get('secrets')}; "
            f"dashboard queries with data {get('queries_ok')}/{get('queries')}; "
            f"alert rules evaluated {get('rules_ok')}/{get('rules')}; native telemetry {get('native')}")


def write() -> str:
    text = line()
    SUMMARY_FILE.parent.mkdir(parents=True, exist_ok=True)
    extra = "".join(f"  unverified: {item}\n" for item in unverified)
    SUMMARY_FILE.write_text(extra + text + "\n", encoding="utf-8")
    return text
