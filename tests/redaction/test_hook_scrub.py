"""The hook's redaction (ccotel.hook.scrub over the rendered hook/secret_rules.json) against the engine.

The hook imports nothing of ccotel.redaction: the catalogue reaches it rendered, and its own small
applier runs it. Both must give the same bytes as ccotel.redaction.engine (itself checked against the
catalogue's hand-written expectations) on every rule's examples and look-alikes, on the whole
redaction corpus and the real transcripts, on all examples at once, and on examples embedded in JSON
once and twice. The rendered file must be what the catalogue renders to today.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import FIXTURES, TRANSCRIPTS
from hypothesis import given, settings
from hypothesis import strategies as st

from ccotel.hook import scrub
from ccotel.redaction.catalogue import default_catalogue
from ccotel.redaction.engine import Redactor, default_redactor
from ccotel.redaction.render import REDACTED_ATTRIBUTE
from ccotel.redaction.render_hook import REGENERATE_COMMAND, render, rules_path

CATALOGUE = default_catalogue()
EXAMPLES = [example.text for rule in CATALOGUE.rules for example in rule.examples]
LOOKALIKES = [text for rule in CATALOGUE.rules for text in rule.lookalikes]
CORPUS = sorted(p for p in (FIXTURES / "redaction" / "corpus").iterdir() if p.is_file())
CORPUS += sorted(p for p in TRANSCRIPTS.rglob("*") if p.is_file() and p.suffix in (".jsonl", ".json"))


@pytest.fixture(scope="module")
def scrubber() -> scrub.Scrubber:
    return scrub.load()


def test_the_rendered_rules_are_what_the_catalogue_renders_to() -> None:
    committed = rules_path().read_text(encoding="utf-8")
    assert committed == render(CATALOGUE), f"hook/secret_rules.json is stale: run {REGENERATE_COMMAND}"
    assert rules_path() == scrub.RULES_FILE.resolve()
    document = json.loads(committed)
    assert [rule["id"] for rule in document["rules"]] == [rule.id for rule in CATALOGUE.rules]
    assert document["redacted_attribute"] == REDACTED_ATTRIBUTE


def test_every_example_and_lookalike_gives_the_engines_bytes(scrubber: scrub.Scrubber) -> None:
    engine = default_redactor()
    differ = [text for text in EXAMPLES + LOOKALIKES if scrubber.redact(text) != engine.redact(text)]
    assert not differ, differ[:3]
    # and the examples really are redacted, so the comparison is not between two no-ops
    assert sum(scrubber.redact(text) != text for text in EXAMPLES) == len(EXAMPLES)


def test_all_examples_at_once_and_embedded_in_json(scrubber: scrub.Scrubber) -> None:
    engine = default_redactor()
    together = "\n".join(EXAMPLES)
    assert scrubber.redact(together) == engine.redact(together)
    for text in EXAMPLES:
        once = json.dumps({"role": "user", "content": text})
        twice = json.dumps([{"type": "tool_call_response", "response": once}])
        assert scrubber.redact(once) == engine.redact(once)
        assert scrubber.redact(twice) == engine.redact(twice)
        assert json.loads(json.loads(scrubber.redact(twice))[0]["response"])["content"] == engine.redact(text)


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.name)
def test_the_corpus_gives_the_engines_bytes(scrubber: scrub.Scrubber, path: Path) -> None:
    data = path.read_bytes()
    assert scrubber.redact_bytes(data) == default_redactor().redact_bytes(data)


def test_the_engine_without_its_prefilter_agrees_too(scrubber: scrub.Scrubber) -> None:
    """The plain definition (every rule in order, no set): what both prefiltered appliers must equal."""
    plain = Redactor(CATALOGUE, prefilter=False)
    for text in (*EXAMPLES[::7], "\n".join(EXAMPLES[::3])):
        assert scrubber.redact(text) == plain.redact(text)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(EXAMPLES + LOOKALIKES + ["", " ", "\n", '"', "\\n", "=", ": "]), max_size=8))
def test_random_mixtures_give_the_engines_bytes(scrubber: scrub.Scrubber, parts: list[str]) -> None:
    text = "".join(parts)
    assert scrubber.redact(text) == default_redactor().redact(text)


def test_an_otlp_json_request_is_redacted_everywhere_and_marked(scrubber: scrub.Scrubber) -> None:
    secret = next(text for text in EXAMPLES if "ghp_" in text)
    message = json.dumps([{"role": "user", "parts": [{"type": "text", "content": secret}]}])
    request = {"resourceSpans": [{
        "resource": {"attributes": [{"key": "team", "value": {"stringValue": secret}}]},
        "scopeSpans": [{"scope": {"name": "ccotel"}, "spans": [
            {"name": f"execute_tool {secret}", "attributes": [
                {"key": "gen_ai.input.messages", "value": {"stringValue": message}},
                {"key": "tags", "value": {"arrayValue": {"values": [{"stringValue": secret}, {"intValue": "3"}]}}},
            ], "status": {"code": 2, "message": secret},
             "events": [{"name": "e", "attributes": [{"key": "x", "value": {"stringValue": secret}}]}]},
            {"name": "chat m", "attributes": [{"key": "n", "value": {"intValue": "1"}}]},
            {"name": "clean"},
        ]}],
    }]}
    scrubber.document(request)
    text = json.dumps(request)
    assert "ghp_" not in text
    spans = request["resourceSpans"][0]["scopeSpans"][0]["spans"]
    expected = default_redactor().redact(secret)
    assert request["resourceSpans"][0]["resource"]["attributes"][0]["value"]["stringValue"] == expected
    assert spans[0]["status"]["message"] == expected and spans[0]["name"] == f"execute_tool {expected}"
    assert json.loads(spans[0]["attributes"][0]["value"]["stringValue"])[0]["parts"][0]["content"] == expected
    assert spans[0]["attributes"][-1] == {"key": REDACTED_ATTRIBUTE, "value": {"boolValue": True}}
    assert spans[1]["attributes"] == [{"key": "n", "value": {"intValue": "1"}}]  # no secret: no flag
    assert "attributes" not in spans[2]


def test_a_missing_or_broken_rules_file_refuses_rather_than_passing_raw(tmp_path: Path) -> None:
    with pytest.raises(scrub.RuleError):
        scrub.load(tmp_path / "missing.json")
    (tmp_path / "broken.json").write_text('{"rules": [{"id": "x"}]}', encoding="utf-8")
    with pytest.raises(scrub.RuleError):
        scrub.load(tmp_path / "broken.json")


def test_the_atom_gate_folds_what_re2_case_folds(scrubber: scrub.Scrubber) -> None:
    """RE2's (?i) matches the long s for s and the Kelvin sign for k: texts spelled with them must not slip
    past a gate that looks for lower-case atoms."""
    engine = default_redactor()
    variants = [text.replace("s", "\u017f") for text in EXAMPLES] + [text.replace("k", "\u212a") for text in EXAMPLES]
    assert any(engine.redact(text) != text for text in variants)  # some still hold a secret to RE2
    differ = [text for text in variants if scrubber.redact(text) != engine.redact(text)]
    assert not differ, differ[:3]
