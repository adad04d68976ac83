"""Scopes and reference resolution: every `a.b.label.export` must name a component that exists and exports it.

A scope is what Alloy calls a module level: the main configuration (all `*.alloy` files of a directory),
the body of a `declare`, an imported module, or a `foreach` template (which also sees its enclosing scope's
components). Declares and import namespaces are looked up through the enclosing scopes of the same module,
never across an import boundary; components are looked up in the scope itself (and, for a template, the
scope around it). `sys.env("X")` calls are collected with their positions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ccotel.collector.pipeline.schema import Schema, below, capsule_name, type_category
from ccotel.collector.pipeline.tree import Block, Call, Expr, Finding, Index, Literal, Pos, children, dotted_name

_STDLIB_NAMESPACES = {"sys", "constants", "string", "encoding", "array", "convert", "file"}
_ENV_FUNCTIONS = {"sys.env", "env"}


@dataclass
class Instance:
    """A component (or an `argument` block) others can reference as name.label[.export]."""

    name: str
    label: str
    block: Block
    exports: dict[str, str] | None  # None: unknown, any export accepted


@dataclass
class Declare:
    name: str
    block: Block
    arguments: dict[str, bool]  # argument name -> required
    exports: set[str]


@dataclass
class Scope:
    kind: str  # "main" | "module" | "declare" | "template"
    directory: Path  # module_path of this scope
    parent: Scope | None = None  # enclosing scope of the same module: declares and namespaces
    outer: Scope | None = None  # for templates: the scope whose components are visible too
    instances: dict[tuple[str, str], Instance] = field(default_factory=dict)
    declares: dict[str, Declare] = field(default_factory=dict)
    namespaces: dict[str, dict[str, Declare] | None] = field(default_factory=dict)  # None: not resolvable
    names: set[str] = field(default_factory=set)  # plain identifiers in scope (foreach var, module_path)

    def find_declare(self, name: str) -> Declare | None:
        scope: Scope | None = self
        while scope is not None:
            if name in scope.declares:
                return scope.declares[name]
            scope = scope.parent or scope.outer
        return None

    def find_namespace(self, namespace: str) -> tuple[bool, dict[str, Declare] | None]:
        scope: Scope | None = self
        while scope is not None:
            if namespace in scope.namespaces:
                return True, scope.namespaces[namespace]
            scope = scope.parent or scope.outer
        return False, None

    def has_name(self, name: str) -> bool:
        scope: Scope | None = self
        while scope is not None:
            if name in scope.names:
                return True
            scope = scope.outer
        return False

    def find_instance(self, chain: list[str]) -> tuple[Instance, int] | None:
        """The instance a reference chain starts with, and the index of its label in the chain."""
        scope: Scope | None = self
        while scope is not None:
            for label_index in range(1, len(chain)):
                key = (".".join(chain[:label_index]), chain[label_index])
                if key in scope.instances:
                    return scope.instances[key], label_index
            scope = scope.outer
        return None


@dataclass(frozen=True)
class EnvUse:
    name: str
    pos: Pos


class References:
    """Checks expressions against scopes; collects findings, env var uses and the component graph's edges."""

    def __init__(self, schema: Schema, min_stability: str | None = None) -> None:
        self.schema, self.min_stability = schema, min_stability
        self.findings: list[Finding] = []
        self.env: list[EnvUse] = []
        self.edges: dict[int, set[int]] = {}  # id(block) -> ids of referenced blocks
        self.blocks: dict[int, Block] = {}

    def check(self, expr: Expr, scope: Scope, owner: Block | None) -> None:
        """Resolve every reference and function call inside expr (owner: the block the expression is in)."""
        if isinstance(expr, Call):
            self._call(expr, scope, owner)
            return
        chain = dotted_name(expr)
        if chain is not None:
            self.resolve(chain, expr.pos, scope, owner)
            return
        for child in children(expr):
            self.check(child, scope, owner)

    def _call(self, call: Call, scope: Scope, owner: Block | None) -> None:
        chain = dotted_name(call.func)
        name = ".".join(chain) if chain else None
        if name is None:
            self.check(call.func, scope, owner)
        elif name in self.schema.stdlib and not scope.find_namespace(chain[0])[0]:  # type: ignore[index]
            level = self.schema.stdlib_stability.get(name, "general-availability")
            if below(level, self.min_stability):
                self.findings.append(Finding(call.pos, f'{name} is at stability level "{level}", below the '
                                             f'minimum "{self.min_stability}" (--stability.level)'))
            if name in _ENV_FUNCTIONS and len(call.args) == 1 and isinstance(call.args[0], Literal):
                self.env.append(EnvUse(str(call.args[0].value), call.pos))
        elif chain and chain[0] in _STDLIB_NAMESPACES and not scope.find_namespace(chain[0])[0]:
            self.findings.append(Finding(call.pos, f'function "{name}" does not exist in the standard library'))
        else:
            self.resolve(chain, call.pos, scope, owner)  # type: ignore[arg-type]
        for argument in call.args:
            self.check(argument, scope, owner)

    def resolve(self, chain: list[str], pos: Pos, scope: Scope, owner: Block | None) -> str | None:
        """Check one reference; returns the type of the referenced export when the schema knows it."""
        if scope.has_name(chain[0]):
            return None
        dotted = ".".join(chain)
        found = scope.find_instance(chain)
        if found is None and chain[0] in _STDLIB_NAMESPACES and not scope.find_namespace(chain[0])[0]:
            if not any(".".join(chain[:n]) in self.schema.stdlib for n in range(1, len(chain) + 1)):
                self.findings.append(Finding(pos, f'"{dotted}" does not exist in the standard library'))
            return None
        if found is None:
            message = (f'identifier "{dotted}" does not exist' if len(chain) == 1
                       else f'component "{dotted}" does not exist or is out of scope')
            self.findings.append(Finding(pos, message))
            return None
        instance, label_index = found
        if owner is not None:
            if instance.block is owner:
                self.findings.append(Finding(owner.pos, "cannot reference self"))
            self.edges.setdefault(id(owner), set()).add(id(instance.block))
            self.blocks[id(owner)], self.blocks[id(instance.block)] = owner, instance.block
        if len(chain) <= label_index + 1 or instance.exports is None:
            return None
        export = chain[label_index + 1]
        if export not in instance.exports:
            known = ", ".join(sorted(instance.exports)) or "nothing"
            self.findings.append(Finding(
                pos, f'"{instance.name}.{instance.label}" does not export "{export}" (it exports: {known})'
            ))
            return None
        return instance.exports[export] if len(chain) == label_index + 2 else None

    def capsule_mismatch(self, expr: Expr, expected_type: str, scope: Scope) -> list[Finding]:
        """For a capsule-typed argument (or a list of them): references to exports of another capsule type."""
        want = capsule_name(expected_type.removeprefix("list(").removesuffix(")") if expected_type.startswith(
            "list(") else expected_type)
        items = list(children(expr)) if expected_type.startswith("list(") and not dotted_name(expr) else [expr]
        findings = []
        for item in items:
            while isinstance(item, Index):
                item = item.value
            chain = dotted_name(item)
            found = scope.find_instance(chain) if chain and not scope.has_name(chain[0]) else None
            if not found or found[0].exports is None or len(chain) != found[1] + 2:  # type: ignore[arg-type]
                continue
            got_type = found[0].exports.get(chain[-1])  # type: ignore[index]
            got = capsule_name(got_type) if got_type else None
            both_capsules = type_category(want or "") == type_category(got or "") == "capsule"
            if want and got and got != want and both_capsules:
                findings.append(Finding(item.pos, f'expected {want}, got {got} ("{".".join(chain)}")'))  # type: ignore[arg-type]
        return findings

    def cycles(self) -> list[Finding]:
        """A finding at each component that is part of a reference cycle (self-references are reported apart)."""
        findings, on_cycle = [], set()
        for start in self.edges:
            stack, seen = [start], set()
            while stack:
                node = stack.pop()
                for target in self.edges.get(node, ()):
                    if target == start and node != start:
                        on_cycle.add(start)
                    if target not in seen and target != start:
                        seen.add(target)
                        stack.append(target)
        for node in sorted(on_cycle, key=lambda n: self.blocks[n].pos):
            block = self.blocks[node]
            findings.append(Finding(block.pos, f"cycle detected: {block.key} is part of a reference cycle"))
        return findings

