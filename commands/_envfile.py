"""The stack's .env: rendered from the .env.example template with fresh secrets, and read back.

Pure text -> text; the randomness comes in as a `token_bytes` function (secrets.token_bytes by default), so
`render_env` is deterministic for a given source of bytes. The template's format:

    # generate: KIND        on the line right above an empty assignment `NAME=`
    NAME=                   gets a fresh value of that KIND (see GENERATORS)

Every other line is copied as it is. A marked assignment that already has a value, an unknown KIND, or a
mark not followed by an assignment is an error naming the file and line.
"""

from __future__ import annotations

import base64
import re
import secrets
import string
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from ccotel.errors import CcotelError

TokenBytes = Callable[[int], bytes]

_MARK = re.compile(r"^#\s*generate:\s*(?P<kind>\S+)\s*$")
_ASSIGNMENT = re.compile(r"^(?:export\s+)?(?P<name>[A-Za-z_][A-Za-z0-9_]*)=(?P<value>.*)$")
_PASSWORD_ALPHABET = string.ascii_letters + string.digits
PASSWORD_LENGTH = 24


def _hex32(token_bytes: TokenBytes) -> str:
    return token_bytes(32).hex()


def _secret(token_bytes: TokenBytes) -> str:
    return base64.urlsafe_b64encode(token_bytes(32)).rstrip(b"=").decode("ascii")


def _password(token_bytes: TokenBytes) -> str:
    """Letters and digits only (it goes inside DATABASE_URL); rejection sampling keeps it uniform."""
    alphabet_size = len(_PASSWORD_ALPHABET)
    limit = 256 - 256 % alphabet_size
    chars: list[str] = []
    while len(chars) < PASSWORD_LENGTH:
        for byte in token_bytes(PASSWORD_LENGTH):
            if byte < limit and len(chars) < PASSWORD_LENGTH:
                chars.append(_PASSWORD_ALPHABET[byte % alphabet_size])
    return "".join(chars)


def _uuid4(token_bytes: TokenBytes) -> str:
    raw = bytearray(token_bytes(16))
    raw[6] = (raw[6] & 0x0F) | 0x40  # version 4
    raw[8] = (raw[8] & 0x3F) | 0x80  # RFC 4122 variant
    return str(uuid.UUID(bytes=bytes(raw)))


GENERATORS: dict[str, Callable[[TokenBytes], str]] = {
    "hex32": _hex32,
    "secret": _secret,
    "password": _password,
    "pk-lf": lambda token_bytes: "pk-lf-" + _uuid4(token_bytes),
    "sk-lf": lambda token_bytes: "sk-lf-" + _uuid4(token_bytes),
}


@dataclass(frozen=True)
class Rendered:
    text: str
    generated: tuple[str, ...]  # names that got a fresh value, in file order


def marked_variables(template: str, source: str = ".env.example") -> dict[str, str]:
    """name -> KIND for every assignment the template marks for generation."""
    marked: dict[str, str] = {}
    seen: set[str] = set()
    pending: tuple[str, int] | None = None
    for number, line in enumerate(template.splitlines(), start=1):
        stripped = line.strip()
        mark = _MARK.match(stripped)
        name_here = _ASSIGNMENT.match(stripped)
        if name_here is not None:
            if name_here["name"] in seen:
                raise CcotelError(f"{source}:{number}: {name_here['name']} is assigned twice")
            seen.add(name_here["name"])
        if pending is not None:
            assignment = _ASSIGNMENT.match(stripped)
            if assignment is None:
                raise CcotelError(f"{source}:{pending[1]}: `# generate: {pending[0]}` is not followed by NAME=")
            if assignment["value"].strip():
                raise CcotelError(
                    f"{source}:{number}: {assignment['name']} is marked `# generate: {pending[0]}` but has a value"
                )
            marked[assignment["name"]] = pending[0]
            pending = None
            continue
        if mark is not None:
            kind = mark["kind"]
            if kind not in GENERATORS:
                raise CcotelError(
                    f"{source}:{number}: unknown `# generate:` kind {kind!r} (known: {', '.join(GENERATORS)})"
                )
            pending = (kind, number)
        elif stripped and not stripped.startswith("#") and _ASSIGNMENT.match(stripped) is None:
            raise CcotelError(f"{source}:{number}: not a comment nor NAME=value: {stripped[:60]!r}")
    if pending is not None:
        raise CcotelError(f"{source}:{pending[1]}: `# generate: {pending[0]}` is not followed by NAME=")
    return marked


def render_env(template: str, token_bytes: TokenBytes = secrets.token_bytes,
               source: str = ".env.example") -> Rendered:
    """The template with every marked assignment filled in; everything else byte for byte."""
    marked = marked_variables(template, source)
    lines: list[str] = []
    generated: list[str] = []
    for line in template.splitlines(keepends=True):
        assignment = _ASSIGNMENT.match(line.strip())
        if assignment is not None and assignment["name"] in marked:
            name = assignment["name"]
            ending = line[len(line.rstrip("\r\n")):]
            lines.append(f"{name}={GENERATORS[marked[name]](token_bytes)}{ending or chr(10)}")
            generated.append(name)
        else:
            lines.append(line)
    return Rendered("".join(lines), tuple(generated))


def parse_env(text: str) -> dict[str, str]:
    """NAME=value pairs of a .env file the way Compose reads the simple cases: comments and blank lines
    skipped, `export ` allowed, surrounding quotes removed, ` #...` after an unquoted value dropped."""
    values: dict[str, str] = {}
    for line in text.splitlines():
        assignment = _ASSIGNMENT.match(line.strip())
        if assignment is None:
            continue
        value = assignment["value"].strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        else:
            value = re.split(r"\s+#", value, maxsplit=1)[0].strip()
        values[assignment["name"]] = value
    return values
