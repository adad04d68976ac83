"""Replacement templates with Go's regexp.Expand rules: what OTTL's replace_pattern does with `$1`.

OTTL calls Go's Regexp.ReplaceAllString(value, replacement), which expands the replacement with
Regexp.Expand:
  - `$$` is a literal `$`;
  - `$name` takes the longest run of letters, digits and `_` as the name; `${name}` is braced;
  - a name made only of digits (no leading zero) is a group number, anything else a group name,
    so `$1x` means the group named `1x` (write `${1}x`);
  - a group that does not exist or did not take part in the match expands to nothing;
  - a `$` not followed by a valid name is kept as a literal `$`.
parse_template reproduces that; strict=True (used when loading the catalogue) rejects the
silent cases instead (missing groups, a literal `$`), since they are always mistakes in a rule.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

TemplatePart = bytes | int  # literal bytes, or a group number to insert


class TemplateError(ValueError):
    """A replacement template refers to a group that does not exist, or has a stray `$`."""


def group_names(regex: Any) -> dict[str, int]:
    """A compiled re2 regex's named groups (re2 keys them by bytes when the pattern is bytes)."""
    return {name.decode() if isinstance(name, bytes) else name: index for name, index in regex.groupindex.items()}


def _name_length(text: str) -> int:
    length = 0
    while length < len(text) and (text[length].isalnum() or text[length] == "_"):
        length += 1
    return length


def _group_number(name: str) -> int | None:
    if not name.isascii() or not name.isdigit() or (len(name) > 1 and name[0] == "0"):
        return None
    return int(name) if len(name) <= 8 else None


def parse_template(
    template: str, group_count: int, group_names: Mapping[str, int], *, strict: bool = False
) -> tuple[TemplatePart, ...]:
    """Split a Go Expand template into literal bytes and group numbers (-1 = expands to nothing)."""
    parts: list[TemplatePart] = []
    literal: list[str] = []
    rest = template
    while rest:
        dollar = rest.find("$")
        if dollar < 0:
            literal.append(rest)
            break
        literal.append(rest[:dollar])
        rest = rest[dollar + 1 :]
        if rest.startswith("$"):
            literal.append("$")
            rest = rest[1:]
            continue
        braced = rest.startswith("{")
        body = rest[1:] if braced else rest
        length = _name_length(body)
        if length == 0 or (braced and body[length : length + 1] != "}"):
            if strict:
                raise TemplateError(f"stray '$' in {template!r}: write $$ for a literal $")
            literal.append("$")
            continue
        name = body[:length]
        rest = body[length + 1 :] if braced else body[length:]
        number = _group_number(name)
        if number is None:
            number = group_names.get(name, -1)
        if number > group_count:
            number = -1
        if number < 0 and strict:
            hint = f" (did you mean ${{{name[0]}}}?)" if name[0].isdigit() else ""
            raise TemplateError(f"{template!r} refers to group {name!r}, which the pattern lacks{hint}")
        if literal:
            parts.append("".join(literal).encode("utf-8"))
            literal = []
        parts.append(number)
    if literal and "".join(literal):
        parts.append("".join(literal).encode("utf-8"))
    return tuple(part for part in parts if part != b"")


def expand(parts: Sequence[TemplatePart], data: bytes, spans: Sequence[tuple[int, int]]) -> bytes:
    """Build one replacement: spans[n] is group n's (start, end), (-1, -1) if it did not take part."""
    pieces: list[bytes] = []
    for part in parts:
        if isinstance(part, bytes):
            pieces.append(part)
        elif part >= 0:
            start, end = spans[part]
            if start >= 0:
                pieces.append(data[start:end])
    return b"".join(pieces)
