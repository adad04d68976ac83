"""The scanners as oracles: what betterleaks or kingfisher would find in a realistic context, ccotel redacts.

For every rule of both scanners that the generated catalogue keeps (redaction/outside_rules.yaml), strings
are generated from the rule's secret pattern (tests/redaction/regex_strings.py, fixed seeds) and set in
realistic contexts (tests/redaction/secret_contexts.py). Wherever the scanner's own pattern, read from the
installed scanner, finds the secret, ccotel's output must no longer contain it. Every scanner rule is kept
or listed as excluded with a reason; the generated file must be what the pinned scanners give today.
"""

from __future__ import annotations

import json
import re
import sys
from functools import lru_cache
from importlib import util
from pathlib import Path

import pytest
import re2
import yaml

from ccotel.redaction.catalogue import default_catalogue, default_path
from ccotel.redaction.engine import default_redactor
from ccotel.redaction.outside import (
    OUTSIDE_FILE,
    ScannerRule,
    catalogue_id,
    generate_outside_yaml,
    own_ids,
    scanner_rules,
)


def helper(name: str):  # type: ignore[no-untyped-def]
    """A helper module beside this file (tests/redaction is not a package: `redaction` is the project's)."""
    if name not in sys.modules:
        spec = util.spec_from_file_location(name, Path(__file__).with_name(f"{name}.py"))
        assert spec and spec.loader
        module = util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


OUTSIDE = default_path().parent / OUTSIDE_FILE
strings_for = helper("regex_strings").strings_for
contexts = helper("secret_contexts").contexts


@lru_cache(maxsize=1)
def _scanner() -> dict[str, ScannerRule]:
    return {rule.source: rule for rule in scanner_rules()}


def _generated() -> dict[str, dict]:  # type: ignore[type-arg]
    return yaml.safe_load(OUTSIDE.read_text(encoding="utf-8"))


KEPT = [rule for rule in default_catalogue().rules if rule.source != "ccotel"]


def test_generated_rules_are_what_the_pinned_scanners_give() -> None:
    own = own_ids(default_path())
    assert own == {rule.id for rule in default_catalogue().rules if rule.source == "ccotel"}
    assert generate_outside_yaml(list(_scanner().values()), own) == OUTSIDE.read_text(encoding="utf-8"), (
        "redaction/outside_rules.yaml is stale: run `ccotel redact --refresh`, review the diff, re-render")


def test_every_scanner_rule_is_kept_or_excluded_with_a_reason() -> None:
    document = _generated()
    kept = {rule["source"] for rule in document["rules"]}
    excluded = {item["source"]: item["reason"] for item in document["excluded"]}
    assert kept | excluded.keys() == _scanner().keys()
    assert not kept & excluded.keys()
    assert all(len(reason) > 20 for reason in excluded.values())
    assert len(kept) >= 400  # most of both rule sets (about 490 rules) fit RE2 and OTTL


def _scanner_secret(match: re2._Match, rule: ScannerRule) -> str:  # type: ignore[name-defined]
    if rule.secret_group:
        return match.group(rule.secret_group) or ""
    return next((group for group in match.groups() if group), match.group(0))


def _keyword(rule: ScannerRule) -> str:
    words = [word for word in rule.keywords if re.fullmatch(r"[a-z][a-z0-9]{2,}", word)]
    return words[0] if words else re.split(r"[-_.]", rule.id)[0]


@pytest.mark.parametrize("rule", KEPT, ids=[rule.id for rule in KEPT])
def test_what_the_scanner_finds_in_context_is_redacted(rule) -> None:  # type: ignore[no-untyped-def]
    scanner = _scanner()[rule.source]
    regex = re2.compile(scanner.pattern)
    checked = 0
    texts = [(context, text, secret) for seed in (1, 2, 3) for secret in strings_for(rule.secret, seed, count=2)
             for context, text in contexts(secret, _keyword(scanner)).items()]
    for seed in (4, 5):  # the whole scanner pattern, its own context included, on a line / in JSON / in a row
        for whole in strings_for(scanner.pattern, seed, count=2):
            texts += [("line", f"output:\n{whole}\ndone\n", ""), ("json-value", json.dumps({"content": whole}), ""),
                      ("transcript", helper("secret_contexts").transcript_row(f"$ cat config\n{whole}\n"), "")]
    for context, text, secret in texts:
        found = [_scanner_secret(m, scanner) for m in regex.finditer(text)]
        found = [value for value in found if len(value) >= 4 and (secret in value or value in secret)]
        if not found:
            continue  # the scanner itself does not see it here (e.g. a quote its pattern excludes)
        checked += 1
        redacted = default_redactor().redact(text)
        leaked = [value for value in found if value in redacted]
        assert not leaked, f"{rule.id} in {context}: {text!r} -> {redacted!r}"
    assert checked >= 2, f"{rule.id}: the scanner found its own generated secrets in only {checked} contexts"


def test_catalogue_ids_are_kebab_case_for_both_scanners() -> None:
    ids = [catalogue_id(rule) for rule in _scanner().values()]
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule_id) for rule_id in ids)
