"""Alloy's lexical layer: tokens and the scanner (with automatic terminators).

Follows the scanner described in Alloy's `syntax/scanner` (grafana/alloy, Apache-2.0): a newline becomes a
TERMINATOR after an identifier, literal, `)`, `]` or `}`; a comment running to the end of such a line ends
the statement too. Columns are 1-based byte offsets in the line, as Alloy prints them. String literals are
decoded by `alloy_strings.unquote`.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from enum import Enum

from ccotel.collector.pipeline.strings import go_rune


class Tok(Enum):
    IDENT = "IDENT"
    STRING = "STRING"
    NUMBER = "NUMBER"
    FLOAT = "FLOAT"
    BOOL = "BOOL"
    NULL = "NULL"
    TERMINATOR = "TERMINATOR"
    EOF = "EOF"
    ILLEGAL = "ILLEGAL"
    OR = "||"
    AND = "&&"
    NOT = "!"
    ASSIGN = "="
    EQ = "=="
    NEQ = "!="
    LT = "<"
    LTE = "<="
    GT = ">"
    GTE = ">="
    ADD = "+"
    SUB = "-"
    MUL = "*"
    DIV = "/"
    MOD = "%"
    POW = "^"
    LCURLY = "{"
    RCURLY = "}"
    LPAREN = "("
    RPAREN = ")"
    LBRACK = "["
    RBRACK = "]"
    COMMA = ","
    DOT = "."


# Binary operator precedence, low to high (unary operators bind tighter than all of these).
PRECEDENCE: dict[Tok, int] = {
    Tok.OR: 1,
    Tok.AND: 2,
    Tok.EQ: 3, Tok.NEQ: 3, Tok.LT: 3, Tok.LTE: 3, Tok.GT: 3, Tok.GTE: 3,
    Tok.ADD: 4, Tok.SUB: 4,
    Tok.MUL: 5, Tok.DIV: 5, Tok.MOD: 5,
    Tok.POW: 6,
}

_KEYWORDS = {"true": Tok.BOOL, "false": Tok.BOOL, "null": Tok.NULL}
_TERMINATES = {Tok.IDENT, Tok.STRING, Tok.NUMBER, Tok.FLOAT, Tok.BOOL, Tok.NULL, Tok.RPAREN, Tok.RBRACK, Tok.RCURLY}
_PUNCT = {
    "+": Tok.ADD, "-": Tok.SUB, "*": Tok.MUL, "%": Tok.MOD, "^": Tok.POW, "{": Tok.LCURLY, "}": Tok.RCURLY,
    "(": Tok.LPAREN, ")": Tok.RPAREN, "[": Tok.LBRACK, "]": Tok.RBRACK, ",": Tok.COMMA, ".": Tok.DOT,
}
_PAIRS = {"!": (Tok.NOT, Tok.NEQ), "=": (Tok.ASSIGN, Tok.EQ), "<": (Tok.LT, Tok.LTE), ">": (Tok.GT, Tok.GTE)}
_SIMPLE_ESCAPES = frozenset("abfnrtv\\\"")


@dataclass(frozen=True)
class Token:
    kind: Tok
    text: str  # the literal as written (strings keep their quotes)
    offset: int  # character offset into the source


def is_letter(ch: str) -> bool:
    return ch == "_" or ("a" <= ch.lower() <= "z") or (ord(ch) >= 0x80 and ch.isalpha())


def is_digit(ch: str) -> bool:
    return "0" <= ch <= "9" or (ord(ch) >= 0x80 and unicodedata.category(ch) == "Nd")


def is_identifier(text: str) -> bool:
    """What Alloy accepts as a block label or attribute name: a letter, then letters or digits."""
    return bool(text) and is_letter(text[0]) and all(is_letter(c) or is_digit(c) for c in text) and (
        text not in _KEYWORDS
    )


class Scanner:
    """Turns Alloy source text into tokens; lexical errors go to `errors` as (offset, message)."""

    def __init__(self, text: str) -> None:
        self.src = text[1:] if text.startswith("\ufeff") else text
        self.shift = len(text) - len(self.src)
        self.pos = 0
        self.pending_terminator = False
        self.errors: list[tuple[int, str]] = []
        for index, ch in enumerate(self.src):
            if ch == "\0":
                self._error(index, "illegal character NUL")
            elif ch == "\ufeff":
                self._error(index, "illegal byte order mark")

    def _error(self, offset: int, message: str) -> None:
        self.errors.append((offset + self.shift, message))

    def _peek(self, ahead: int = 0) -> str:
        index = self.pos + ahead
        return self.src[index] if index < len(self.src) else ""

    def scan(self) -> Token:
        """The next token, comments skipped (they still end a line that needs a terminator)."""
        while True:
            token = self._scan_one()
            if token is not None:
                self.pending_terminator = token.kind in _TERMINATES or (
                    token.kind is Tok.ILLEGAL and (self.pending_terminator or token.text.startswith("'"))
                )
                return Token(token.kind, token.text, token.offset + self.shift)

    def _skip_space(self) -> None:
        while self.pos < len(self.src):
            ch = self.src[self.pos]
            if ch in " \t\r" or (ch == "\n" and not self.pending_terminator):
                self.pos += 1
            else:
                return

    def _scan_one(self) -> Token | None:
        self._skip_space()
        start = self.pos
        if start >= len(self.src):
            if self.pending_terminator:
                self.pending_terminator = False
                return Token(Tok.TERMINATOR, "\n", start)
            return Token(Tok.EOF, "", start)
        ch = self.src[start]
        if is_letter(ch):
            end = start + 1
            while end < len(self.src) and (is_letter(self.src[end]) or is_digit(self.src[end])):
                end += 1
            self.pos = end
            word = self.src[start:end]
            return Token(_KEYWORDS.get(word, Tok.IDENT), word, start)
        if "0" <= ch <= "9" or (ch == "." and "0" <= self._peek(1) <= "9" and self._peek(1) != ""):
            return self._scan_number(start)
        self.pos += 1
        if ch == "\n":
            self.pending_terminator = False
            return Token(Tok.TERMINATOR, "\n", start)
        if ch in "\"'`":
            if ch == "'":
                self._error(start, "illegal single-quoted string; use double quotes")
            kind = Tok.ILLEGAL if ch == "'" else Tok.STRING
            return Token(kind, self._scan_string(start, ch), start)
        if ch == "/" and self._peek() in ("/", "*"):
            if self.pending_terminator and self._comment_ends_line(start):
                self.pos = start
                self.pending_terminator = False
                return Token(Tok.TERMINATOR, "\n", start)
            self._skip_comment(start)
            self.pending_terminator = False
            return None
        if ch in "|&":
            if self._peek() == ch:
                self.pos += 1
            else:
                self._error(self.pos, f"missing second {ch} in {ch}{ch}")
            return Token(Tok.OR if ch == "|" else Tok.AND, ch * 2, start)
        if ch in _PAIRS:
            single, double = _PAIRS[ch]
            if self._peek() == "=":
                self.pos += 1
                return Token(double, ch + "=", start)
            return Token(single, ch, start)
        if ch == "/":
            return Token(Tok.DIV, ch, start)
        if ch in _PUNCT:
            return Token(_PUNCT[ch], ch, start)
        if ch != "\ufeff":
            self._error(start, f"illegal character {go_rune(ch)}")
        return Token(Tok.ILLEGAL, ch, start)

    def _scan_number(self, start: int) -> Token:
        src, pos, kind = self.src, start, Tok.NUMBER
        while pos < len(src) and "0" <= src[pos] <= "9":
            pos += 1
        if pos < len(src) and src[pos] == ".":
            kind, pos = Tok.FLOAT, pos + 1
            while pos < len(src) and "0" <= src[pos] <= "9":
                pos += 1
        if pos < len(src) and src[pos] in "eE":
            kind, pos = Tok.FLOAT, pos + 1
            if pos < len(src) and src[pos] in "+-":
                pos += 1
            digits_start = pos
            while pos < len(src) and "0" <= src[pos] <= "9":
                pos += 1
            if pos == digits_start:
                self._error(start, "exponent has no digits")
        self.pos = pos
        return Token(kind, src[start:pos], start)

    def _scan_string(self, start: int, quote: str) -> str:
        src = self.src
        while True:
            if self.pos >= len(src) or (quote != "`" and src[self.pos] == "\n"):
                self._error(start, "string literal not terminated")
                break
            ch = src[self.pos]
            self.pos += 1
            if ch == quote:
                break
            if ch == "\\" and quote != "`":
                self._scan_escape()
        return src[start:self.pos]

    def _scan_escape(self) -> None:
        start, ch = self.pos, self._peek()
        if ch in _SIMPLE_ESCAPES:
            self.pos += 1
            return
        if ch in "01234567" and ch:
            count, base, limit = 3, 8, 255
        elif ch in ("x", "u", "U") and ch:
            self.pos += 1
            count, base, limit = {"x": 2, "u": 4, "U": 8}[ch], 16, 255 if ch == "x" else 0x10FFFF
        else:
            self._error(start, "escape sequence not terminated" if not ch else "unknown escape sequence")
            return
        value = 0
        for _ in range(count):
            digit = self._peek()
            if not digit or digit not in "0123456789abcdefABCDEF"[: base if base == 8 else 22]:
                message = (f"illegal character {go_rune(digit)} in escape sequence" if digit
                           else "escape sequence not terminated")
                self._error(start, message)
                return
            value = value * base + int(digit, 16)
            self.pos += 1
        if value > limit or 0xD800 <= value < 0xE000:
            self._error(start, "escape sequence is invalid Unicode code point")

    def _skip_comment(self, start: int) -> None:
        if self.src[start + 1] == "/":
            end = self.src.find("\n", start)
            self.pos = len(self.src) if end < 0 else end
            return
        end = self.src.find("*/", start + 2)
        if end < 0:
            self._error(start, "block comment not terminated")
            self.pos = len(self.src)
        else:
            self.pos = end + 2

    def _comment_ends_line(self, start: int) -> bool:
        """Whether the comment(s) starting here run to the end of the line (so the line needs its terminator)."""
        pos, src = start, self.src
        while pos + 1 < len(src) and src[pos] == "/" and src[pos + 1] in "/*":
            if src[pos + 1] == "/":
                return True
            end = src.find("*/", pos + 2)
            if end < 0 or "\n" in src[pos:end]:
                return True
            pos = end + 2
            while pos < len(src) and src[pos] in " \t\r":
                pos += 1
            if pos >= len(src) or src[pos] == "\n":
                return True
        return False
