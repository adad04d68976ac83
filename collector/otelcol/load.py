"""Load an Alloy configuration directory as a flat list of components: `declare` modules inlined, imports read.

    load(alloy_dir, env) -> list[Component]

Each component keeps the scope it is evaluated in, so `argument.*`, exports of other modules
(`settings.env.tempo_endpoint`), `module_path` and `sys.env` resolve as Alloy would resolve them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ccotel.collector.otelcol.evaluate import Consumer, Handler, Opaque, PromReceiver, TranslateError, evaluate
from ccotel.collector.pipeline.syntax import parse_file
from ccotel.collector.pipeline.tree import Attribute, Block, Expr, Literal, Pos

_IGNORED = {"logging", "tracing", "livedebugging", "http", "remotecfg", "argument", "export"}
# What each exported field of a component stands for (the rest are Opaque).
_EXPORTS = {"input": Consumer, "handler": Handler, "receiver": PromReceiver}


@dataclass(frozen=True)
class DeclareDef:
    block: Block
    module_path: str
    declares: dict[str, DeclareDef]  # the declares visible inside (the defining module's)
    namespaces: dict[str, dict[str, DeclareDef]]


@dataclass
class Component:
    """One component instance: uid is unique in the whole flattened configuration."""

    kind: str
    path: str  # instance path: "traces", or "metrics.default.fanout" inside `ccotel.metrics "default"`
    block: Block
    scope: Scope

    @property
    def uid(self) -> str:
        return f"{self.kind}:{self.path}"

    def evaluate(self, expr: Expr) -> object:
        return evaluate(expr, self.scope)


@dataclass
class Instance:
    """An instance of a `declare`: its own scope and its export expressions."""

    path: str
    scope: Scope
    exports: dict[str, Expr]


@dataclass
class Scope:
    env: Mapping[str, str]
    module_path: str
    prefix: str
    declares: dict[str, DeclareDef] = field(default_factory=dict)
    namespaces: dict[str, dict[str, DeclareDef]] = field(default_factory=dict)
    members: dict[tuple[str, str], Component | Instance] = field(default_factory=dict)
    arguments: dict[str, tuple[Expr, Scope]] = field(default_factory=dict)
    argument_defaults: dict[str, Expr] = field(default_factory=dict)

    def reference(self, names: list[str], where: str) -> object:
        if names[0] == "argument" and len(names) >= 3 and names[2] == "value":
            if names[1] in self.arguments:
                expr, caller = self.arguments[names[1]]
                return evaluate(expr, caller)
            if names[1] in self.argument_defaults:
                return evaluate(self.argument_defaults[names[1]], self)
            return None
        for i in range(1, len(names)):
            member = self.members.get((".".join(names[:i]), names[i]))
            if member is not None:
                return _field(member, names[i + 1 :], where)
        raise TranslateError(f"{where}: unknown reference {'.'.join(names)}")


def _field(member: Component | Instance, rest: list[str], where: str) -> object:
    if not rest:
        raise TranslateError(f"{where}: a component is not a value")
    if isinstance(member, Instance):
        if rest[0] not in member.exports:
            raise TranslateError(f"{where}: module {member.path} has no export {rest[0]!r}")
        value = evaluate(member.exports[rest[0]], member.scope)
        for name in rest[1:]:
            value = value[name]  # type: ignore[index]
        return value
    capsule = _EXPORTS.get(rest[0])
    return capsule(member.uid) if capsule else Opaque(f"{member.uid}.{'.'.join(rest)}")


def _files(path: Path) -> list[Path]:
    return sorted(path.glob("*.alloy")) if path.is_dir() else [path]


def _body(paths: list[Path]) -> list[Attribute | Block]:
    statements: list[Attribute | Block] = []
    for path in paths:
        module = parse_file(path)
        if module.errors:
            raise TranslateError(str(module.errors[0]))
        statements.extend(module.body)
    return statements


def _label_of(block: Block) -> str:
    return block.label if block.label is not None else ""


def _populate(scope: Scope, statements: list[Attribute | Block], components: list[Component]) -> None:
    blocks = [s for s in statements if isinstance(s, Block)]
    for block in blocks:
        if block.name == "declare":
            scope.declares[_label_of(block)] = DeclareDef(block, scope.module_path, scope.declares, scope.namespaces)
    for block in blocks:
        if block.name == "import.file":
            filename = block.attribute("filename")
            if filename is None:
                raise TranslateError(f"{block.pos}: import.file without filename")
            target = Path(str(evaluate(filename.value, scope)))
            if not target.exists():
                raise TranslateError(f"{block.pos}: import.file {target} does not exist")
            inner = Scope(scope.env, str(target if target.is_dir() else target.parent), scope.prefix)
            _populate(inner, [s for s in _body(_files(target)) if isinstance(s, Block) and s.name == "declare"], [])
            scope.namespaces[_label_of(block)] = inner.declares
        elif block.name.startswith("import."):
            raise TranslateError(f"{block.pos}: {block.name} is not supported by the translator (only import.file)")
    for block in blocks:
        if block.name == "argument":
            default = block.attribute("default")
            if default is not None:
                scope.argument_defaults[_label_of(block)] = default.value
    for block in blocks:
        if block.name in _IGNORED or block.name == "declare" or block.name.startswith("import."):
            continue
        definition = _declare_for(scope, block.name)
        label = _label_of(block)
        path = f"{scope.prefix}.{label}" if scope.prefix else label
        if definition is None:
            component = Component(block.name, path, block, scope)
            scope.members[(block.name, label)] = component
            components.append(component)
            continue
        path = f"{scope.prefix}.{_label_of(definition.block)}.{label}".lstrip(".")
        inner = Scope(scope.env, definition.module_path, path, dict(definition.declares), dict(definition.namespaces))
        inner.arguments = {a.name: (a.value, scope) for a in block.attributes()}
        exports = {
            _label_of(b): value.value
            for b in definition.block.blocks("export")
            if (value := b.attribute("value")) is not None
        }
        scope.members[(block.name, label)] = Instance(path, inner, exports)
        _populate(inner, list(definition.block.body), components)


def _declare_for(scope: Scope, name: str) -> DeclareDef | None:
    if name in scope.declares:
        return scope.declares[name]
    namespace, _, declare = name.partition(".")
    return scope.namespaces.get(namespace, {}).get(declare)


def load(alloy_dir: Path, env: Mapping[str, str]) -> list[Component]:
    """Every component of the configuration in alloy_dir (the files `alloy run alloy_dir` loads)."""
    paths = _files(alloy_dir)
    if not paths:
        raise TranslateError(f"{alloy_dir}: no .alloy files")
    scope = Scope(env, str(alloy_dir), "")
    components: list[Component] = []
    _populate(scope, _body(paths), components)
    return components


def literal(text: str) -> Literal:
    """A string literal expression (for tests and synthetic arguments)."""
    return Literal("string", repr(text), text, Pos("<translator>", 0, 0))
