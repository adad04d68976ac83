"""Required literals ("atoms") of a rule: strings at least one of which every match contains.

The rendered Alloy module runs a rule on a span, span event, log or resource only when one of its atoms
occurs in the JSON text of that item's attributes (Go's strings.Index through OTTL's `Index`, about
1 GB/s, where a regex pass costs 5-20 MB/s). The gate only skips rules that cannot match, so the output
is the same as running every rule:

  - atoms come from literal runs the regex must match. A pattern without `(?i)` keeps their case and is
    gated on the text as it is (`TOKEN` in an env rule does not fire on `input_tokens`); any other is
    gated on the lower-cased text with lower-case atoms;
  - they hold only characters that JSON encoding leaves as they are (letters, digits, `_-.:/+=@#%!?,;~*'()|^$`
    and space), so they appear in `String(attributes)` exactly as in the value;
  - no atom contains `[` or `]` or is part of the `[redacted:<kind>]` marker of an earlier rule, so a
    rule whose match needs text inserted by an earlier rule's replacement is never skipped: every atom
    found in the current value was already in the text the gate was computed from.

Known limit: Go's (?i) also matches the long s `ſ` for `s` and the Kelvin sign for `k`; a secret name
spelled with those characters would skip the gate of a case-insensitive rule.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from re import _constants as c  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]

from ccotel.redaction.regex_split import scoped_flags

MIN_ATOM = 3  # shorter atoms (down to one character) only for rules that have no longer one
_Atoms = tuple[str, ...] | None  # None: no literal is required (the rule always runs)
_UNSAFE = re.compile(r"[^A-Za-z0-9_\-.:/+=@#%!?,;~*'()|^$ ]")  # what JSON encoding may change, and [ ]
# Words so frequent in code and transcripts that an atom made of them barely gates anything: a rule
# that also requires a rarer literal is gated on that one instead.
_COMMON = ("token", "secret", "password", "passwd", "key", "api", "app", "access", "auth", "client", "private",
           "session", "security", "credential", "bearer", "basic", "user", "pass", "sig", "signature", "id")


def python_syntax(pattern: str) -> str:
    """An RE2 pattern in the syntax Python's parser reads (flags scoped, POSIX classes spelled out)."""
    pattern = scoped_flags(pattern) or pattern
    for posix, spelled in (("[:alnum:]", "a-zA-Z0-9"), ("[:alpha:]", "a-zA-Z"), ("[:digit:]", "0-9"),
                           ("[:upper:]", "A-Z"), ("[:lower:]", "a-z"), ("[:xdigit:]", "0-9A-Fa-f")):
        pattern = pattern.replace(posix, spelled)
    return pattern.replace("\\z", "\\Z")


def _safe_piece(text: str, forbidden: Iterable[str], fold: bool, shortest: int) -> str | None:
    """The longest run of safe characters in text that is not part of a marker, if long enough."""
    pieces = [piece for piece in _UNSAFE.split(text.lower() if fold else text) if piece]
    pieces = [piece for piece in pieces
              if len(piece) >= shortest and not any(piece.lower() in word for word in forbidden)]
    return max(pieces, key=len) if pieces else None


def _candidate(strings: Iterable[str], forbidden: tuple[str, ...], fold: bool, shortest: int) -> _Atoms:
    atoms = []
    for text in strings:
        piece = _safe_piece(text, forbidden, fold, shortest)
        if piece is None:
            return None
        atoms.append(piece)
    unique = set(atoms)  # an atom containing another one adds nothing: `--pass` covers `--password=`
    return tuple(sorted(atom for atom in unique if not any(other != atom and other in atom for other in unique)))


def _best(candidates: list[tuple[str, ...]]) -> _Atoms:
    if not candidates:
        return None

    def score(atoms: tuple[str, ...]) -> tuple[bool, int, int]:
        common = any(word in atom.lower() and len(atom) < len(word) + 3 for atom in atoms for word in _COMMON)
        return (not common, min(len(atom) for atom in atoms), -len(atoms))

    return max(candidates, key=score)


_MAX_PREFIXES = 64


def _prefixes(items: list) -> tuple[set[str], bool]:  # type: ignore[type-arg]
    """Literal strings one of which every match of the sequence starts with, and whether they are whole matches.

    Zero-width assertions are stepped over; a small set of single characters ([su]) branches.
    """
    found = {""}
    for op, value in items:
        if op == c.LITERAL and value < 128:
            found = {text + chr(value) for text in found}
        elif op == c.AT:
            continue
        elif op == c.IN and len(value) <= 8 and all(kind == c.LITERAL and code < 128 for kind, code in value):
            found = {text + chr(code) for text in found for _, code in value}
        elif op in (c.SUBPATTERN, c.BRANCH):
            branches = [list(value[-1])] if op == c.SUBPATTERN else [list(branch) for branch in value[1]]
            results = [_prefixes(branch) for branch in branches]
            combined = {text + more for text in found for strings, _ in results for more in strings}
            if len(combined) > _MAX_PREFIXES:
                return found, False
            found = combined
            if not all(whole for _, whole in results):
                return found, False
        else:
            return found, False
        if len(found) > _MAX_PREFIXES:
            return {text[:-1] for text in found}, False
    return found, True


def _required(items: list, forbidden: tuple[str, ...], fold: bool, shortest: int) -> _Atoms:  # type: ignore[type-arg]
    candidates: list[tuple[str, ...]] = []
    for start in range(len(items)):
        if start and items[start - 1][0] == c.LITERAL:
            continue  # a suffix of a literal run: the whole run is a candidate already
        strings, _ = _prefixes(items[start:])
        if all(strings):
            found_here = _candidate(strings, forbidden, fold, shortest)
            if found_here:
                candidates.append(found_here)
    run: list[str] = []

    def close_run() -> None:
        if run:
            found = _candidate(["".join(run)], forbidden, fold, shortest)
            if found:
                candidates.append(found)
            run.clear()

    for op, value in items:
        if op == c.LITERAL and value < 128:
            run.append(chr(value))
            continue
        close_run()
        found: _Atoms = None
        if op == c.SUBPATTERN:
            found = _required(list(value[-1]), forbidden, fold, shortest)
        elif op == c.BRANCH:
            branches = [_required(list(branch), forbidden, fold, shortest) for branch in value[1]]
            if all(branches):
                found = tuple(sorted({atom for branch in branches for atom in branch or ()}))
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT) and value[0] >= 1:
            found = _required(list(value[2]), forbidden, fold, shortest)
        if found:
            candidates.append(found)
    close_run()
    return _best(candidates)


def case_sensitive(pattern: str) -> bool:
    """Whether the pattern's literals keep their case (no (?i) anywhere): its atoms do too."""
    return "(?i" not in pattern and not re.search(r"\(\?[a-zA-Z]*i[a-zA-Z]*[:)]", pattern)


def atoms(pattern: str, markers: Iterable[str] = ()) -> tuple[str, ...]:
    """The rule's atoms; () when it requires no usable literal (then it runs on every text).

    Lower case unless case_sensitive(pattern). markers: those of rules that run before this one (their
    replacements may insert them); `[redacted:` is always excluded.
    """
    forbidden = ("[redacted:", *(marker.lower() for marker in markers))
    try:
        tree = sre_parse.parse(python_syntax(pattern))
    except (re.error, ValueError, OverflowError):
        return ()
    fold = not case_sensitive(pattern)
    found = _required(list(tree), forbidden, fold, MIN_ATOM) or _required(list(tree), forbidden, fold, 1)
    return found or ()
