"""The catalogue (redaction/rules.yaml): its size, its examples and look-alikes, and load-time validation.

Every example's `redacted` text in the catalogue was written by hand; here google-re2 (the RE2
dialect OTTL runs) has to produce exactly that.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import re2

from ccotel.redaction.catalogue import CatalogueError, Rule, default_catalogue, load
from ccotel.redaction.engine import default_redactor

RULES = default_catalogue().rules
EXAMPLES = [(rule, example) for rule in RULES for example in rule.examples]
LOOKALIKES = [(rule, text) for rule in RULES for text in rule.lookalikes]


def _example_id(item: tuple[Rule, object]) -> str:
    return item[0].id


def test_at_least_forty_kinds_with_unique_kebab_case_ids() -> None:
    ids = [rule.id for rule in RULES]
    assert len(ids) >= 40
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule_id) for rule_id in ids)


def test_the_kinds_the_issue_asks_for_are_there() -> None:
    ids = {rule.id for rule in RULES}
    wanted = {
        "aws-access-key-id", "aws-secret-access-key", "gcp-service-account-key", "google-api-key",
        "azure-storage-account-key", "azure-sas-token", "anthropic-api-key", "openai-api-key",
        "langfuse-secret-key", "huggingface-token", "grafana-cloud-token", "grafana-service-account-token",
        "github-pat", "github-fine-grained-pat", "gitlab-pat", "npm-token", "pypi-token", "slack-token",
        "slack-webhook", "stripe-secret-key", "twilio-api-key", "sendgrid-api-key", "jwt", "private-key",
        "authorization-basic", "bearer-token", "url-password", "connection-string-password",
        "secret-assignment-env", "secret-assignment-quoted",
    }
    assert wanted <= ids


def test_every_pattern_compiles_in_re2_and_replacement_shows_the_kind() -> None:
    for rule in RULES:
        re2.compile(rule.pattern)
        assert f"[REDACTED:{rule.id}]" in rule.replacement


def test_every_own_rule_has_examples_with_expected_output() -> None:
    """The project's own rules; the generated ones are tested from their scanner patterns (test_outside)."""
    for rule in RULES:
        if rule.source != "ccotel":
            assert rule.secret and rule.source.split(":")[0] in {"betterleaks", "kingfisher"}, rule.id
            continue
        assert rule.examples and rule.lookalikes, rule.id
        assert any(example.redacted is not None for example in rule.examples), rule.id


@pytest.mark.parametrize(("rule", "example"), EXAMPLES, ids=[_example_id(e) for e in EXAMPLES])
def test_example_matches_and_redacts_as_written(rule: Rule, example) -> None:  # type: ignore[no-untyped-def]
    assert re2.search(rule.pattern, example.text), f"{rule.id} does not match {example.text!r}"
    redacted = default_redactor().redact(example.text)
    assert f"[REDACTED:{rule.id}]" in redacted
    if example.redacted is not None:
        assert redacted == example.redacted
    assert default_redactor().redact(redacted) == redacted, "redacting twice must change nothing"


@pytest.mark.parametrize(("rule", "text"), LOOKALIKES, ids=[_example_id(e) for e in LOOKALIKES])
def test_lookalike_is_left_alone(rule: Rule, text: str) -> None:
    assert re2.search(rule.pattern, text) is None, f"{rule.id} matches its look-alike {text!r}"
    assert default_redactor().redact(text) == text


def test_specific_kinds_win_over_generic_assignments() -> None:
    redactor = default_redactor()
    assert redactor.redact("GITHUB_TOKEN=ghp_jgez1ZZtAK6U6XrNsl5PTApdj7tJ2gGcLFpC") == (
        "GITHUB_TOKEN=[REDACTED:github-pat]"
    )
    assert redactor.redact('password = "sk-lf-1f6c2a8e-4b1d-4c55-9a3e-7d2f0b9c8e41"') == (
        'password = "[REDACTED:langfuse-secret-key]"'
    )
    generic = [i for i, rule in enumerate(RULES) if rule.id.startswith("secret-assignment-")]
    assert generic == list(range(len(RULES) - len(generic), len(RULES)))


