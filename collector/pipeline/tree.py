"""The Alloy syntax tree: blocks, attributes and expressions, each with its file:line:col, plus findings.

Walk a parsed module with `Module.blocks()` / `Block.blocks()` / `Block.attribute(name)`; read literal values
with `string_value(expr)` (a string literal, unescaped) and `string_list(expr)`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field


@dataclass(frozen=True, order=True)
class Pos:
    file: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


@dataclass(frozen=True, order=True)
class Finding:
    """One problem in the configuration, printed as `file:line:col: message`."""

    pos: Pos
    message: str

    def __str__(self) -> str:
        return f"{self.pos}: {self.message}"


# --- expressions -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Literal:
    kind: str  # "string" | "number" | "float" | "bool" | "null"
    text: str  # as written (strings with their quotes)
    value: object  # decoded: str, int, float, bool or None
    pos: Pos


@dataclass(frozen=True)
class Ident:
    name: str
    pos: Pos


@dataclass(frozen=True)
class Access:
    value: Expr
    name: str
    pos: Pos  # of the start of the whole expression


@dataclass(frozen=True)
class Index:
    value: Expr
    index: Expr
    pos: Pos


@dataclass(frozen=True)
class Call:
    func: Expr
    args: tuple[Expr, ...]
    pos: Pos


@dataclass(frozen=True)
class Array:
    items: tuple[Expr, ...]
    pos: Pos


@dataclass(frozen=True)
class ObjectField:
    key: str
    quoted: bool
    value: Expr
    pos: Pos


@dataclass(frozen=True)
class Object:
    fields: tuple[ObjectField, ...]
    pos: Pos


@dataclass(frozen=True)
class Unary:
    op: str
    value: Expr
    pos: Pos


@dataclass(frozen=True)
class Binary:
    op: str
    left: Expr
    right: Expr
    pos: Pos  # of the left operand's start


@dataclass(frozen=True)
class Paren:
    inner: Expr
    pos: Pos


Expr = Literal | Ident | Access | Index | Call | Array | Object | Unary | Binary | Paren


def dotted_name(expr: Expr) -> list[str] | None:
    """`a.b.c` as ["a", "b", "c"]; None when the expression is not a plain chain of names."""
    names: list[str] = []
    while isinstance(expr, Access):
        names.append(expr.name)
        expr = expr.value
    if not isinstance(expr, Ident):
        return None
    names.append(expr.name)
    return names[::-1]


def children(expr: Expr) -> Iterator[Expr]:
    """The direct sub-expressions of an expression."""
    if isinstance(expr, Access | Unary):
        yield expr.value
    elif isinstance(expr, Index):
        yield from (expr.value, expr.index)
    elif isinstance(expr, Call):
        yield expr.func
        yield from expr.args
    elif isinstance(expr, Array):
        yield from expr.items
    elif isinstance(expr, Object):
        yield from (f.value for f in expr.fields)
    elif isinstance(expr, Binary):
        yield from (expr.left, expr.right)
    elif isinstance(expr, Paren):
        yield expr.inner


def string_value(expr: Expr | None) -> str | None:
    """The unescaped text of a string literal (or of a parenthesised one); None for anything else."""
    while isinstance(expr, Paren):
        expr = expr.inner
    if isinstance(expr, Literal) and expr.kind == "string":
        return expr.value  # type: ignore[return-value]
    return None


def string_list(expr: Expr | None) -> list[tuple[str | None, Expr]]:
    """For an array, each item's string value (None where an item is not a string literal) and its node."""
    if not isinstance(expr, Array):
        return []
    return [(string_value(item), item) for item in expr.items]


# --- statements --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Attribute:
    name: str
    value: Expr
    pos: Pos


@dataclass(frozen=True)
class Block:
    name: str  # dotted, e.g. "otelcol.exporter.otlphttp"
    label: str | None
    body: tuple[Attribute | Block, ...]
    pos: Pos

    @property
    def key(self) -> str:
        """`name.label` (or just `name`), the form Alloy uses in "already declared" messages."""
        return f"{self.name}.{self.label}" if self.label is not None else self.name

    def attributes(self) -> list[Attribute]:
        return [s for s in self.body if isinstance(s, Attribute)]

    def attribute(self, name: str) -> Attribute | None:
        return next((a for a in self.attributes() if a.name == name), None)

    def blocks(self, name: str | None = None) -> list[Block]:
        return [s for s in self.body if isinstance(s, Block) and (name is None or s.name == name)]

    def walk(self) -> Iterator[Block]:
        """This block and every block nested in it, depth first."""
        yield self
        for inner in self.blocks():
            yield from inner.walk()


@dataclass
class Module:
    """One parsed file: its top-level statements and the syntax errors found while parsing."""

    filename: str
    body: tuple[Attribute | Block, ...]
    errors: list[Finding] = field(default_factory=list)

    def blocks(self, name: str | None = None) -> list[Block]:
        return [s for s in self.body if isinstance(s, Block) and (name is None or s.name == name)]

    def walk(self) -> Iterator[Block]:
        for block in self.blocks():
            yield from block.walk()
