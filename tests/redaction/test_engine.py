"""The engine: the RE2::Set prefilter changes nothing but speed, str/bytes handling, counting."""

from __future__ import annotations

from conftest import FIXTURES, TRANSCRIPTS
from hypothesis import given, settings
from hypothesis import strategies as st

from ccotel.redaction.catalogue import default_catalogue
from ccotel.redaction.engine import Redactor, default_redactor, redact, redact_bytes

PLAIN = Redactor(default_catalogue(), prefilter=False)
GHP_2 = b"ghp_jgez1ZZtAK6U6XrNsl5PTApdj7tJ2gGcLFpD"
NPM = "npm_bmyJFFQKmweFFTH0LvRlH0AyFA9RJgwi1INj"
EXAMPLES = [e.text for rule in default_catalogue().rules for e in rule.examples]


def test_prefilter_gives_the_rule_by_rule_result_on_examples_and_corpus() -> None:
    texts = [t.encode() for t in EXAMPLES]
    texts += [p.read_bytes() for p in sorted((FIXTURES / "redaction" / "corpus").iterdir())]
    texts += [p.read_bytes() for p in sorted(TRANSCRIPTS.rglob("*.jsonl"))[:3]]
    texts.append(b"\n".join(texts))  # many kinds at once: past the rescan limit
    for text in texts:
        assert default_redactor().redact_counted(text) == PLAIN.redact_counted(text)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(EXAMPLES), st.text(max_size=20)), max_size=12))
def test_prefilter_gives_the_rule_by_rule_result_on_random_mixtures(pieces: list[str]) -> None:
    data = "".join(pieces).encode("utf-8", "surrogatepass")
    assert default_redactor().redact_counted(data) == PLAIN.redact_counted(data)


def test_counts_per_kind_in_catalogue_order() -> None:
    data = b"AKIAQ3EXAMPLELRWFVEA and ghp_jgez1ZZtAK6U6XrNsl5PTApdj7tJ2gGcLFpC, " + GHP_2
    redacted, counts = default_redactor().redact_counted(data)
    assert redacted == b"[REDACTED:aws-access-key-id] and [REDACTED:github-pat], [REDACTED:github-pat]"
    assert list(counts.items()) == [("aws-access-key-id", 1), ("github-pat", 2)]


def test_str_and_bytes_entry_points() -> None:
    assert redact(f"token: {NPM} \u2192 ok") == "token: [REDACTED:npm-token] \u2192 ok"
    # a lone surrogate (undecodable input kept by Python) survives untouched
    assert redact(f"\udcff {NPM}") == "\udcff [REDACTED:npm-token]"
    assert redact_bytes(b"\xff\xfe " + NPM.encode() + b"\xff") == b"\xff\xfe [REDACTED:npm-token]\xff"
    unchanged = "nothing secret here"
    assert redact(unchanged) is unchanged
