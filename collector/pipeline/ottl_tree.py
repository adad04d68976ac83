"""The OTTL syntax tree (see ottl.py): literals, paths, enums, function calls, lists, maps, operators."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Literal:
    kind: str  # "string" | "int" | "float" | "bool" | "nil" | "bytes"
    value: object
    offset: int


@dataclass(frozen=True)
class Path:
    segments: tuple[str, ...]  # e.g. ("span", "attributes")
    keys: tuple[Node, ...]  # the [..] indexes after the path
    offset: int

    @property
    def text(self) -> str:
        return ".".join(self.segments)


@dataclass(frozen=True)
class Enum:
    name: str
    offset: int


@dataclass(frozen=True)
class Arg:
    name: str | None  # named argument (`name = value`) or positional
    value: Node


@dataclass(frozen=True)
class Call:
    name: str  # editors start lowercase, converters uppercase
    args: tuple[Arg, ...]
    keys: tuple[Node, ...]  # converter results may be indexed: Split(x, ",")[0]
    offset: int

    @property
    def is_editor(self) -> bool:
        return self.name[:1].islower()

    def string_args(self) -> list[str]:
        """The unescaped values of the string-literal arguments, in order."""
        return [a.value.value for a in self.args if isinstance(a.value, Literal) and a.value.kind == "string"]  # type: ignore[misc]


@dataclass(frozen=True)
class ListValue:
    items: tuple[Node, ...]
    offset: int


@dataclass(frozen=True)
class MapValue:
    items: tuple[tuple[str, Node], ...]
    offset: int


@dataclass(frozen=True)
class Binary:
    op: str  # and, or, comparisons, + - * /
    left: Node
    right: Node
    offset: int


@dataclass(frozen=True)
class Not:
    value: Node
    offset: int


Node = Literal | Path | Enum | Call | ListValue | MapValue | Binary | Not


@dataclass(frozen=True)
class Statement:
    editor: Call
    condition: Node | None
    text: str = field(compare=False)


def walk(node: Node | None) -> Iterator[Node]:
    """node and everything inside it."""
    if node is None:
        return
    yield node
    if isinstance(node, Path):
        for key in node.keys:
            yield from walk(key)
    elif isinstance(node, Call):
        for arg in node.args:
            yield from walk(arg.value)
        for key in node.keys:
            yield from walk(key)
    elif isinstance(node, ListValue):
        for item in node.items:
            yield from walk(item)
    elif isinstance(node, MapValue):
        for _, value in node.items:
            yield from walk(value)
    elif isinstance(node, Binary):
        yield from walk(node.left)
        yield from walk(node.right)
    elif isinstance(node, Not):
        yield from walk(node.value)
