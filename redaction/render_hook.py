"""Render the catalogue for the hook: redaction/rules.yaml -> hook/secret_rules.json (committed).

    python -m ccotel.redaction.render_hook           rewrite the committed file from redaction/rules.yaml
    python -m ccotel.redaction.render_hook --check   exit 1 if the committed file is out of date

The hook may import nothing of ccotel.redaction (no YAML, no catalogue validation on its hot path), so
the catalogue reaches it the way it reaches Alloy: rendered. Per rule, in catalogue order: its id, its
RE2 pattern, and its replacement template already split by Go's Expand rules (ccotel.redaction.expand)
into literal text (JSON strings) and group numbers (JSON integers; -1 expands to nothing), and its atoms
(ccotel.redaction.atoms: literals one of which every match contains, the pipeline's gate) with whether
they keep their case. The hook's
applier (ccotel.hook.scrub) only compiles and substitutes; tests/redaction/test_hook_scrub.py holds it
byte-identical to ccotel.redaction.engine. The output depends only on the catalogue: same input, same bytes.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from pathlib import Path

import re2

from ccotel.redaction.atoms import atoms, case_sensitive
from ccotel.redaction.catalogue import Catalogue, default_catalogue
from ccotel.redaction.expand import group_names, parse_template
from ccotel.redaction.render import MARKER_PATTERN, REDACTED_ATTRIBUTE

RULES_FILE_NAME = "secret_rules.json"
REGENERATE_COMMAND = "python -m ccotel.redaction.render_hook"
FORMAT_VERSION = 1


def render(catalogue: Catalogue) -> str:
    """The whole hook/secret_rules.json text."""
    rules = []
    for rule in catalogue.rules:
        regex = re2.compile(rule.pattern.encode("ascii"))
        parts = parse_template(rule.replacement, regex.groups, group_names(regex))
        rules.append({
            "id": rule.id,
            "pattern": rule.pattern,
            "replacement": [part.decode("utf-8") if isinstance(part, bytes) else part for part in parts],
            "atoms": list(atoms(rule.pattern)),
            "keep_case": case_sensitive(rule.pattern),
        })
    head = {
        "generated": f"by {REGENERATE_COMMAND} from redaction/rules.yaml; do not edit",
        "version": FORMAT_VERSION,
        "marker": MARKER_PATTERN.replace("\\", ""),  # the literal text every replacement contains
        "redacted_attribute": REDACTED_ATTRIBUTE,
    }
    lines = [f" {json.dumps(key)}: {json.dumps(value)}," for key, value in head.items()]
    body = ",\n".join(f"  {json.dumps(rule, ensure_ascii=True, separators=(',', ':'))}" for rule in rules)
    return "{\n" + "\n".join(lines) + '\n "rules": [\n' + body + "\n ]\n}\n"  # one rule a line: short diffs


def rules_path() -> Path:
    """hook/secret_rules.json: the hook package is this package's sibling, in the repository and installed."""
    return Path(__file__).resolve().parent.parent / "hook" / RULES_FILE_NAME


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=f"{REGENERATE_COMMAND}", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the committed file is out of date")
    args = parser.parse_args(list(argv) if argv is not None else None)
    text = render(default_catalogue())
    path = rules_path()
    current = path.read_text(encoding="utf-8") if path.exists() else None
    if args.check:
        if current != text:
            print(f"{path} is out of date: run {REGENERATE_COMMAND}", file=sys.stderr)
            return 1
        return 0
    if current != text:
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
