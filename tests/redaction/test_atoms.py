"""Rule gates (redaction/atoms.py): every match of a rule contains one of its atoms, so a gate never skips a match."""

from __future__ import annotations

import json

import re2
from conftest import FIXTURES

from ccotel.redaction.atoms import atoms, case_sensitive
from ccotel.redaction.catalogue import default_catalogue
from ccotel.redaction.render import gate_condition

RULES = default_catalogue().rules
SAFE = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.:/+=@#%!?,;~*'()|^$ ")


def _texts() -> list[str]:
    texts = [e.text for rule in RULES for e in rule.examples]
    corpus = FIXTURES / "redaction" / "secrets" / "corpus.jsonl"
    texts += [json.loads(line)["text"] for line in corpus.read_text(encoding="utf-8").splitlines()]
    return texts


def test_every_match_in_examples_and_the_secret_corpus_contains_an_atom() -> None:
    texts = _texts()
    checked = 0
    for rule in RULES:
        found = atoms(rule.pattern)
        if not found:
            continue
        regex = re2.compile(rule.pattern)
        keep_case = case_sensitive(rule.pattern)
        for text in texts:
            for match in regex.finditer(text):
                checked += 1
                matched = match.group(0) if keep_case else match.group(0).lower()
                assert any(atom in matched for atom in found), (rule.id, found, match.group(0))
    assert checked > 1500


def test_atoms_are_json_safe_and_not_part_of_a_marker_and_lower_case_unless_the_rule_keeps_case() -> None:
    gated = [(atoms(rule.pattern), case_sensitive(rule.pattern)) for rule in RULES]
    assert all(found for found, _ in gated)  # every rule of today's catalogue is gated
    assert sum(1 for found, _ in gated if min(map(len, found)) >= 3) >= 0.98 * len(RULES)
    for found, keep_case in gated:
        for atom in found:
            assert set(atom) <= SAFE and "redacted:" not in atom.lower() and "[" not in atom
            assert keep_case or atom == atom.lower()


def test_atoms_of_known_shapes() -> None:
    assert atoms(r"(\\[nrt]|\b)(?:A3T[A-Z0-9]|AKIA|ASIA)[A-Z2-7]{16}\b") == ("A3T", "AKIA", "ASIA")
    assert atoms(r"(?i)(?:A3T[A-Z0-9]|AKIA|ASIA)[A-Z2-7]{16}") == ("a3t", "akia", "asia")
    assert atoms(r"(?i)(--(?:pass|password))\s\S+") == ("--pass",)  # --pass covers --password
    assert atoms(r"\bSK[0-9a-f]{32}") == ("SK",)  # shorter than 3 only when nothing longer is required
    assert atoms(r"(?i)(bearer[ \t]+)[A-Za-z0-9._~+/-]{16,}=*") == ("bearer",)
    assert atoms(r"(?:ghs|ghu)_[A-Za-z0-9]{36}") == ("ghs_", "ghu_")
    assert atoms(r"[a-f0-9]{40}") == ()  # nothing literal: the rule runs on every text
    assert gate_condition("span", ("ghs_",), keep_case=True) == (
        ' where Index(span.cache["ccotel.redaction.text"], "ghs_") >= 0')
    assert gate_condition("log", ("bearer", "token")) == (
        ' where Index(log.cache["ccotel.redaction.lower"], "bearer") >= 0'
        ' or Index(log.cache["ccotel.redaction.lower"], "token") >= 0')
    assert gate_condition("span", ()) == ""
