"""Checks one Alloy configuration (already parsed) as Alloy's loader would: blocks, scopes, imports, references.

The main configuration is every `*.alloy` file directly in a directory (what `alloy run DIR` loads, as one
configuration). `import.file` modules (a file, or a directory of `.alloy` files taken as one module) are
loaded from disk, checked once, and their `declare`s used as `namespace.<declare> "label" { ... }`.
`import.string` with a literal `content` is checked the same way; `import.git`/`import.http` cannot be
fetched here, so components from them are not checked.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ccotel.collector.pipeline.refs import Declare, Instance, References, Scope
from ccotel.collector.pipeline.schema import ArgSpec, BlockSpec, Schema, below, check_body, type_category
from ccotel.collector.pipeline.syntax import parse_file, parse_text
from ccotel.collector.pipeline.tree import (
    Attribute,
    Binary,
    Block,
    Call,
    Expr,
    Finding,
    Ident,
    Literal,
    Module,
    dotted_name,
    string_value,
)

OttlHook = Callable[[str, tuple[str, ...], Attribute, Block], list[Finding]]
_ROOT_ONLY = {"logging", "tracing", "http", "livedebugging", "remotecfg"}
_IMPORTS = {"import.file", "import.string", "import.git", "import.http"}
_WHERE = {"declare": "module", "module": "module", "template": "foreach"}


def static_string(expr: Expr | None, scope: Scope) -> str | None:
    """A string computable without running Alloy: literals, module_path, `+` and file.path_join."""
    value = string_value(expr)
    if value is not None:
        return value
    if isinstance(expr, Ident) and expr.name == "module_path" and scope.has_name("module_path"):
        return str(scope.directory)
    if isinstance(expr, Binary) and expr.op == "+":
        left, right = static_string(expr.left, scope), static_string(expr.right, scope)
        return None if left is None or right is None else left + right
    if isinstance(expr, Call) and dotted_name(expr.func) == ["file", "path_join"]:
        parts = [static_string(arg, scope) for arg in expr.args]
        return None if any(p is None for p in parts) else str(Path(*parts))  # type: ignore[arg-type]
    return None


class ConfigChecker:
    def __init__(self, schema: Schema, root: Path, ottl_hook: OttlHook | None = None,
                 display_base: Path | None = None, min_stability: str | None = None) -> None:
        self.schema, self.root, self.ottl_hook = schema, root, ottl_hook
        self.display_base, self.min_stability = display_base or root, min_stability
        self.refs = References(schema, min_stability)
        self.findings: list[Finding] = []
        self.modules: dict[Path, dict[str, Declare] | None] = {}
        self.loading: set[Path] = set()
        self.files: list[Path] = []  # module files read through imports

    def all_findings(self) -> list[Finding]:
        return sorted(set(self.findings + self.refs.findings + self.refs.cycles()))

    def check_main(self, modules: list[Module], directory: Path) -> None:
        scope = Scope("main", directory.resolve(), names={"module_path"})
        self.check_scope([s for m in modules for s in m.body], scope)

    # --- modules -------------------------------------------------------------------------------------------

    def load_module(self, path: Path, at: Block | None, written: str | None = None) -> dict[str, Declare] | None:
        """The declares of the module at path (a file or a directory), checked once; at = the import block."""
        resolved = path.resolve()
        if resolved in self.loading:
            if at is not None:
                self.findings.append(Finding(at.pos, f'import cycle: "{path}" is already being imported'))
            return None
        if resolved in self.modules:
            return self.modules[resolved]
        if resolved.is_dir():
            files = sorted(p for p in resolved.glob("*.alloy") if p.is_file())
        elif resolved.is_file():
            files = [resolved]
        else:
            if at is not None:
                self.findings.append(Finding(at.pos, f'import.file "{at.label}": "{written or path}" does not exist'))
            return None
        self.loading.add(resolved)
        parsed = [parse_file(f, self.display(f)) for f in files]
        self.files.extend(files)
        for module in parsed:
            self.findings.extend(module.errors)
        if any(module.errors for module in parsed):
            self.modules[resolved] = None  # Alloy stops at syntax errors; so do the checks beyond syntax
            return None
        directory = resolved if resolved.is_dir() else resolved.parent
        declares = self.check_module([s for m in parsed for s in m.body], directory)
        self.loading.discard(resolved)
        self.modules[resolved] = declares
        return declares

    def check_module(self, body: list[Attribute | Block], directory: Path) -> dict[str, Declare]:
        scope = Scope("module", directory, names={"module_path"})
        for statement in body:
            if isinstance(statement, Block) and statement.name != "declare" and statement.name not in _IMPORTS:
                self.findings.append(Finding(
                    statement.pos, f"{statement.name} not allowed at the top level of an imported module "
                    "(only declare and import blocks)"))
        self.check_scope(body, scope)
        return scope.declares

    def display(self, path: Path) -> str:
        try:
            return str(path.resolve().relative_to(self.display_base.resolve()))
        except ValueError:
            return str(path)

    # --- scopes --------------------------------------------------------------------------------------------

    def check_scope(self, body: list[Attribute | Block], scope: Scope) -> None:
        blocks = [s for s in body if isinstance(s, Block)]
        for attribute in (s for s in body if isinstance(s, Attribute)):
            self.findings.append(Finding(attribute.pos, f'unrecognized attribute name "{attribute.name}" '
                                         "(only blocks are allowed here)"))
        seen: dict[str, Block] = {}
        for block in blocks:
            if block.key in seen:
                first = seen[block.key].pos
                self.findings.append(Finding(block.pos, f"block {block.key} already declared at {first}"))
            seen.setdefault(block.key, block)
        for block in blocks:
            if block.name == "declare" and block.label:
                scope.declares[block.label] = self.declare(block)
            elif block.name in _IMPORTS and block.label:
                scope.namespaces[block.label] = self.import_(block, scope)
        for block in blocks:
            self.register(block, scope)
        for block in blocks:
            self.check_block(block, scope)

    def declare(self, block: Block) -> Declare:
        arguments = {}
        for argument in block.blocks("argument"):
            optional = argument.attribute("optional")
            is_optional = isinstance(optional.value, Literal) and optional.value.value is True if optional else False
            arguments[argument.label or ""] = not is_optional
        return Declare(block.label or "", block, arguments, {e.label or "" for e in block.blocks("export")})

    def import_(self, block: Block, scope: Scope) -> dict[str, Declare] | None:
        if block.name == "import.file":
            attribute = block.attribute("filename")
            filename = static_string(attribute.value, scope) if attribute else None
            if filename is None:
                if attribute is not None:
                    self.findings.append(Finding(attribute.pos, "import.file filename cannot be resolved "
                                                 "statically (use a literal or file.path_join(module_path, ...))"))
                return None
            path = Path(filename)
            return self.load_module(path if path.is_absolute() else self.root / path, block, filename)
        if block.name == "import.string":
            attribute = block.attribute("content")
            if attribute is None or not isinstance(attribute.value, Literal) or attribute.value.kind != "string":
                return None
            literal = attribute.value
            padding = "\n" * (literal.pos.line - 1) + " " * literal.pos.col  # keep positions of the outer file
            module = parse_text(padding + str(literal.value), literal.pos.file)
            self.findings.extend(module.errors)
            if module.errors:
                return None
            return self.check_module(list(module.body), scope.directory)
        return None  # import.git / import.http: remote, not fetched

    def component_type(self, block: Block, scope: Scope) -> BlockSpec | Declare | str | None:
        """The block's definition: a schema entry, a Declare, None (unknown import: unchecked) or an error."""
        head = block.name.split(".", 1)
        found, declares = scope.find_namespace(head[0])
        if found and len(head) == 2:
            if declares is None:
                return None
            return declares.get(head[1]) or f'cannot find the definition of component name "{block.name}"'
        declare = scope.find_declare(block.name)
        if declare is not None:
            return declare
        spec = self.schema.components.get(block.name)
        if spec is not None and spec.kind == "component":
            return spec
        return f'cannot find the definition of component name "{block.name}"'

    def register(self, block: Block, scope: Scope) -> None:
        if block.name == "argument" and scope.kind == "declare" and block.label:
            scope.instances[("argument", block.label)] = Instance("argument", block.label, block, {"value": "any"})
            return
        if block.name in self.schema.components and self.schema.components[block.name].kind == "config_block":
            return
        if block.name in _IMPORTS or block.name == "declare" or not block.label:
            return
        kind = self.component_type(block, scope)
        exports: dict[str, str] | None = None
        if isinstance(kind, BlockSpec):
            exports = kind.exports
        elif isinstance(kind, Declare):
            exports = dict.fromkeys(kind.exports, "any")
        scope.instances[(block.name, block.label)] = Instance(block.name, block.label, block, exports)

    # --- blocks --------------------------------------------------------------------------------------------

    def check_stability(self, block: Block, spec: BlockSpec) -> None:
        if below(spec.stability, self.min_stability):
            self.findings.append(Finding(block.pos, f'{block.name} is at stability level "{spec.stability}", below '
                                         f'the minimum "{self.min_stability}" (--stability.level)'))

    def check_block(self, block: Block, scope: Scope) -> None:
        spec = self.schema.components.get(block.name)
        if spec is not None:
            self.check_stability(block, spec)
        if spec is not None and spec.kind == "config_block":
            self.check_config_block(block, spec, scope)
            return
        kind = self.component_type(block, scope)
        if isinstance(kind, str):
            self.findings.append(Finding(block.pos, kind))
        elif not block.label:
            self.findings.append(Finding(block.pos, f'component "{block.name}" must have a label'))
        if isinstance(kind, Declare):
            self.check_custom(block, kind, scope)
        elif isinstance(kind, BlockSpec):
            self.findings.extend(check_body(block, kind, self.attribute_hook(block, scope)))
        self.check_references(block, scope, owner=block)

    def check_references(self, block: Block, scope: Scope, owner: Block | None) -> None:
        for inner in block.walk():
            for attribute in inner.attributes():
                self.refs.check(attribute.value, scope, owner)

    def attribute_hook(self, component: Block, scope: Scope) -> Callable[..., None]:
        def on_attribute(attribute: Attribute, arg: ArgSpec, path: tuple[str, ...], block: Block) -> None:
            if type_category(arg.type) in ("capsule", "list"):
                self.findings.extend(self.refs.capsule_mismatch(attribute.value, arg.type, scope))
            if self.ottl_hook is not None:
                self.findings.extend(self.ottl_hook(component.name, path, attribute, block))

        return on_attribute

    def check_custom(self, block: Block, declare: Declare, scope: Scope) -> None:
        given = set()
        for attribute in block.attributes():
            if attribute.name in given:
                self.findings.append(Finding(attribute.pos, f'attribute "{attribute.name}" may only be provided once'))
            given.add(attribute.name)
            if attribute.name not in declare.arguments:
                self.findings.append(Finding(attribute.pos, f'unrecognized attribute name "{attribute.name}" '
                                             f'(declare "{declare.name}" has no argument "{attribute.name}")'))
        for inner in block.blocks():
            self.findings.append(Finding(inner.pos, f'unrecognized block name "{inner.name}" '
                                         "(custom components take only arguments)"))
        for name, required in declare.arguments.items():
            if required and name not in given:
                self.findings.append(Finding(block.pos, f'missing required attribute "{name}"'))

    def check_config_block(self, block: Block, spec: BlockSpec, scope: Scope) -> None:
        name = block.name
        if spec.labelled and not block.label:
            self.findings.append(Finding(block.pos, f"{name} block must have a label"))
        elif not spec.labelled and block.label is not None:
            self.findings.append(Finding(block.pos, f'block "{name}" does not support specifying labels'))
        if name in _ROOT_ONLY and scope.kind != "main":
            self.findings.append(Finding(block.pos, f"{name} not allowed in {_WHERE[scope.kind]}"))
        if name in ("argument", "export") and scope.kind != "declare":
            self.findings.append(Finding(block.pos, f"{name} blocks only allowed inside a module"))
        if name == "declare":
            inner = Scope("declare", scope.directory, parent=scope, names={"module_path"})
            self.check_scope(list(block.body), inner)
        elif name == "foreach":
            self.findings.extend(check_body(block, spec))
            var_attribute = block.attribute("var")
            var = string_value(var_attribute.value) if var_attribute else None
            for attribute in block.attributes():
                self.refs.check(attribute.value, scope, None)
            for template in block.blocks("template"):
                inner = Scope("template", scope.directory, outer=scope, names={var} if var else set())
                self.check_scope(list(template.body), inner)
        else:
            self.findings.extend(check_body(block, spec))
            self.check_references(block, scope, owner=None)
