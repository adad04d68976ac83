"""On every text corpus in the repository, what betterleaks or kingfisher finds is gone from ccotel's output.

Only findings of the scanner rules the generated catalogue keeps count (the excluded ones are listed with
their reasons in redaction/outside_rules.yaml); a finding counts as gone when its secret text no longer
appears in the redacted file.
"""

from __future__ import annotations

import sys
from importlib import util
from pathlib import Path

import pytest
import yaml

from ccotel.redaction.catalogue import default_path
from ccotel.redaction.engine import default_redactor
from ccotel.redaction.outside import OUTSIDE_FILE

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
CORPORA = [REPO / "tests/fixtures/redaction/corpus", REPO / "tests/fixtures/redaction/secrets",
           REPO / "tests/fixtures/redaction/benign", REPO / "tests/fixtures/transcripts"]


def _scanners():  # type: ignore[no-untyped-def]
    if "scanners" not in sys.modules:
        spec = util.spec_from_file_location("scanners", HERE / "scanners.py")
        assert spec and spec.loader
        module = util.module_from_spec(spec)
        sys.modules["scanners"] = module
        spec.loader.exec_module(module)
    return sys.modules["scanners"]


def _excluded() -> set[str]:
    document = yaml.safe_load((default_path().parent / OUTSIDE_FILE).read_text(encoding="utf-8"))
    return {item["source"] for item in document["excluded"] if "own rule" not in item["reason"]}


@pytest.mark.parametrize("corpus", CORPORA, ids=[path.name for path in CORPORA])
@pytest.mark.parametrize("scanner", ["betterleaks", "kingfisher"])
def test_every_covered_finding_is_gone_from_ccotel_output(corpus: Path, scanner: str) -> None:
    findings = getattr(_scanners(), f"{scanner}_findings")(corpus)
    excluded = _excluded()
    covered = [(source, path, secret) for source, path, secret in findings if source not in excluded and secret]
    redacted: dict[str, bytes] = {}
    left = []
    for source, path, secret in covered:
        file = Path(path) if Path(path).is_absolute() else REPO / path
        if path not in redacted:
            redacted[path] = default_redactor().redact_bytes(file.read_bytes())
        if secret.encode() in redacted[path]:
            left.append((source, file.name, secret[:60]))
    assert not left, f"{len(left)} of {len(covered)} {scanner} findings left in place: {left[:10]}"
    if corpus.name == "secrets":
        assert len(covered) >= 500  # the oracle does run and find the corpus' secrets
