"""False positives: no rule may match realistic, secret-free tool output, except the documented allow-list.

The corpus is tests/fixtures/redaction/corpus (code, logs, a diff, hashes, UUIDs, base64, a lockfile,
minified JS, docs, a compose file, a terminal session, transcript rows and gen_ai JSON), plus the
real Claude Code sessions in tests/fixtures/transcripts. Matches are counted per file and rule with
each rule alone (so a rule is not hidden by an earlier one) and compared with allowlist.yaml.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import yaml
from conftest import FIXTURES, TRANSCRIPTS

from ccotel.redaction.engine import default_redactor

CORPUS = FIXTURES / "redaction" / "corpus"
ALLOWLIST = FIXTURES / "redaction" / "allowlist.yaml"


def _files() -> list[Path]:
    files = sorted(p for p in CORPUS.iterdir() if p.is_file())
    files += sorted(p for p in TRANSCRIPTS.rglob("*") if p.is_file())
    return files


def _matches() -> Counter[tuple[str, str]]:
    counts: Counter[tuple[str, str]] = Counter()
    for path in _files():
        data = path.read_bytes()
        for compiled in default_redactor().rules:
            found = sum(1 for _ in compiled.regex.finditer(data))
            if found:
                counts[(path.name, compiled.rule.id)] += found
    return counts


def test_the_corpus_is_varied_and_large_enough() -> None:
    names = {p.name for p in CORPUS.iterdir()}
    assert {"python_module.py", "app.log", "git.diff", "hashes.txt", "base64.txt", "package-lock.json",
            "minified.js", "transcript-tool-result.jsonl", "genai-input-messages.json"} <= names
    assert sum(p.stat().st_size for p in _files()) > 1_000_000


def test_no_rule_matches_the_corpus_beyond_the_allow_list() -> None:
    allowed = yaml.safe_load(ALLOWLIST.read_text(encoding="utf-8"))
    expected = Counter(
        {(name, rule): entry["count"] for name, rules in allowed.items() for rule, entry in rules.items()}
    )
    assert all(entry["reason"].strip() for rules in allowed.values() for entry in rules.values())
    found = _matches()
    unexpected = {key: count for key, count in found.items() if expected.get(key) != count}
    missing = {key: count for key, count in expected.items() if found.get(key) != count}
    assert unexpected == {}, f"false positives (file, rule): {unexpected}"
    assert missing == {}, f"allow-listed matches that changed: {missing}"


def test_redacting_the_corpus_changes_only_the_allow_listed_text() -> None:
    for path in _files():
        data = path.read_bytes()
        redacted = default_redactor().redact_bytes(data)
        if path.name != "url-docs.md":
            assert redacted == data, path.name
