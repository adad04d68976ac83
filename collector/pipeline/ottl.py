"""An OTTL parser (OpenTelemetry Transformation Language, pkg/ottl of the collector-contrib, v0.158).

    parse_statement(text) -> Statement      editor call + optional `where` condition
    parse_condition(text) -> Node           a boolean expression
    parse_value(text) -> Node               a value expression (signaltometrics `value`)

All raise OttlSyntaxError (with the character offset in the text) on malformed input. String literals are
unescaped with Go's rules (what OTTL's lexer does), so `Call.string_args()` gives the exact text a function
receives, e.g. the RE2 pattern of a `replace_pattern`.
"""

from __future__ import annotations

import re

from ccotel.collector.pipeline.ottl_tree import (
    Arg,
    Binary,
    Call,
    Enum,
    ListValue,
    Literal,
    MapValue,
    Node,
    Not,
    Path,
    Statement,
    walk,
)
from ccotel.collector.pipeline.strings import UnquoteError, unquote

__all__ = ["Arg", "Binary", "Call", "Enum", "ListValue", "Literal", "MapValue", "Node", "Not", "OttlSyntaxError",
           "Path", "Statement", "parse_condition", "parse_statement", "parse_value", "walk"]

_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<bytes>0x[a-fA-F0-9]+)
  | (?P<float>\d*\.\d+([eE][-+]?\d+)?)
  | (?P<int>\d+)
  | (?P<string>"(\\.|[^\\"])*")
  | (?P<op>==|!=|>=|<=|>|<|\+|-|/|\*|=|\(|\)|\[|\]|\{|\}|,|\.|:)
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
""", re.VERBOSE)
_KEYWORDS = {"and", "or", "not", "where", "true", "false", "nil"}
_COMPARISONS = {"==", "!=", ">=", "<=", ">", "<"}


class OttlSyntaxError(ValueError):
    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message, self.offset = message, offset


def _tokenize(text: str) -> list[tuple[str, str, int]]:
    tokens, pos = [], 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            bad = text[pos]
            if bad == '"':
                raise OttlSyntaxError("unterminated string literal", pos)
            hint = " (OTTL strings use double quotes)" if bad in "'`" else ""
            raise OttlSyntaxError(f"unexpected character {bad!r}{hint}", pos)
        kind = match.lastgroup or ""
        if kind != "space":
            tokens.append((kind, match.group(), pos))
        pos = match.end()
    tokens.append(("eof", "", len(text)))
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokenize(text)
        self.index = 0

    @property
    def tok(self) -> tuple[str, str, int]:
        return self.tokens[self.index]

    def peek(self, ahead: int = 1) -> tuple[str, str, int]:
        return self.tokens[min(self.index + ahead, len(self.tokens) - 1)]

    def fail(self, expected: str) -> OttlSyntaxError:
        kind, text, offset = self.tok
        got = "end of statement" if kind == "eof" else repr(text)
        return OttlSyntaxError(f"expected {expected}, got {got}", offset)

    def take(self, text: str) -> int:
        kind, value, offset = self.tok
        if value != text or kind not in ("op", "word"):
            raise self.fail(repr(text))
        self.index += 1
        return offset

    def at(self, text: str) -> bool:
        return self.tok[1] == text and self.tok[0] in ("op", "word")

    def end(self) -> None:
        if self.tok[0] != "eof":
            raise self.fail("end of statement")

    # boolean level: or < and < not < comparison < + - < * /
    def expression(self) -> Node:
        left = self.conjunction()
        while self.at("or"):
            offset = self.take("or")
            left = Binary("or", left, self.conjunction(), offset)
        return left

    def conjunction(self) -> Node:
        left = self.negation()
        while self.at("and"):
            offset = self.take("and")
            left = Binary("and", left, self.negation(), offset)
        return left

    def negation(self) -> Node:
        if self.at("not"):
            offset = self.take("not")
            return Not(self.negation(), offset)
        return self.comparison()

    def comparison(self) -> Node:
        left = self.sum()
        if self.tok[0] == "op" and self.tok[1] in _COMPARISONS:
            op, offset = self.tok[1], self.tok[2]
            self.index += 1
            return Binary(op, left, self.sum(), offset)
        return left

    def sum(self) -> Node:
        left = self.product()
        while self.tok[0] == "op" and self.tok[1] in "+-":
            op, offset = self.tok[1], self.tok[2]
            self.index += 1
            left = Binary(op, left, self.product(), offset)
        return left

    def product(self) -> Node:
        left = self.unary()
        while self.tok[0] == "op" and self.tok[1] in "*/":
            op, offset = self.tok[1], self.tok[2]
            self.index += 1
            left = Binary(op, left, self.unary(), offset)
        return left

    def unary(self) -> Node:
        if self.tok[0] == "op" and self.tok[1] in "+-" and self.peek()[0] in ("int", "float"):
            sign, (kind, text, offset) = self.tok[1], self.peek()
            self.index += 2
            number = int(text) if kind == "int" else float(text)
            return Literal(kind, -number if sign == "-" else number, offset)
        return self.primary()

    def primary(self) -> Node:
        kind, text, offset = self.tok
        if kind == "string":
            self.index += 1
            try:
                return Literal("string", unquote(text), offset)
            except UnquoteError as error:
                raise OttlSyntaxError(f"invalid string literal {text}: {error}", offset) from None
        if kind in ("int", "float", "bytes"):
            self.index += 1
            value: object = int(text) if kind == "int" else float(text) if kind == "float" else bytes.fromhex(
                text[2:].zfill(len(text[2:]) + len(text[2:]) % 2))
            return Literal(kind, value, offset)
        if kind == "word" and text in ("true", "false", "nil"):
            self.index += 1
            return Literal("nil", None, offset) if text == "nil" else Literal("bool", text == "true", offset)
        if self.at("("):
            self.take("(")
            inner = self.expression()
            self.take(")")
            return inner
        if self.at("["):
            self.take("[")
            items = self.sequence("]", self.expression)
            return ListValue(tuple(items), offset)
        if self.at("{"):
            self.take("{")
            return MapValue(tuple(self.sequence("}", self.map_item)), offset)
        if kind == "word" and text not in _KEYWORDS:
            return self.word()
        raise self.fail("a value")

    def sequence(self, close: str, item):  # type: ignore[no-untyped-def]
        items = []
        while not self.at(close):
            items.append(item())
            if not self.at(close):
                self.take(",")
        self.take(close)
        return items

    def map_item(self) -> tuple[str, Node]:
        kind, text, _ = self.tok
        if kind != "string":
            raise self.fail("a string map key")
        self.index += 1
        self.take(":")
        return unquote(text), self.expression()

    def word(self) -> Node:
        kind, text, offset = self.tok
        self.index += 1
        if self.at("("):
            self.take("(")
            args = self.sequence(")", self.argument)
            return Call(text, tuple(args), tuple(self.keys()), offset)
        if text[0].isupper():
            if re.fullmatch(r"[A-Z][A-Z0-9_]*", text):
                return Enum(text, offset)
            raise OttlSyntaxError(f"converter {text} must be called: {text}(...)", offset)
        segments = [text]
        while self.at("."):
            self.take(".")
            kind, name, _ = self.tok
            if kind != "word" or not name[0].islower():
                raise self.fail("a path segment (lowercase name)")
            segments.append(name)
            self.index += 1
        return Path(tuple(segments), tuple(self.keys()), offset)

    def keys(self) -> list[Node]:
        keys = []
        while self.at("["):
            self.take("[")
            keys.append(self.expression())
            self.take("]")
        return keys

    def argument(self) -> Arg:
        kind, text, _ = self.tok
        if kind == "word" and self.peek()[1] == "=" and self.peek()[0] == "op":
            self.index += 2
            return Arg(text, self.expression())
        return Arg(None, self.expression())


def parse_statement(text: str) -> Statement:
    parser = _Parser(text)
    kind, name, offset = parser.tok
    if kind != "word" or not parser.peek()[1] == "(":
        raise parser.fail("an editor call such as set(...)")
    if not name[0].islower():
        raise OttlSyntaxError(f"a statement must start with an editor (lowercase), not the converter {name}", offset)
    editor = parser.word()
    if not isinstance(editor, Call) or editor.keys:
        raise OttlSyntaxError("an editor's result cannot be indexed", offset)
    condition = None
    if parser.at("where"):
        parser.take("where")
        condition = parser.expression()
    parser.end()
    return Statement(editor, condition, text)


def parse_condition(text: str) -> Node:
    parser = _Parser(text)
    node = parser.expression()
    parser.end()
    return node


def parse_value(text: str) -> Node:
    parser = _Parser(text)
    node = parser.sum()
    parser.end()
    return node
