"""A recursive-descent parser for Alloy configuration files (grammar: Alloy's `syntax/parser`, LL(1)).

    parse_text(text, filename) -> Module      parse_file(path) -> Module

Like Alloy's parser it keeps going after an error (skipping to the next statement) so one run reports every
syntax error; two parser errors on the same line are reported once. `Module.errors` holds them as findings
with Alloy's messages ("expected TERMINATOR, got IDENT", "missing ',' in expression list", ...).
"""

from __future__ import annotations

import bisect
from pathlib import Path

from ccotel.collector.pipeline.scanner import PRECEDENCE, Scanner, Tok, Token, is_identifier
from ccotel.collector.pipeline.strings import UnquoteError, go_quote, unquote
from ccotel.collector.pipeline.tree import (
    Access,
    Array,
    Attribute,
    Binary,
    Block,
    Call,
    Expr,
    Finding,
    Ident,
    Index,
    Literal,
    Module,
    Object,
    ObjectField,
    Paren,
    Pos,
    Unary,
)

_STATEMENT_END = {Tok.TERMINATOR, Tok.RPAREN, Tok.RCURLY, Tok.RBRACK, Tok.COMMA}
_LITERAL_KINDS = {Tok.STRING: "string", Tok.NUMBER: "number", Tok.FLOAT: "float", Tok.BOOL: "bool", Tok.NULL: "null"}


def _describe(token: Token) -> str:
    return token.kind.value


def number_value(text: str) -> int | float:
    """A NUMBER literal's value as Alloy computes it (Go ParseInt base 0: a leading 0 means octal)."""
    try:
        value = int(text, 8) if len(text) > 1 and text.startswith("0") else int(text)
    except ValueError:
        return float(text)
    return value if value < 2**64 else float(text)


