"""Apply the catalogue with google-re2: the same regex dialect and the same replacement rules as OTTL.

Rules run one after another, in catalogue order, each over the whole text (what the rendered
`replace_pattern` statements do in Alloy). Each rule replaces every leftmost-first,
non-overlapping match, as Go's Regexp.ReplaceAllString does (no rule may match the empty string,
so the two agree exactly), and expands its replacement with Go's Expand rules (ccotel.redaction.expand).

The engine works on bytes. Text that is not valid UTF-8 stays byte-for-byte: RE2 reads the input
as UTF-8 and never matches an invalid byte, so such bytes only ever end up outside a match. (Go
would read an invalid byte as U+FFFD; that cannot reach the collector, since OTLP strings are UTF-8.)
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import re2

from ccotel.redaction.catalogue import Catalogue, Rule, default_catalogue
from ccotel.redaction.expand import TemplatePart, expand, parse_template
from ccotel.redaction.expand import group_names as _group_names


@dataclass(frozen=True)
class CompiledRule:
    rule: Rule
    regex: Any  # re2._Regexp over bytes
    template: tuple[TemplatePart, ...]

    def apply(self, data: bytes) -> tuple[bytes, int]:
        """Replace every match; return the new bytes and how many matches were replaced."""
        return _replace_all(self.regex, self.template, data)


def _replace_all(regex: Any, template: tuple[TemplatePart, ...], data: bytes) -> tuple[bytes, int]:
    pieces: list[bytes] = []
    position = 0
    count = 0
    group_range = range(regex.groups + 1)
    for match in regex.finditer(data):
        start, end = match.span()
        pieces.append(data[position:start])
        pieces.append(expand(template, data, [match.span(group) for group in group_range]))
        position = end
        count += 1
    if not count:
        return data, 0
    pieces.append(data[position:])
    return b"".join(pieces), count


def replace_pattern(data: bytes, pattern: str, replacement: str) -> bytes:
    """What OTTL's replace_pattern(target, pattern, replacement) does to one string value.

    A pattern that can match the empty string is refused (catalogue rules never do; Go's handling
    of empty matches next to other matches is not reproduced here).
    """
    regex = re2.compile(pattern.encode("utf-8"))
    if regex.search(b"") is not None:
        raise ValueError(f"pattern matches the empty string: {pattern!r}")
    template = parse_template(replacement, regex.groups, _group_names(regex))
    return _replace_all(regex, template, data)[0]


class Redactor:
    """The compiled catalogue. redact_bytes/redact are pure; redact_counted also counts per rule.

    RE2::Sets over the text tell which rules match at all, so text without secrets costs one scan
    per set instead of one per rule. The rules are split into sets of SET_SIZE consecutive rules
    (one big set of hundreds of patterns would exhaust its DFA memory). Rules still run one by one in
    catalogue order, and after every rule that changed the text the sets holding later rules are
    asked again, so the result is exactly that of running every rule in turn (prefilter=False does
    that, for comparison). Each set's first pattern matches every text: if it is missing from the
    answer, that set's DFA ran out of memory, and all of its rules run. After changes by more than
    _MAX_RESCANS kinds of rule (text dense with secrets), the remaining rules simply all run. A rule's
    regex is compiled the first time it is needed.
    """

    def __init__(self, catalogue: Catalogue, *, prefilter: bool = True) -> None:
        self.catalogue = catalogue
        self._compiled: list[CompiledRule | None] = [None] * len(catalogue.rules)
        starts = range(0, len(catalogue.rules), SET_SIZE)
        self._sets = [(start, _rule_set(catalogue.rules[start : start + SET_SIZE])) for start in starts] if prefilter \
            else None

    @property
    def rules(self) -> tuple[CompiledRule, ...]:
        return tuple(self._rule(index) for index in range(len(self._compiled)))

    def _rule(self, index: int) -> CompiledRule:
        compiled = self._compiled[index]
        if compiled is None:
            compiled = self._compiled[index] = _compile(self.catalogue.rules[index])
        return compiled

    def _matching(self, data: bytes, after: int) -> list[int]:
        """Indexes of the rules after `after` that match data (all of a set's rules when it cannot tell)."""
        if self._sets is None:
            return list(range(after + 1, len(self._compiled)))
        found: list[int] = []
        for start, rule_set in self._sets:
            if start + SET_SIZE <= after + 1:
                continue
            matched = rule_set.Match(data) or []
            if _SENTINEL not in matched:
                matched = range(1, SET_SIZE + 1)
            found.extend(start + index - 1 for index in sorted(matched) if index != _SENTINEL)
        return [index for index in found if after < index < len(self._compiled)]

    def redact_counted(self, data: bytes) -> tuple[bytes, Counter[str]]:
        """The redacted bytes and the number of replacements made by each rule (rules in order)."""
        counts: Counter[str] = Counter()
        pending = self._matching(data, -1)
        while pending:
            index = pending.pop(0)
            compiled = self._rule(index)
            data, count = compiled.apply(data)
            if count:
                counts[compiled.rule.id] += count
                if len(counts) <= _MAX_RESCANS:
                    pending = self._matching(data, index)
                else:  # text dense with secrets of many kinds: rescans would cost more than the rules left
                    pending = list(range(index + 1, len(self._compiled)))
        return data, counts

    def redact_bytes(self, data: bytes) -> bytes:
        return self.redact_counted(data)[0]

    def redact(self, text: str) -> str:
        """Redact a str. Lone surrogates (undecodable input kept by Python) survive unchanged."""
        encoded = text.encode("utf-8", "surrogatepass")
        redacted = self.redact_bytes(encoded)
        return text if redacted is encoded else redacted.decode("utf-8", "surrogatepass")


SET_SIZE = 128  # rules per RE2::Set: small enough that each set's DFA fits its memory budget
_SENTINEL = 0  # set index of a pattern that matches every text
_MAX_RESCANS = 16  # set rescans after changes; past that (text dense with secrets) rule by rule is cheaper


def _rule_set(rules: tuple[Rule, ...]) -> Any:
    options = re2.Options()
    options.log_errors = False
    options.max_mem = 32 << 20  # the set's DFA cache; if even this is exhausted, see Redactor
    rule_set = re2.Set.SearchSet(options)
    rule_set.Add(rb"\A")
    for rule in rules:
        rule_set.Add(rule.pattern.encode("ascii"))
    rule_set.Compile()
    return rule_set


def _compile(rule: Rule) -> CompiledRule:
    regex = re2.compile(rule.pattern.encode("ascii"))
    template = parse_template(rule.replacement, regex.groups, _group_names(regex))
    return CompiledRule(rule=rule, regex=regex, template=template)


@lru_cache(maxsize=1)
def default_redactor() -> Redactor:
    return Redactor(default_catalogue())


def redact(text: str) -> str:
    """Replace the secrets in text with [REDACTED:<kind>] using the packaged catalogue."""
    return default_redactor().redact(text)


def redact_bytes(data: bytes) -> bytes:
    return default_redactor().redact_bytes(data)
