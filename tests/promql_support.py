"""A PromQL lexer and the facts the dashboard tests need from an expression (not a full evaluator).

`analyse(expr)` returns every vector selector (metric name, label matchers, the function it sits directly
in, whether it has a range) and every label named in by/without/on/ignoring/group_* clauses. Grammar from
Prometheus' promql/parser (lex.go, generated_parser.y): strings in three quote styles, durations, numbers,
identifiers with colons, keywords, aggregation modifiers before or after the argument list, subqueries
`expr[range:step]`, offset and @ modifiers. Grafana's template variables are replaced first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

KEYWORDS = {"and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right", "bool",
            "offset", "start", "end", "inf", "nan"}
GROUPING = {"by", "without", "on", "ignoring", "group_left", "group_right"}

_TOKEN = re.compile(r"""
    (?P<space>\s+|\#[^\n]*)
  | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)
  | (?P<duration>(?:\d+(?:ms|s|m|h|d|w|y))+)
  | (?P<number>0x[0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<ident>[A-Za-z_:][A-Za-z0-9_:]*)
  | (?P<op>=~|!~|==|!=|<=|>=|[-+*/%^<>=@])
  | (?P<punct>[(){}\[\],:])
""", re.VERBOSE)


@dataclass(frozen=True)
class Token:
    kind: str
    text: str


@dataclass
class Selector:
    metric: str
    matchers: list[tuple[str, str, str]] = field(default_factory=list)  # (label, op, value)
    function: str | None = None  # the function or aggregation whose argument list it is directly in
    has_range: bool = False


@dataclass
class Analysis:
    selectors: list[Selector] = field(default_factory=list)
    grouping_labels: set[str] = field(default_factory=set)
    functions: set[str] = field(default_factory=set)


class PromQLError(ValueError):
    pass


def substitute_grafana_variables(expr: str) -> str:
    expr = re.sub(r"\$__(?:range|rate_interval|interval)(?:_ms|_s)?\b", "5m", expr)
    expr = re.sub(r"\$\{[^}]+\}", "x", expr)
    return re.sub(r"\$[A-Za-z_]\w*", "x", expr)


def tokenize(expr: str) -> list[Token]:
    tokens, position = [], 0
    while position < len(expr):
        match = _TOKEN.match(expr, position)
        if match is None:
            raise PromQLError(f"unexpected character {expr[position]!r} at {position} in {expr!r}")
        position = match.end()
        kind = match.lastgroup or ""
        if kind != "space":
            tokens.append(Token(kind, match.group(0)))
    return tokens


def analyse(expr: str) -> Analysis:
    tokens = tokenize(substitute_grafana_variables(expr))
    result = Analysis()
    stack: list[str | None] = []  # one entry per open "(": the function name or None for plain grouping
    pending_function: str | None = None
    index = 0

    def expect(text: str) -> None:
        nonlocal index
        if index >= len(tokens) or tokens[index].text != text:
            found = tokens[index].text if index < len(tokens) else "end of input"
            raise PromQLError(f"expected {text!r}, found {found!r} in {expr!r}")
        index += 1

    while index < len(tokens):
        token = tokens[index]
        following = tokens[index + 1] if index + 1 < len(tokens) else None
        if token.kind == "ident" and token.text in GROUPING:
            index += 1
            if index < len(tokens) and tokens[index].text == "(":
                index += 1
                while tokens[index].text != ")":
                    if tokens[index].kind == "ident":
                        result.grouping_labels.add(tokens[index].text)
                    elif tokens[index].text != ",":
                        raise PromQLError(f"bad label list in {expr!r}")
                    index += 1
                index += 1
            continue
        if token.kind == "ident" and token.text in KEYWORDS:
            index += 1
            continue
        if token.kind == "ident" and following is not None and following.text == "(":
            result.functions.add(token.text)
            pending_function = token.text
            index += 1
            continue
        if token.kind == "ident" and following is not None and following.kind == "ident" \
                and following.text in ("by", "without"):
            result.functions.add(token.text)  # `sum by (x) (...)`: the aggregation's "(" comes later
            pending_function = token.text
            index += 1
            continue
        if token.text == "(":
            stack.append(pending_function)
            pending_function = None
            index += 1
            continue
        if token.text == ")":
            if not stack:
                raise PromQLError(f"unbalanced ')' in {expr!r}")
            stack.pop()
            index += 1
            continue
        if token.kind == "ident" or token.text == "{":
            selector = Selector(metric=token.text if token.kind == "ident" else "",
                                function=stack[-1] if stack else None)
            index += 1 if token.kind == "ident" else 0
            if index < len(tokens) and tokens[index].text == "{":
                index += 1
                while tokens[index].text != "}":
                    label, op, value = tokens[index], tokens[index + 1], tokens[index + 2]
                    if label.kind != "ident" or op.text not in ("=", "!=", "=~", "!~") or value.kind != "string":
                        raise PromQLError(f"bad matcher near {label.text!r} in {expr!r}")
                    selector.matchers.append((label.text, op.text, value.text[1:-1]))
                    index += 3
                    if tokens[index].text == ",":
                        index += 1
                index += 1
            if index < len(tokens) and tokens[index].text == "[":
                selector.has_range = True
                while tokens[index].text != "]":
                    index += 1
                index += 1
            result.selectors.append(selector)
            continue
        if token.text == "[":  # a subquery range after ")"
            while tokens[index].text != "]":
                index += 1
            expect("]")
            continue
        index += 1
    if stack:
        raise PromQLError(f"unbalanced '(' in {expr!r}")
    return result