class Parser:
    def __init__(self, text: str, filename: str) -> None:
        self.text, self.filename = text, filename
        self.line_starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]
        self.scanner = Scanner(text)
        self.errors: list[Finding] = []
        self.last_error_line = 0
        self.tok = self.scanner.scan()

    def pos(self, offset: int) -> Pos:
        line = bisect.bisect_right(self.line_starts, offset) - 1
        start = self.line_starts[line]
        column = len(self.text[start:offset].encode("utf-8", "surrogateescape")) + 1
        return Pos(self.filename, line + 1, column)

    def next(self) -> None:
        self.tok = self.scanner.scan()

    def error(self, message: str, offset: int | None = None) -> None:
        pos = self.pos(self.tok.offset if offset is None else offset)
        if pos.line == self.last_error_line:
            return
        self.last_error_line = pos.line
        self.errors.append(Finding(pos, message))

    def expect(self, kind: Tok) -> Token:
        token = self.tok
        if token.kind is not kind:
            self.error(f"expected {kind.value}, got {_describe(token)}")
        self.next()
        return token

    def advance(self, to: set[Tok]) -> None:
        while self.tok.kind is not Tok.EOF and self.tok.kind not in to:
            self.next()

    # --- statements ----------------------------------------------------------------------------------------

    def parse_module(self) -> Module:
        body = self.parse_body(Tok.EOF)
        scan_errors = [Finding(self.pos(offset), message) for offset, message in self.scanner.errors]
        errors = sorted(set(self.errors + scan_errors))
        return Module(self.filename, tuple(body), errors)

    def parse_body(self, until: Tok) -> list[Attribute | Block]:
        body: list[Attribute | Block] = []
        while self.tok.kind not in (until, Tok.EOF):
            statement = self.parse_statement()
            if statement is not None:
                body.append(statement)
            if self.tok.kind is until:
                break
            if self.tok.kind is not Tok.TERMINATOR:
                self.error(f"expected TERMINATOR, got {_describe(self.tok)}")
                self.consume_statement()
            self.next()
        return body

    def consume_statement(self) -> None:
        depth = {Tok.LCURLY: 0, Tok.LBRACK: 0, Tok.LPAREN: 0}
        closing = {Tok.RCURLY: Tok.LCURLY, Tok.RBRACK: Tok.LBRACK, Tok.RPAREN: Tok.LPAREN}
        while self.tok.kind is not Tok.EOF:
            if self.tok.kind in depth:
                depth[self.tok.kind] += 1
            elif self.tok.kind in closing:
                depth[closing[self.tok.kind]] -= 1
            if self.tok.kind is Tok.TERMINATOR and all(count <= 0 for count in depth.values()):
                return
            self.next()

    def parse_statement(self) -> Attribute | Block | None:
        if self.tok.kind is not Tok.IDENT:
            self.error(f"expected identifier, got {_describe(self.tok)}")
            self.advance({Tok.IDENT})
            return None
        start = self.tok.offset
        fragments = [self.tok.text]
        self.next()
        while self.tok.kind is Tok.DOT:
            self.next()
            if self.tok.kind is not Tok.IDENT:
                self.error(f"expected identifier, got {_describe(self.tok)}")
            fragments.append(self.tok.text)
            self.next()
        label, label_offset = None, None
        if self.tok.kind not in (Tok.ASSIGN, Tok.LCURLY):
            if self.tok.kind is Tok.STRING:
                text = self.tok.text
                if not text.startswith('"'):
                    self.error(f"expected block label to be a double quoted string, but got {go_quote(text)}")
                raw = text.encode("utf-8", "surrogateescape")  # Alloy slices the quotes off as bytes
                label = raw[1:-1].decode("utf-8", "surrogateescape") if len(raw) > 2 else ""
                label_offset = self.tok.offset
                if label and not is_identifier(label):
                    self.error(f"expected block label to be a valid identifier, but got {go_quote(label)}")
            else:
                self.error(f"expected block label, got {_describe(self.tok)}")
            self.next()
        if self.tok.kind is Tok.ASSIGN:
            self.next()
            if len(fragments) != 1:
                self.errors.append(Finding(
                    self.pos(start), 'attribute names may only consist of a single identifier with no "."'
                ))
            elif label_offset is not None:
                self.errors.append(Finding(self.pos(label_offset), "attribute names may not have labels"))
            return Attribute(fragments[0], self.parse_expression(), self.pos(start))
        if self.tok.kind is Tok.LCURLY:
            self.next()
            body = self.parse_body(Tok.RCURLY)
            self.expect(Tok.RCURLY)
            return Block(".".join(fragments), label, tuple(body), self.pos(start))
        if len(fragments) == 1 and not label:
            self.error(f"expected attribute assignment or block body, got {_describe(self.tok)}")
        else:
            self.error(f"expected block body, got {_describe(self.tok)}")
        self.advance({Tok.IDENT})
        return None

    # --- expressions ---------------------------------------------------------------------------------------

    def parse_expression(self) -> Expr:
        return self.parse_binary(1)

    def parse_binary(self, min_precedence: int) -> Expr:
        left = self.parse_power()
        while True:
            precedence = PRECEDENCE.get(self.tok.kind, 0)
            if precedence < min_precedence or self.tok.kind is Tok.POW:
                return left
            op = self.tok.kind.value
            self.next()
            right = self.parse_binary(precedence + 1)
            left = Binary(op, left, right, left.pos)

    def parse_power(self) -> Expr:
        left = self.parse_unary()
        if self.tok.kind is Tok.POW:
            self.next()
            return Binary("^", left, self.parse_power(), left.pos)
        return left

    def parse_unary(self) -> Expr:
        if self.tok.kind in (Tok.NOT, Tok.SUB):
            op, pos = self.tok.kind.value, self.pos(self.tok.offset)
            self.next()
            return Unary(op, self.parse_unary(), pos)
        primary = self.parse_primary()
        while True:
            kind = self.tok.kind
            if kind is Tok.DOT:
                self.next()
                name = self.expect(Tok.IDENT)
                primary = Access(primary, name.text, primary.pos)
            elif kind is Tok.LBRACK:
                self.next()
                index = self.parse_expression()
                self.expect(Tok.RBRACK)
                primary = Index(primary, index, primary.pos)
            elif kind is Tok.LPAREN:
                self.next()
                args = self.parse_list(Tok.RPAREN) if self.tok.kind is not Tok.RPAREN else []
                self.expect(Tok.RPAREN)
                primary = Call(primary, tuple(args), primary.pos)
            elif kind in (Tok.STRING, Tok.LCURLY):
                if not self.block_as_expression(primary):
                    return primary
            else:
                return primary

    def block_as_expression(self, primary: Expr) -> bool:
        """`attr = name "label" { ... }`: parse the block to say what is wrong. False when that fails too."""
        if self.tok.kind is Tok.STRING:
            self.next()
        if self.expect(Tok.LCURLY).kind is not Tok.LCURLY:
            self.consume_statement()
            return False
        self.parse_body(Tok.RCURLY)
        if self.expect(Tok.RCURLY).kind is not Tok.RCURLY:
            self.consume_statement()
            return False
        self.errors.append(Finding(primary.pos, "cannot use a block as an expression"))
        return True

    def parse_primary(self) -> Expr:
        token, pos = self.tok, self.pos(self.tok.offset)
        if token.kind is Tok.IDENT:
            self.next()
            return Ident(token.text, pos)
        if token.kind in _LITERAL_KINDS:
            self.next()
            return self.literal(token, pos)
        if token.kind is Tok.LPAREN:
            self.next()
            inner = self.parse_expression()
            self.expect(Tok.RPAREN)
            return Paren(inner, pos)
        if token.kind is Tok.LBRACK:
            self.next()
            items = self.parse_list(Tok.RBRACK) if self.tok.kind is not Tok.RBRACK else []
            self.expect(Tok.RBRACK)
            return Array(tuple(items), pos)
        if token.kind is Tok.LCURLY:
            self.next()
            # Alloy's parser skips the field list when `{` is followed by `]` (not `}`): same diagnostics here.
            fields = self.parse_fields() if self.tok.kind is not Tok.RBRACK else []
            self.expect(Tok.RCURLY)
            return Object(tuple(fields), pos)
        self.error(f"expected expression, got {_describe(token)}")
        self.advance(_STATEMENT_END)
        return Literal("null", "null", None, pos)

    def literal(self, token: Token, pos: Pos) -> Literal:
        kind = _LITERAL_KINDS[token.kind]
        value: object
        if kind == "string":
            try:
                value = unquote(token.text)
            except UnquoteError:
                value = token.text  # the scanner has reported why
        elif kind == "number":
            value = number_value(token.text)
        elif kind == "float":
            try:
                value = float(token.text)
            except ValueError:
                value = float("nan")  # `1e`: the scanner has reported it
        else:
            value = {"true": True, "false": False}.get(token.text)
        return Literal(kind, token.text, value, pos)

    def parse_list(self, until: Tok) -> list[Expr]:
        items: list[Expr] = []
        while self.tok.kind not in (until, Tok.EOF):
            items.append(self.parse_expression())
            if self.tok.kind is until:
                break
            if self.tok.kind is not Tok.COMMA:
                self.error("missing ',' in expression list")
            self.next()
        return items

    def parse_fields(self) -> list[ObjectField]:
        fields: list[ObjectField] = []
        while self.tok.kind not in (Tok.RCURLY, Tok.EOF):
            token, pos = self.tok, self.pos(self.tok.offset)
            key, quoted = token.text, False
            if token.kind in (Tok.STRING, Tok.IDENT):
                if token.kind is Tok.STRING and len(token.text) > 2:
                    key, quoted = token.text[1:-1], True  # Alloy takes quoted keys verbatim (no unescaping)
                self.next()
            else:
                self.error(f"expected field name (string or identifier), got {_describe(token)}")
                self.advance({Tok.ASSIGN})
            self.expect(Tok.ASSIGN)
            fields.append(ObjectField(key, quoted, self.parse_expression(), pos))
            if self.tok.kind is Tok.RCURLY:
                break
            if self.tok.kind is not Tok.COMMA:
                self.error("missing ',' in field list")
            self.next()
        return fields


def parse_text(text: str, filename: str = "<string>") -> Module:
    """Parse Alloy source; syntax errors are in the returned module's `errors` (never raised)."""
    return Parser(text, filename).parse_module()


def parse_file(path: str | Path, display_name: str | None = None) -> Module:
    """Parse one .alloy file (UTF-8; bytes that are not UTF-8 are a syntax error at their position)."""
    raw = Path(path).read_bytes()
    text = raw.decode("utf-8", "surrogateescape")
    module = parse_text(text, display_name or str(path))
    bad = next((i for i, ch in enumerate(text) if "\udc80" <= ch <= "\udcff"), None)
    if bad is not None:
        module.errors.append(Finding(Parser(text, module.filename).pos(bad), "illegal UTF-8 encoding"))
        module.errors.sort()
    return module
