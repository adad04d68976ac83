"""Go string rules shared by Alloy and OTTL: decoding string literals (strconv.Unquote) and quoting for messages.

Both Alloy's scanner and OTTL's lexer hand string literals to Go's strconv.Unquote, so one decoder serves
both layers: `unquote(literal)` gives the exact text a component (or an OTTL function) receives.
"""

from __future__ import annotations

_SIMPLE_ESCAPES = {"a": 7, "b": 8, "f": 12, "n": 10, "r": 13, "t": 9, "v": 11, "\\": 92, '"': 34}


def go_rune(ch: str) -> str:
    """A character the way Go's %#U prints it: U+0078 'x' (the quoted form only when printable)."""
    return f"U+{ord(ch):04X}" + (f" '{ch}'" if ch.isprintable() else "")


def go_quote(text: str) -> str:
    """Text the way Go's %q (strconv.Quote) prints it, as Alloy's messages show labels."""
    escapes = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v",
               "\\": "\\\\", '"': '\\"'}
    out = []
    for ch in text:
        if ch in escapes:
            out.append(escapes[ch])
        elif "\udc80" <= ch <= "\udcff":  # a byte that is not UTF-8 (surrogate escape)
            out.append(f"\\x{ord(ch) - 0xDC00:02x}")
        elif ch.isprintable():
            out.append(ch)
        elif ord(ch) < 0x80:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(f"\\u{ord(ch):04x}" if ord(ch) < 0x10000 else f"\\U{ord(ch):08x}")
    return '"' + "".join(out) + '"'


class UnquoteError(ValueError):
    pass


def unquote(literal: str) -> str:
    """Decode a string literal the way Go's strconv.Unquote does (Alloy and OTTL both use it).

    Raw (backtick) strings lose their carriage returns and nothing else. `\\xNN` and octal escapes yield raw
    bytes; bytes that are not UTF-8 come back as surrogate escapes.
    """
    if len(literal) >= 2 and literal[0] == literal[-1] == "`":
        return literal[1:-1].replace("\r", "")
    if len(literal) < 2 or literal[0] != '"' or literal[-1] != '"':
        raise UnquoteError(f"not a string literal: {literal}")
    body, out, index = literal[1:-1], bytearray(), 0
    while index < len(body):
        ch = body[index]
        if ch == '"' or ch == "\n":
            raise UnquoteError("unescaped quote or newline in string")
        if ch != "\\":
            out += ch.encode("utf-8", "surrogateescape")
            index += 1
            continue
        escape = body[index + 1 : index + 2]
        if escape in _SIMPLE_ESCAPES:
            out.append(_SIMPLE_ESCAPES[escape])
            index += 2
            continue
        if escape and escape in "01234567":
            digits, width, base = body[index + 1 : index + 4], 3, 8
        elif escape in ("x", "u", "U") and escape:
            width, base = {"x": 2, "u": 4, "U": 8}[escape], 16
            digits = body[index + 2 : index + 2 + width]
        else:
            raise UnquoteError(f"unknown escape sequence \\{escape}")
        try:
            value = int(digits, base) if len(digits) == width else -1
        except ValueError:
            value = -1
        if value < 0 or (escape in "x01234567" and value > 255):
            raise UnquoteError(f"invalid escape sequence \\{escape}{digits}")
        if escape in ("u", "U"):
            if value > 0x10FFFF or 0xD800 <= value < 0xE000:
                raise UnquoteError("escape sequence is invalid Unicode code point")
            out += chr(value).encode("utf-8")
        else:
            out.append(value)
        index += 1 + width + (1 if base == 16 else 0)
    return out.decode("utf-8", "surrogateescape")
