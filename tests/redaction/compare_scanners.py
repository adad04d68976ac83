"""ccotel vs kingfisher vs betterleaks on the project's secret corpus and its benign look-alikes (a Markdown table).

    .venv/bin/python tests/redaction/compare_scanners.py

Each corpus item (tests/fixtures/redaction/{secrets/corpus,benign/lookalikes}.jsonl) is written to its own
file; both scanners scan the folder with their default rules and settings (no validation). A secret counts
as found when a finding in its file contains it (catalogue examples without a stated secret: any finding);
ccotel finds it when its output no longer contains it. A look-alike is a false positive when the tool
reports anything in it (ccotel: changes it).
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections import defaultdict
from importlib import util
from pathlib import Path

HERE = Path(__file__).resolve().parent
FIXTURES = HERE.parent / "fixtures" / "redaction"


def _module(name: str):  # type: ignore[no-untyped-def]
    spec = util.spec_from_file_location(name, HERE / f"{name}.py")
    assert spec and spec.loader
    module = util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _by_file(findings: list[tuple[str, str, str]]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = defaultdict(list)
    for _, path, secret in findings:
        grouped[Path(path).name].append(secret)
    return grouped


def main() -> None:
    from ccotel.redaction.engine import default_redactor

    scanners = _module("scanners")
    load = lambda name: [json.loads(line) for line in (FIXTURES / name).read_text().splitlines()]  # noqa: E731
    secrets, benign = load("secrets/corpus.jsonl"), load("benign/lookalikes.jsonl")
    rows = {}
    with tempfile.TemporaryDirectory() as folder:
        for label, items in (("s", secrets), ("b", benign)):
            for index, item in enumerate(items):
                (Path(folder) / f"{label}{index:05d}.txt").write_text(item["text"], encoding="utf-8")
        for tool in ("kingfisher", "betterleaks"):
            found = _by_file(getattr(scanners, f"{tool}_findings")(Path(folder)))
            hits = sum(1 for i, item in enumerate(secrets) if any(
                (item["secret"] in value) if item["secret"] else True for value in found.get(f"s{i:05d}.txt", [])))
            false = sum(1 for i in range(len(benign)) if found.get(f"b{i:05d}.txt"))
            rows[tool] = (hits, false)
    redactor = default_redactor()
    hits = sum(1 for item in secrets if ((item["secret"] not in redactor.redact(item["text"])) if item["secret"]
               else "[REDACTED:" in redactor.redact(item["text"])))
    false = sum(1 for item in benign if redactor.redact(item["text"]) != item["text"])
    rows = {"ccotel": (hits, false), **rows}
    print(f"| tool | secrets found (of {len(secrets)}) | recall | look-alikes flagged (of {len(benign)}) | FP rate |")
    print("|---|---|---|---|---|")
    for tool, (hit, fp) in rows.items():
        print(f"| {tool} | {hit} | {hit / len(secrets):.1%} | {fp} | {fp / len(benign):.1%} |")


if __name__ == "__main__":
    main()
