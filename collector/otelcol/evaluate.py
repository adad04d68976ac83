"""Alloy expression values for the translator: literals, sys.env, the stdlib functions alloy/ uses, references.

Values are Python data (str, int, float, bool, None, list, dict) or one of the capsules below, which stand for
what an Alloy component exports: a consumer (`.input`), an extension handler (`.handler`), a Prometheus
receiver (`.receiver`). References are resolved by a `Resolver` (the scope a component is evaluated in).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from ccotel.collector.pipeline.tree import (
    Access,
    Array,
    Binary,
    Call,
    Expr,
    Ident,
    Index,
    Literal,
    Object,
    Paren,
    Unary,
    dotted_name,
)
from ccotel.errors import CcotelError


@dataclass(frozen=True)
class Consumer:
    """An otelcol component's `input`: uid is the component's unique id in the flattened pipeline."""

    uid: str


@dataclass(frozen=True)
class Handler:
    """An extension's `handler` (otelcol.auth.* / otelcol.storage.*)."""

    uid: str


@dataclass(frozen=True)
class PromReceiver:
    """A prometheus.* component's `receiver` (a MetricsReceiver)."""

    uid: str


@dataclass(frozen=True)
class Opaque:
    """An export the translator has no use for (e.g. prometheus.exporter.self's targets)."""

    what: str


class TranslateError(CcotelError):
    """alloy/ uses something the translator cannot map."""


class Resolver(Protocol):
    env: Mapping[str, str]
    module_path: str

    def reference(self, names: list[str], where: str) -> object: ...


def _format(fmt: str, args: list[object], where: str) -> str:
    """Go's fmt.Sprintf for the verbs alloy/ uses: %s %d %t %v %q %%."""
    out: list[str] = []
    values = iter(args)
    i = 0
    while i < len(fmt):
        ch = fmt[i]
        if ch != "%":
            out.append(ch)
            i += 1
            continue
        verb = fmt[i + 1 : i + 2]
        i += 2
        if verb == "%":
            out.append("%")
            continue
        try:
            value = next(values)
        except StopIteration:
            out.append(f"%!{verb}(MISSING)")
            continue
        if verb == "t":
            out.append("true" if value else "false")
        elif verb == "q":
            out.append('"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"')
        elif verb in ("s", "v", "d"):
            out.append(("true" if value else "false") if isinstance(value, bool) else str(value))
        else:
            raise TranslateError(f"{where}: string.format verb %{verb} is not supported by the translator")
    return "".join(out)


def _coalesce(args: list[object]) -> object:
    """Alloy's coalesce: the first argument that is not its type's zero value (else the last one)."""
    for value in args:
        if value not in (None, "", 0, False, [], {}):
            return value
    return args[-1] if args else None


def _path_join(args: list[object]) -> str:
    parts = [str(a) for a in args if str(a)]
    return re.sub(r"/+", "/", "/".join(parts)) if parts else ""


FUNCTIONS: dict[str, Callable[[list[object]], object]] = {
    "coalesce": _coalesce,
    "string.trim_suffix": lambda a: str(a[0])[: -len(str(a[1]))] if a[1] and str(a[0]).endswith(str(a[1])) else a[0],
    "string.trim_prefix": lambda a: str(a[0])[len(str(a[1])) :] if str(a[0]).startswith(str(a[1])) else a[0],
    "string.trim_space": lambda a: str(a[0]).strip(),
    "string.to_lower": lambda a: str(a[0]).lower(),
    "string.to_upper": lambda a: str(a[0]).upper(),
    "string.join": lambda a: str(a[1]).join(str(x) for x in a[0]),  # type: ignore[union-attr]
    "file.path_join": _path_join,
}

_COMPARE: dict[str, Callable[[object, object], object]] = {
    "==": lambda x, y: x == y,
    "!=": lambda x, y: x != y,
    "<": lambda x, y: x < y,  # type: ignore[operator]
    "<=": lambda x, y: x <= y,  # type: ignore[operator]
    ">": lambda x, y: x > y,  # type: ignore[operator]
    ">=": lambda x, y: x >= y,  # type: ignore[operator]
    "+": lambda x, y: x + y,  # type: ignore[operator]
    "-": lambda x, y: x - y,  # type: ignore[operator]
    "*": lambda x, y: x * y,  # type: ignore[operator]
    "/": lambda x, y: x / y,  # type: ignore[operator]
    "%": lambda x, y: x % y,  # type: ignore[operator]
}


def evaluate(expr: Expr, scope: Resolver) -> object:
    """The value of an Alloy expression in a scope; TranslateError for anything the translator cannot compute."""
    where = str(expr.pos)
    if isinstance(expr, Literal):
        return expr.value
    if isinstance(expr, Paren):
        return evaluate(expr.inner, scope)
    if isinstance(expr, Array):
        return [evaluate(item, scope) for item in expr.items]
    if isinstance(expr, Object):
        return {f.key: evaluate(f.value, scope) for f in expr.fields}
    if isinstance(expr, Unary):
        value = evaluate(expr.value, scope)
        return (not value) if expr.op == "!" else -value  # type: ignore[operator]
    if isinstance(expr, Binary):
        if expr.op in ("&&", "||"):
            left = evaluate(expr.left, scope)
            if (expr.op == "&&") != bool(left):
                return left
            return evaluate(expr.right, scope)
        if expr.op not in _COMPARE:
            raise TranslateError(f"{where}: operator {expr.op} is not supported by the translator")
        return _COMPARE[expr.op](evaluate(expr.left, scope), evaluate(expr.right, scope))
    if isinstance(expr, Call):
        return _call(expr, scope, where)
    if isinstance(expr, Index):
        container = evaluate(expr.value, scope)
        return container[evaluate(expr.index, scope)]  # type: ignore[index]
    if isinstance(expr, Ident) and expr.name == "module_path":
        return scope.module_path
    names = dotted_name(expr)
    if names is None:
        if isinstance(expr, Access):
            value = evaluate(expr.value, scope)
            if isinstance(value, dict) and expr.name in value:
                return value[expr.name]
        raise TranslateError(f"{where}: cannot evaluate this expression")
    return scope.reference(names, where)


def _call(expr: Call, scope: Resolver, where: str) -> object:
    name = ".".join(dotted_name(expr.func) or ["?"])
    args = [evaluate(arg, scope) for arg in expr.args]
    if name == "sys.env":
        return scope.env.get(str(args[0]), "")
    if name == "string.format":
        return _format(str(args[0]), args[1:], where)
    function = FUNCTIONS.get(name)
    if function is None:
        raise TranslateError(f"{where}: function {name}() is not supported by the translator")
    return function(args)
