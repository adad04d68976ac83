"""The data-flow graph of the repository's Alloy configuration, built from the verifier's parser.

Nodes are component ids (`otelcol.processor.batch.traces`, `ccotel.redaction.default`); an edge says
"sends <signal> to". Edges come from `output { traces/logs/metrics = [...] }`, `forward_to = [...]` (metrics),
and the `*_output` arguments of the project's own modules (traces_output -> traces, ...). References into the
`settings` instance of alloy/env.alloy are resolved through its exports (the Prometheus remote-write client
lives there). Everything here is read from the files, nothing from the code under test.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from ccotel.collector.pipeline.syntax import parse_file
from ccotel.collector.pipeline.tree import (
    Attribute,
    Block,
    Call,
    Expr,
    Literal,
    Module,
    children,
    dotted_name,
    string_value,
)

ALLOY_DIR = Path(__file__).resolve().parents[1] / "alloy"
CONFIG_BLOCKS = {"declare", "argument", "export", "import.file", "logging", "tracing", "livedebugging"}
OUTPUT_ARGUMENTS = {"traces_output": "traces", "logs_output": "logs", "metrics_output": "metrics"}


@dataclass
class Graph:
    blocks: dict[str, Block] = field(default_factory=dict)  # component id -> its block
    files: dict[str, str] = field(default_factory=dict)  # component id -> file name
    edges: dict[str, set[tuple[str, str]]] = field(default_factory=lambda: defaultdict(set))  # id -> {(signal, id)}
    settings_exports: dict[str, Expr] = field(default_factory=dict)

    def successors(self, node: str, signal: str) -> set[str]:
        return {target for sig, target in self.edges.get(node, ()) if sig == signal}

    def reachable(self, start: str, signal: str, removed: frozenset[str] = frozenset()) -> set[str]:
        seen, todo = set(), [start]
        while todo:
            node = todo.pop()
            for target in self.successors(node, signal):
                if target not in seen and target not in removed:
                    seen.add(target)
                    todo.append(target)
        return seen

    def of_kind(self, prefix: str) -> list[str]:
        return sorted(node for node in self.blocks if node.startswith(prefix))


def component_id(block: Block) -> str:
    return f"{block.name}.{block.label}" if block.label else block.name


def references(expr: Expr) -> list[list[str]]:
    """Every dotted reference (a.b.c.d) inside an expression."""
    names = dotted_name(expr)
    if names is not None and len(names) > 1:
        return [names]
    found: list[list[str]] = []
    for child in children(expr):
        found.extend(references(child))
    return found


def calls(expr: Expr) -> list[str]:
    """Every function called inside an expression, by dotted name (sys.env, coalesce, ...)."""
    found = []
    if isinstance(expr, Call):
        name = dotted_name(expr.func)
        if name:
            found.append(".".join(name))
    for child in children(expr):
        found.extend(calls(child))
    return found


def parse_config(directory: Path = ALLOY_DIR) -> dict[str, Module]:
    files = sorted(directory.glob("*.alloy")) + sorted((directory / "modules").glob("*.alloy"))
    return {str(path.relative_to(directory)): parse_file(path) for path in files}


def _target(graph: Graph, names: list[str]) -> str:
    if names[0] == "settings" and len(names) == 3:  # settings.env.<export>: resolve through the declare
        value = graph.settings_exports.get(names[2])
        inner = references(value)[0] if value is not None and references(value) else names
        return ".".join(inner[:-1])
    return ".".join(names[:-1])  # drop the export name (.input, .receiver)


def build_graph(modules: dict[str, Module]) -> Graph:
    graph = Graph()
    for filename, module in modules.items():
        if filename.startswith("modules/"):
            continue  # the modules' insides: their interfaces are what the root config wires
        for block in module.blocks():
            if block.name == "declare" and block.label == "settings":
                for inner in block.blocks():
                    if inner.name == "export":
                        graph.settings_exports[str(inner.label)] = inner.attribute("value").value  # type: ignore[union-attr]
                    elif inner.name not in CONFIG_BLOCKS:
                        graph.blocks[component_id(inner)] = inner
                        graph.files[component_id(inner)] = filename
            elif block.name not in CONFIG_BLOCKS:
                graph.blocks[component_id(block)] = block
                graph.files[component_id(block)] = filename
    for node, block in graph.blocks.items():
        wiring: list[tuple[str, Attribute]] = []
        for output in block.blocks("output"):
            wiring += [(attribute.name, attribute) for attribute in output.attributes()]
        for attribute in block.attributes():
            if attribute.name == "forward_to":
                wiring.append(("metrics", attribute))
            elif attribute.name in OUTPUT_ARGUMENTS:
                wiring.append((OUTPUT_ARGUMENTS[attribute.name], attribute))
        for signal, attribute in wiring:
            for names in references(attribute.value):
                graph.edges[node].add((signal, _target(graph, names)))
    return graph


def string_literals(expr: Expr) -> list[str]:
    """Every string literal inside an expression."""
    own = string_value(expr)
    found = [own] if own is not None and isinstance(expr, Literal) else []
    for child in children(expr):
        found.extend(string_literals(child))
    return found


def bool_literal(expr: Expr | None) -> bool | None:
    return expr.value if isinstance(expr, Literal) and expr.kind == "bool" else None  # type: ignore[return-value]


def evaluate(expr: Expr, environ: dict[str, str]) -> object:
    """Evaluate the small part of Alloy's expression language env.alloy uses, for a given environment.

    Literals, sys.env, coalesce, string.format (%s, %t), string.trim_suffix, == and != — written from Alloy's
    stdlib documentation; anything else raises, so a test notices when env.alloy grows beyond it.
    """
    from ccotel.collector.pipeline.tree import Binary, Paren

    if isinstance(expr, Paren):
        return evaluate(expr.inner, environ)
    if isinstance(expr, Literal):
        return expr.value
    if isinstance(expr, Binary) and expr.op in ("==", "!="):
        equal = evaluate(expr.left, environ) == evaluate(expr.right, environ)
        return equal if expr.op == "==" else not equal
    if isinstance(expr, Call):
        name = ".".join(dotted_name(expr.func) or [])
        args = [evaluate(a, environ) for a in expr.args]
        if name == "sys.env":
            return environ.get(str(args[0]), "")
        if name == "coalesce":
            return next((a for a in args if a not in (None, "", [], {})), args[-1])
        if name == "string.trim_suffix":
            text, suffix = str(args[0]), str(args[1])
            return text[: -len(suffix)] if suffix and text.endswith(suffix) else text
        if name == "string.format":
            spec, values = str(args[0]), list(args[1:])
            return spec.replace("%t", "{}").replace("%s", "{}").format(
                *(str(v).lower() if isinstance(v, bool) else v for v in values))
    raise NotImplementedError(f"cannot evaluate {expr!r}")
