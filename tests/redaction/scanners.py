"""Run the two outside scanners (installed by the `test` extra) on files: (rule source, secret) findings."""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path

from ccotel.redaction.outside import betterleaks_binary, kingfisher_binary

# Kingfisher compiles its rules into a Vectorscan database (~10 s) and caches it under HOME, which each
# test gets fresh: keep the cache in one place for the whole run instead.
KINGFISHER_CACHE = Path(tempfile.gettempdir()) / "ccotel-kingfisher-rule-cache"


def betterleaks_findings(target: Path) -> list[tuple[str, str, str]]:
    """(source, path, secret) for every betterleaks finding under target (file or directory)."""
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "report.json"
        subprocess.run([str(betterleaks_binary()), "fs", str(target), "-o", str(report), "--no-banner",
                        "--log-level", "error", "--exit-code", "0"], check=True, capture_output=True, timeout=300)
        document = json.loads(report.read_text(encoding="utf-8") or "{}")
    findings = document.get("findings", document) if isinstance(document, dict) else document
    return [(f"betterleaks:{item['rule_id']}", item["location"]["path"],
             item["match"]["value"] or item["match"]["full"]) for item in findings or []]


def kingfisher_findings(target: Path) -> list[tuple[str, str, str]]:
    """(source, path, secret) for every kingfisher finding under target (file or directory)."""
    result = subprocess.run([str(kingfisher_binary()), "scan", str(target), "--format", "json", "--no-validate",
                             "-q", "--no-update-check", "--no-dedup",
                             "--rule-cache-dir", str(KINGFISHER_CACHE)], capture_output=True, text=True, timeout=600)
    document = json.loads(result.stdout or "{}")
    out = []
    for item in document.get("findings", []):
        rule_id = item["rule"]["id"]
        source = f"betterleaks:{rule_id.removeprefix('betterleaks.')}" if rule_id.startswith("betterleaks.") \
            else f"kingfisher:{rule_id}"
        out.append((source, item["finding"]["path"], item["finding"]["snippet"]))
    return out
