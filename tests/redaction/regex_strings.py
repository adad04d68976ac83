"""Deterministic strings from a regex (Python's regex parser; RE2 patterns of scanners parse the same).

    strings_for(pattern, seed, count) -> a few strings that fully match pattern (checked with re2 by callers)

Repetitions take a length between the minimum and min(maximum, minimum + 24); character sets are sampled
uniformly, so tokens look random (high entropy) as real ones do.
"""

from __future__ import annotations

import random
import re
import string
from re import _constants as c  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]

from ccotel.redaction.regex_split import scoped_flags

_CATEGORIES = {
    c.CATEGORY_DIGIT: string.digits,
    c.CATEGORY_WORD: string.ascii_letters + string.digits + "_",
    c.CATEGORY_SPACE: " ",
    c.CATEGORY_NOT_SPACE: string.ascii_letters + string.digits,
    c.CATEGORY_NOT_DIGIT: string.ascii_letters,
    c.CATEGORY_NOT_WORD: "-",
}
_PRINTABLE = string.ascii_letters + string.digits + "-_"


def _posix(pattern: str) -> str:
    pattern = scoped_flags(pattern) or pattern  # Python takes (?i) only at the start: X(?i)Y -> X(?i:Y)
    return (pattern.replace("[:alnum:]", "a-zA-Z0-9").replace("[:alpha:]", "a-zA-Z").replace("[:digit:]", "0-9")
            .replace("[:upper:]", "A-Z").replace("[:lower:]", "a-z").replace("\\z", "\\Z"))


def _charset(items: list, rng: random.Random) -> str:  # type: ignore[type-arg]
    chars: list[str] = []
    negate = False
    for op, value in items:
        if op == c.NEGATE:
            negate = True
        elif op == c.LITERAL:
            chars.append(chr(value))
        elif op == c.RANGE:
            chars.extend(chr(code) for code in range(value[0], min(value[1], value[0] + 200) + 1))
        elif op == c.CATEGORY:
            chars.extend(_CATEGORIES.get(value, _PRINTABLE))
    if negate:
        banned = set(chars)
        chars = [char for char in _PRINTABLE if char not in banned]
    return rng.choice([char for char in chars if char.isprintable()] or ["x"])


def _emit(tree, rng: random.Random, flags: int, out: list[str]) -> None:  # type: ignore[no-untyped-def]
    for op, value in tree:
        if op == c.LITERAL:
            out.append(chr(value))
        elif op == c.NOT_LITERAL:
            out.append("a" if chr(value) != "a" else "b")
        elif op == c.IN:
            out.append(_charset(value, rng))
        elif op == c.ANY:
            out.append(rng.choice(_PRINTABLE))
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT, getattr(c, "POSSESSIVE_REPEAT", None)):
            low, high, sub = value
            high = low + 24 if high == c.MAXREPEAT else min(high, low + 24)
            for _ in range(rng.randint(low, high)):
                _emit(sub, rng, flags, out)
        elif op == c.SUBPATTERN:
            _emit(value[-1], rng, flags, out)
        elif op == c.BRANCH:
            _emit(rng.choice(value[1]), rng, flags, out)
        elif op in (c.AT, c.ASSERT, c.ASSERT_NOT):
            continue
        else:
            raise ValueError(f"cannot generate {op}")


def strings_for(pattern: str, seed: int, count: int = 3) -> list[str]:
    """Up to `count` different strings generated for pattern; callers keep those the real pattern matches."""
    tree = sre_parse.parse(_posix(pattern))
    rng = random.Random(seed)
    found: list[str] = []
    for _ in range(count * 4):
        out: list[str] = []
        _emit(tree, rng, 0, out)
        text = "".join(out)
        if text and text not in found:
            found.append(text)
        if len(found) == count:
            break
    return found


def parses(pattern: str) -> bool:
    try:
        sre_parse.parse(_posix(pattern))
    except (re.error, ValueError, OverflowError):
        return False
    return True