# --- validation on load: every error names the file and the rule or key ------------------------------

GOOD_RULE = """
  - id: demo-token
    description: a demo token
    pattern: '(token=)[a-z]{8}'
    replacement: '${1}[REDACTED:demo-token]'
    examples:
      - text: 'token=abcdefgh'
        redacted: 'token=[REDACTED:demo-token]'
    lookalikes:
      - 'token=abc'
"""


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "broken-rules.yaml"
    path.write_text(body, encoding="utf-8")
    return path


def test_a_good_catalogue_loads(tmp_path: Path) -> None:
    catalogue = load(_write(tmp_path, "version: 1\nrules:" + GOOD_RULE))
    assert [rule.id for rule in catalogue.rules] == ["demo-token"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("pattern: '(token=)[a-z]{8}'", "pattern: '(token=[a-z]{8}'"), r"rule 'demo-token'.*'pattern'.*RE2"),
        (("pattern: '(token=)[a-z]{8}'", "pattern: '(?<=token=)[a-z]{8}'"), r"rule 'demo-token'.*RE2"),
        (("pattern: '(token=)[a-z]{8}'", "pattern: '(token=)?[a-z]*'"), r"rule 'demo-token'.*empty string"),
        (("pattern: '(token=)[a-z]{8}'", "pattern: '(token=)[a-z\\x60]{8}'"), None),
        (("pattern: '(token=)[a-z]{8}'", "pattern: '(token=)[a-z`]{8}'"), r"rule 'demo-token'.*backtick"),
        (("'${1}[REDACTED:demo-token]'", "'${1}[REDACTED]'"), r"rule 'demo-token'.*\[REDACTED:demo-token\]"),
        (("'${1}[REDACTED:demo-token]'", "'$1x[REDACTED:demo-token]'"), r"rule 'demo-token'.*\$\{1\}"),
        (("'${1}[REDACTED:demo-token]'", "'${2}[REDACTED:demo-token]'"), r"rule 'demo-token'.*lacks"),
        (("id: demo-token", "id: Demo_Token"), r"rules\[0\].*'id'.*kebab-case"),
        (("    description: a demo token\n", ""), r"rule 'demo-token'.*'description'"),
        (("    lookalikes:\n      - 'token=abc'\n", ""), r"rule 'demo-token'.*'lookalikes'"),
        (("    examples:", "    colour: red\n    examples:"), r"rule 'demo-token'.*unknown key.*colour"),
        (("        redacted: 'token=[REDACTED:demo-token]'", "        redacted: [1]"), r"examples\[0\].*'redacted'"),
    ],
)
def test_a_broken_rule_is_named(tmp_path: Path, change: tuple[str, str], message: str | None) -> None:
    old, new = change
    assert old in GOOD_RULE
    path = _write(tmp_path, "version: 1\nrules:" + GOOD_RULE.replace(old, new))
    if message is None:
        load(path)
        return
    with pytest.raises(CatalogueError, match=message) as caught:
        load(path)
    assert str(caught.value).startswith(f"{path}: ")


def test_duplicate_ids_version_and_yaml_errors_are_named(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match=r"broken-rules.yaml: rule 'demo-token': duplicate id"):
        load(_write(tmp_path, "version: 1\nrules:" + GOOD_RULE + GOOD_RULE))
    with pytest.raises(CatalogueError, match=r"broken-rules.yaml: key 'version'"):
        load(_write(tmp_path, "version: 2\nrules:" + GOOD_RULE))
    with pytest.raises(CatalogueError, match=r"broken-rules.yaml: not valid YAML"):
        load(_write(tmp_path, "version: 1\nrules: [\n"))
    with pytest.raises(CatalogueError, match=r"broken-rules.yaml: key 'rules'"):
        load(_write(tmp_path, "version: 1\nrules: []\n"))
    with pytest.raises(CatalogueError, match=r"missing.yaml: cannot read"):
        load(tmp_path / "missing.yaml")
