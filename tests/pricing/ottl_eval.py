"""A small OTTL evaluator for the subset the rendered cost module uses (span context, error_mode "ignore").

It runs statements parsed by ccotel.collector.pipeline.ottl (the verifier's parser) on an in-memory span, with the
semantics of pkg/ottl v0.158 as documented in the project's OTTL notes: int64 and float64 never mix in
math (an error skips the statement), Int()/Double() convert, a missing map key is nil, `set` with a nil
value does nothing, comparisons follow OTTL's rules (int vs double as double; different types are only
unequal), `and`/`or` short-circuit, IsMatch/replace_pattern use RE2 (google-re2, the same dialect as Go).
Only what the cost module emits is implemented; anything else raises NotImplementedError so a new
construct in the renderer cannot be silently mis-evaluated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import re2

from ccotel.collector.pipeline.ottl import Binary, Call, Literal, MapValue, Node, Not, Path, Statement

_INT_TEXT = re.compile(r"[+-]?[0-9]+")


class EvalError(Exception):
    """What OTTL would report as a statement error (the statement is skipped under error_mode ignore)."""


@dataclass
class EvalSpan:
    attributes: dict[str, Any]
    start_time_unix_nano: int
    cache: dict[str, Any] = field(default_factory=dict)


@cache
def _regex(pattern: str) -> Any:
    return re2.compile(pattern)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class Evaluator:
    def __init__(self, span: EvalSpan) -> None:
        self.span = span

    # --- values ------------------------------------------------------------------------------------------
    def value(self, node: Node) -> Any:
        if isinstance(node, Literal):
            return node.value
        if isinstance(node, Path):
            return self.path(node)
        if isinstance(node, MapValue):
            return {key: self.value(item) for key, item in node.items}
        if isinstance(node, Call):
            return self.converter(node)
        if isinstance(node, Binary) and node.op in "+-*/":
            return self.math(node.op, self.value(node.left), self.value(node.right))
        if isinstance(node, Binary | Not):
            return self.condition(node)
        raise NotImplementedError(f"value {node!r}")

    def path_root(self, node: Path) -> Any:
        if node.segments == ("span", "attributes"):
            return self.span.attributes
        if node.segments == ("span", "cache"):
            return self.span.cache
        if node.segments == ("span", "start_time_unix_nano") and not node.keys:
            return self.span.start_time_unix_nano
        raise NotImplementedError(f"path {node.text}")

    def path(self, node: Path) -> Any:
        current = self.path_root(node)
        for key_node in node.keys:
            key = self.value(key_node)
            if not isinstance(current, dict):
                raise EvalError(f"cannot index {type(current).__name__} with {key!r}")
            if key not in current:
                return None
            current = current[key]
        return current

    def converter(self, node: Call) -> Any:
        if node.keys:
            raise NotImplementedError("indexed converter result")
        args = [self.value(arg.value) for arg in node.args]
        if node.name == "Int":
            return _int(args[0])
        if node.name == "Double":
            return _double(args[0])
        if node.name == "IsString":
            return isinstance(args[0], str)
        if node.name == "ToLowerCase":
            if not isinstance(args[0], str):
                raise EvalError(f"ToLowerCase expects a string, got {args[0]!r}")
            return args[0].lower()
        if node.name == "IsMatch":
            target, pattern = args
            if target is None:
                return False
            if not isinstance(target, str):
                raise NotImplementedError("IsMatch on a non-string")
            return _regex(pattern).search(target) is not None
        raise NotImplementedError(f"converter {node.name}")

    @staticmethod
    def math(op: str, left: Any, right: Any) -> Any:
        if not (_is_number(left) and _is_number(right)) or type(left) is not type(right):
            raise EvalError(f"math on {type(left).__name__} {op} {type(right).__name__}")
        if op == "+":
            return left + right
        if op == "-":
            return left - right
        if op == "*":
            return left * right
        if right == 0:
            raise EvalError("division by zero")
        if isinstance(left, int):
            quotient = abs(left) // abs(right)  # Go truncates toward zero
            return quotient if (left >= 0) == (right >= 0) else -quotient
        return left / right

    # --- conditions --------------------------------------------------------------------------------------
    def condition(self, node: Node) -> bool:
        if isinstance(node, Not):
            return not self.condition(node.value)
        if isinstance(node, Binary) and node.op == "and":
            return self.condition(node.left) and self.condition(node.right)
        if isinstance(node, Binary) and node.op == "or":
            return self.condition(node.left) or self.condition(node.right)
        if isinstance(node, Binary) and node.op in ("==", "!=", "<", ">", "<=", ">="):
            return _compare(node.op, self.value(node.left), self.value(node.right))
        result = self.value(node)
        if not isinstance(result, bool):
            raise EvalError(f"condition is not a boolean: {result!r}")
        return result

    # --- editors -----------------------------------------------------------------------------------------
    def run(self, statement: Statement) -> None:
        if statement.condition is not None and not self.condition(statement.condition):
            return
        editor, args = statement.editor, statement.editor.args
        if editor.name == "set":
            target, value = args[0].value, self.value(args[1].value)
            if value is not None:
                self.assign(target, value)
        elif editor.name == "delete_key":
            target, key = self.value(args[0].value), self.value(args[1].value)
            if not isinstance(target, dict):
                raise EvalError("delete_key target is not a map")
            target.pop(key, None)
        elif editor.name == "replace_pattern":
            current = self.value(args[0].value)
            pattern, replacement = self.value(args[1].value), self.value(args[2].value)
            if "$" in replacement or "\\" in replacement:
                raise NotImplementedError("replacement with group references")
            if isinstance(current, str):
                self.assign(args[0].value, _regex(pattern).sub(lambda _m: replacement, current))
        else:
            raise NotImplementedError(f"editor {editor.name}")

    def assign(self, target: Node, value: Any) -> None:
        if not isinstance(target, Path) or len(target.keys) != 1:
            raise NotImplementedError(f"set target {target!r}")
        container = self.path_root(target)
        key = self.value(target.keys[0])
        container[key] = dict(value) if isinstance(value, dict) else value


def run_group(conditions: list[Node], statements: list[Statement], span: EvalSpan) -> list[str]:
    """One transform-processor statement group on one span; returns the statement errors (logged, ignored)."""
    evaluator = Evaluator(span)
    if conditions and not any(evaluator.condition(condition) for condition in conditions):
        return []
    errors = []
    for statement in statements:
        try:
            evaluator.run(statement)
        except EvalError as error:
            errors.append(f"{statement.text}: {error}")
    span.cache.clear()  # the transform context (and its cache) ends with the span
    return errors


def _int(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value)
    if isinstance(value, str):
        return int(value) if _INT_TEXT.fullmatch(value) else None
    raise EvalError(f"Int of {type(value).__name__}")


def _double(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool | int | float):
        return float(value)
    raise NotImplementedError(f"Double of {type(value).__name__}")


def _compare(op: str, left: Any, right: Any) -> bool:
    if left is None or right is None:
        equal = left is None and right is None
        return equal if op == "==" else (not equal if op == "!=" else False)
    if _is_number(left) and _is_number(right) and isinstance(left, int) and isinstance(right, int):
        a, b = left, right  # int64 against int64: exact (nanosecond timestamps do not fit a double)
    elif _is_number(left) and _is_number(right):
        a, b = float(left), float(right)
    elif type(left) is type(right) and isinstance(left, str | bool):
        a, b = left, right
    else:
        return op == "!="
    return {"==": a == b, "!=": a != b, "<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b}[op]
