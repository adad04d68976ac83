"""Replacement templates follow Go's regexp.Expand, which OTTL's replace_pattern uses.

Expected values are the ones in Go's documentation of Regexp.ReplaceAllString and Regexp.Expand
(pkg.go.dev/regexp), not outputs of this code.
"""

from __future__ import annotations

import pytest

from ccotel.redaction.engine import replace_pattern
from ccotel.redaction.expand import TemplateError, parse_template


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("T", b"-T-T-"),
        ("$1", b"--xx-"),
        ("$1W", b"---"),  # $1W is the group named "1W", which does not exist: nothing
        ("${1}W", b"-W-xxW-"),
    ],
)
def test_go_replace_all_string_examples(template: str, expected: bytes) -> None:
    assert replace_pattern(b"-ab-axxb-", "a(x*)b", template) == expected


def test_go_expand_example_with_named_groups() -> None:
    pattern = r"(?m)(?P<key>\w+):\s+(?P<value>\w+)$"
    assert replace_pattern(b"option1: value1", pattern, "$key=$value") == b"option1=value1"
    assert replace_pattern(b"option1: value1", pattern, "${key}_x") == b"option1_x"


def test_dollar_rules() -> None:
    assert replace_pattern(b"ab", "a(b)", "$$1") == b"$1"  # $$ is a literal $
    assert replace_pattern(b"ab", "a(b)", "x$") == b"x$"  # a $ without a name stays
    assert replace_pattern(b"ab", "a(b)", "${1") == b"${1"  # unterminated brace: literal
    assert replace_pattern(b"ab", "a(b)", "$01") == b""  # leading zero: a (missing) name, not group 1
    assert replace_pattern(b"ab", "a(b)", "[$0]") == b"[ab]"
    assert replace_pattern(b"ab", "a(b)", "$2") == b""  # a group the pattern lacks: nothing


def test_group_that_did_not_take_part_expands_to_nothing() -> None:
    assert replace_pattern(b"xb", "(a)?(b)", "[$1|$2]") == b"x[|b]"


def test_strict_parsing_rejects_silent_mistakes() -> None:
    with pytest.raises(TemplateError, match=r"\$\{1\}"):
        parse_template("$1W", 1, {}, strict=True)
    with pytest.raises(TemplateError, match="lacks"):
        parse_template("${2}", 1, {}, strict=True)
    with pytest.raises(TemplateError, match="stray"):
        parse_template("cost $ 5", 0, {}, strict=True)
    assert parse_template("${1}[REDACTED:x]$$", 1, {}, strict=True) == (1, b"[REDACTED:x]$")


def test_patterns_that_match_the_empty_string_are_refused() -> None:
    with pytest.raises(ValueError, match="empty"):
        replace_pattern(b"abc", "x*", "y")
