"""Turn a scanner rule's RE2 pattern into a redaction pattern that replaces only its secret group.

A scanner pattern such as `(?i)(?:adobe)[ \\t\\w.-]{0,20}[:=][ '"]{0,5}([a-f0-9]{32})(?:['"\\s;]|$)` reports
its first capturing group as the secret. OTTL's replace_pattern replaces the whole match, so the pattern is
rewritten as `(?i)(PREFIX)(SECRET)(SUFFIX)` with the replacement `${1}[REDACTED:<id>]${3}`: the context
before and after the secret (a variable name, a quote, a newline) stays. Every other capturing group
becomes non-capturing. A leading `\\b` before the secret also accepts a JSON-escaped newline (`\\n`), so a
token right after one is found, as the project's own rules do.

Only a secret group that sits at the top level of the pattern can be split out this way; for the others
(a group inside an alternation or a repetition) split_secret returns None and the caller decides.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ESCAPED_NEWLINE_OR_BOUNDARY = r"(?:\\+[nrt]|\b)"
_LATER_FLAGS = re.compile(r"(?<!\\)\(\?[imsU-]+\)")


@dataclass(frozen=True)
class Group:
    start: int  # index of "("
    end: int  # index just past ")"
    capturing: bool
    body: int  # index where the group's body starts
    depth: int  # 0 = top level


@dataclass(frozen=True)
class Split:
    pattern: str  # (?flags)(prefix)(secret)(suffix), or (?flags)(prefix)(secret) without a suffix
    replacement: str
    secret: str  # the secret group's body alone (used to generate examples)


def _class_end(pattern: str, index: int) -> int:
    """Index just past the character class starting at pattern[index] == '['."""
    position = index + 1
    if pattern.startswith("^", position):
        position += 1
    if pattern.startswith("]", position):
        position += 1
    while position < len(pattern):
        char = pattern[position]
        if char == "\\":
            position += 2
        elif pattern.startswith("[:", position):
            close = pattern.find(":]", position + 2)
            position = close + 2 if close >= 0 else position + 1
        elif char == "]":
            return position + 1
        else:
            position += 1
    raise ValueError(f"unterminated character class in {pattern!r}")


def _escape_end(pattern: str, index: int) -> int:
    """Index just past the escape starting at pattern[index] == '\\'."""
    if pattern.startswith("\\Q", index):
        close = pattern.find("\\E", index + 2)
        return len(pattern) if close < 0 else close + 2
    if index + 2 < len(pattern) and pattern[index + 1] in "xpP" and pattern[index + 2] == "{":
        return pattern.index("}", index) + 1
    return index + 2


def groups(pattern: str) -> list[Group]:
    """Every parenthesised group of an RE2 pattern, in order of their opening parenthesis."""
    found: list[Group] = []
    stack: list[tuple[int, bool, int]] = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            index = _escape_end(pattern, index)
            continue
        if char == "[":
            index = _class_end(pattern, index)
            continue
        if char == "(":
            if pattern.startswith("(?P<", index) or pattern.startswith("(?<", index):
                body = pattern.index(">", index) + 1
                stack.append((index, True, body))
            elif pattern.startswith("(?", index):
                close = min(p for p in (pattern.find(":", index), pattern.find(")", index)) if p >= 0)
                if pattern[close] == ")":  # a flag setting such as (?i): no body, not a group
                    index = close + 1
                    continue
                stack.append((index, False, close + 1))
            else:
                stack.append((index, True, index + 1))
        elif char == ")":
            start, capturing, body = stack.pop()
            found.append(Group(start, index + 1, capturing, body, len(stack)))
        index += 1
    if stack:
        raise ValueError(f"unbalanced parentheses in {pattern!r}")
    return sorted(found, key=lambda group: group.start)


def _top_level_alternation(pattern: str, start: int, end: int, nested: list[Group]) -> bool:
    """Whether pattern[start:end] has a `|` outside every group and class."""
    index = start
    while index < end:
        char = pattern[index]
        if char == "\\":
            index = _escape_end(pattern, index)
        elif char == "[":
            index = _class_end(pattern, index)
        elif char == "(":
            index = next(group.end for group in nested if group.start == index)
        elif char == "|":
            return True
        else:
            index += 1
    return False


def _non_capturing(pattern: str, start: int, end: int, all_groups: list[Group]) -> str:
    """pattern[start:end] with every capturing group turned into (?:...)."""
    pieces: list[str] = []
    position = start
    for group in all_groups:
        if group.capturing and start <= group.start < end:
            pieces.append(pattern[position : group.start])
            pieces.append("(?:")
            position = group.body
    pieces.append(pattern[position:end])
    return "".join(pieces)


def _leading_flags(pattern: str) -> int:
    """Length of the flag settings such as (?i)(?s) at the start of the pattern."""
    position = 0
    while pattern.startswith("(?", position):
        close = pattern.find(")", position)
        flags = pattern[position + 2 : close]
        if close < 0 or not flags or not all(char in "imsU-" for char in flags):
            break
        position = close + 1
    return position


def _boundary_accepts_escaped_newline(prefix: str) -> str:
    if prefix.endswith("\\b") and not prefix.endswith("\\\\b"):
        return prefix[:-2] + _ESCAPED_NEWLINE_OR_BOUNDARY
    return prefix


def _quantified(pattern: str, end: int) -> bool:
    return end < len(pattern) and pattern[end] in "*+?{"


def scoped_flags(pattern: str) -> str | None:
    """pattern with each flag setting after the start, `X(?i)Y`, written as the group `X(?i:Y)`.

    Go and RE2 apply such a setting up to the end of the enclosing group, across `|`; when a `|`
    follows in that group, the rewrite would change the meaning, so None is returned.
    """
    flags_end = _leading_flags(pattern)
    while match := _LATER_FLAGS.search(pattern, flags_end):
        enclosing = [g for g in groups(pattern) if g.body <= match.start() and match.end() < g.end]
        end = min((g.end - 1 for g in enclosing), default=len(pattern))
        inner = [g for g in groups(pattern) if match.end() <= g.start < end]
        if _top_level_alternation(pattern, match.end(), end, inner):
            return None
        flags = pattern[match.start() + 2 : match.end() - 1]
        pattern = f"{pattern[: match.start()]}(?{flags}:{pattern[match.end() : end]}){pattern[end:]}"
    return pattern


def whole_match(pattern: str, marker: str) -> Split:
    """The form that replaces the whole match (every capturing group made non-capturing)."""
    all_groups = groups(pattern)
    flags_end = _leading_flags(pattern)
    body = _non_capturing(pattern, flags_end, len(pattern), all_groups)
    if body.startswith("\\b"):
        return Split(f"{pattern[:flags_end]}({_ESCAPED_NEWLINE_OR_BOUNDARY})(?:{body[2:]})", "${1}" + marker,
                     pattern[:flags_end] + body[2:])
    return Split(f"{pattern[:flags_end]}(?:{body})", marker, pattern[:flags_end] + body)


def split_secret(pattern: str, marker: str, secret_group: int = 0) -> Split | None:
    """The redaction form of a scanner pattern whose secret is a capturing group (1-based; 0: the first).

    None when the flags cannot be scoped; whole_match when the secret group cannot be split out
    (no capturing group, a top-level alternation, a group inside another or repeated).
    """
    scoped = scoped_flags(pattern)
    if scoped is None:
        return None
    pattern = scoped
    all_groups = groups(pattern)
    flags_end = _leading_flags(pattern)
    flags = pattern[:flags_end]
    capturing = [group for group in all_groups if group.capturing]
    index = max(secret_group - 1, 0)
    if (
        len(capturing) <= index
        or _top_level_alternation(pattern, flags_end, len(pattern), all_groups)
        or capturing[index].depth != 0
        or _quantified(pattern, capturing[index].end)
    ):
        return whole_match(pattern, marker)
    secret = capturing[index]
    prefix = _boundary_accepts_escaped_newline(_non_capturing(pattern, flags_end, secret.start, all_groups))
    body = _non_capturing(pattern, secret.body, secret.end - 1, all_groups)
    suffix = _non_capturing(pattern, secret.end, len(pattern), all_groups)
    if body.startswith("\\b") and not prefix:
        prefix, body = _ESCAPED_NEWLINE_OR_BOUNDARY, body[2:]
    if not prefix:
        parts, replacement = [f"(?:{body})"], marker
        if suffix:
            parts.append(f"({suffix})")
            replacement += "${1}"
    else:
        parts, replacement = [f"({prefix})", f"({body})"], "${1}" + marker
        if suffix:
            parts.append(f"({suffix})")
            replacement += "${3}"
    return Split(pattern=flags + "".join(parts), replacement=replacement, secret=flags + body)
