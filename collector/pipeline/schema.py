"""Alloy's component catalogue (reference/schema.json) and the checks of a block body against it.

The schema was extracted from Alloy's docs and cross-checked against its Go struct tags; where they disagree
(`doc_vs_go_crosscheck`), Go is what the binary enforces, so Go wins here too: Go-only attributes and blocks
are accepted, documented-but-not-in-Go ones are rejected, and `required` follows Go.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from typing import Any

from ccotel.collector.pipeline.tree import Array, Attribute, Block, Expr, Finding, Literal, Object, Paren, Pos, Unary

_NUMBER_TYPES = {"number", "int", "uint", "float", "float32", "float64", "integer", "uint32"}
_STRING_TYPES = {"string", "secret", "duration", "Duration", "size", "units.Base2Bytes", "string` or `secret",
                 "secret` or `string"}
# Types the docs (hence schema.json) get wrong, corrected from the Go struct tags at the same revision.
_TYPE_FIXES = {
    # internal/component/otelcol/exporter/googlecloudpubsub/config/config_googlecloudpubsub.go: bool
    ("otelcol.exporter.googlecloudpubsub", "ordering", "remove_resource_attribute"): "bool",
}
_DURATION = re.compile(r"^[-+]?(\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)((\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h))*$")


@dataclass
class ArgSpec:
    type: str
    required: bool
    rejected: str | None = None  # why Alloy rejects it although the docs list it


@dataclass
class BlockSpec:
    name: str
    arguments: dict[str, ArgSpec] = field(default_factory=dict)
    blocks: dict[str, BlockSpec] = field(default_factory=dict)
    required: bool = False
    repeatable: bool = False
    labelled: bool = False
    open: bool = False  # contents unknown (a Go-only block): anything inside is accepted
    rejected: str | None = None
    exports: dict[str, str] = field(default_factory=dict)
    kind: str = "block"  # "component" | "config_block" | "block"
    stability: str = "general-availability"


@dataclass(frozen=True)
class Schema:
    components: dict[str, BlockSpec]
    stdlib: frozenset[str]  # function and constant names, deprecated aliases included
    stdlib_stability: dict[str, str] = field(default_factory=dict)  # only the non-GA functions


STABILITY_LEVELS = ("experimental", "public-preview", "general-availability")


def below(stability: str, minimum: str | None) -> bool:
    """Whether something at `stability` needs a lower --stability.level than `minimum` (None: no gate)."""
    if minimum is None or stability not in STABILITY_LEVELS:
        return False
    return STABILITY_LEVELS.index(stability) < STABILITY_LEVELS.index(minimum)


def _block_from_json(name: str, raw: dict[str, Any]) -> BlockSpec:
    spec = BlockSpec(name, required=bool(raw.get("required")), repeatable=bool(raw.get("repeatable")),
                     labelled=bool(raw.get("labelled")))
    for arg_name, arg in raw.get("arguments", {}).items():
        spec.arguments[arg_name] = ArgSpec(str(arg.get("type", "any")), bool(arg.get("required")))
    for arg_name, arg in raw.get("go_only_arguments", {}).items():
        spec.arguments.setdefault(arg_name, ArgSpec("any", bool(arg.get("required"))))
    for block_name, block in raw.get("blocks", {}).items():
        spec.blocks[block_name] = _block_from_json(block_name, block)
    for block_name, block in raw.get("go_only_blocks", {}).items():
        spec.blocks.setdefault(block_name, BlockSpec(block_name, required=bool(block.get("required")),
                                                     repeatable=bool(block.get("repeatable")), open=True))
    for attr_block in raw.get("resource_attribute_blocks", {}):
        spec.blocks[attr_block] = BlockSpec(attr_block, {"enabled": ArgSpec("bool", True)})
    return spec


def _apply_crosscheck(spec: BlockSpec, note: str) -> None:
    """Apply one `doc_vs_go_crosscheck` line (format: `a > b > name: what`) so that Go's view wins."""
    path_text, _, what = note.partition(": ")
    if path_text.startswith("Go-only exports"):
        spec.exports.update({name: "any" for name in re.findall(r"'([^']+)'", what)})
        return
    path = [part.strip() for part in path_text.split(">") if part.strip()]
    target, parents = spec, path[:-1] if path else []
    for part in parents:
        target = target.blocks.get(part)  # type: ignore[assignment]
        if target is None:
            return
    last = path[-1] if path else ""
    go_value = re.search(r"go=(True|False)", what)
    if what.startswith("block required mismatch") and go_value and last in target.blocks:
        target.blocks[last].required = go_value.group(1) == "True"
    elif what.startswith("required mismatch") and go_value and last in target.arguments:
        target.arguments[last].required = go_value.group(1) == "True"
    elif what.startswith("argument not found in Go") and last in target.arguments:
        target.arguments[last].rejected = "documented, but Alloy's Go code does not accept it"
    elif what.startswith("block not found in Go") and last in target.blocks:
        target.blocks[last].rejected = "documented, but Alloy's Go code does not accept it"
    elif what.startswith("documented as argument but Go uses it as the block label"):
        target.labelled = True
        target.arguments.pop(last, None)


def load_schema(raw: dict[str, Any]) -> Schema:
    components: dict[str, BlockSpec] = {}
    for name, entry in raw["components"].items():
        spec = _block_from_json(name, entry)
        spec.kind, spec.labelled = entry["kind"], bool(entry["labelled"])
        spec.stability = entry.get("stability", "general-availability")
        spec.exports = dict(entry.get("exports", {}))
        for note in entry.get("doc_vs_go_crosscheck", []):
            _apply_crosscheck(spec, note)
        components[name] = spec
    for (component, *blocks, argument), type_text in _TYPE_FIXES.items():
        target = components.get(component)
        for block in blocks:
            target = target.blocks.get(block) if target else None
        if target is not None and argument in target.arguments:
            target.arguments[argument].type = type_text
    process = components.get("loki.process")
    if process is not None and "stage.match" in process.blocks:  # stage.match nests any stage, recursively
        stages = {name: spec for name, spec in process.blocks.items() if name.startswith("stage.")}
        process.blocks["stage.match"].blocks.update(stages)
    template = components.get("foreach", BlockSpec("foreach")).blocks.get("template")
    if template is not None:
        template.open, template.rejected = True, None  # the loader handles it (see schema notes)
    stdlib = {f["name"] for f in raw["stdlib_functions"]} | set(raw["stdlib_deprecated_top_level_aliases"])
    stability = {f["name"]: f["stability"] for f in raw["stdlib_functions"] if f.get("stability")}
    return Schema(components, frozenset(stdlib), stability)


@cache
def default_schema() -> Schema:
    """The schema shipped in collector/pipeline/reference/schema.json (Alloy v1.19.0-rc.3 + 1)."""
    text = files("ccotel.collector.pipeline").joinpath("reference/schema.json").read_text(encoding="utf-8")
    return load_schema(json.loads(text))


# --- value types ---------------------------------------------------------------------------------------------


def _inner(type_text: str) -> str | None:
    for prefix in ("list(", "array(", "lists(", "map(", "capsule("):
        if type_text.startswith(prefix):
            return type_text[len(prefix):].rstrip(")") or "any"
    return type_text[2:] if type_text.startswith("[]") else None


def type_category(type_text: str) -> str:
    """One of any, string, number, bool, list, object, capsule (what a literal can be checked against)."""
    text = type_text.strip()
    if text in ("", "any", "list(any)") or text.startswith("map(any"):
        return "list" if text == "list(any)" else "object" if text.startswith("map(") else "any"
    if text in _STRING_TYPES:
        return "string"
    if text in _NUMBER_TYPES:
        return "number"
    if text in ("bool", "boolean"):
        return "bool"
    if text.startswith(("list(", "array(", "lists(", "[]")):
        return "list"
    if text.startswith(("map(", "map[")) or text in ("object", "Target") or text.endswith(".Target"):
        return "object"
    return "capsule"


def capsule_name(type_text: str) -> str | None:
    """A comparable name for capsule types (`capsule(otelcol.Handler)` → otelcol.Handler); None if vague."""
    text = type_text.strip()
    if text.startswith("capsule("):
        text = text[len("capsule("):].rstrip(")")
    text = text.removeprefix("loki.")
    return None if text in ("receiver", "any", "") else text


def _literal_category(expr: Expr) -> str | None:
    while isinstance(expr, Paren):
        expr = expr.inner
    if isinstance(expr, Literal):
        return {"float": "number"}.get(expr.kind, expr.kind)
    if isinstance(expr, Unary) and expr.op == "-" and isinstance(expr.value, Literal):
        return "number" if expr.value.kind in ("number", "float") else None
    if isinstance(expr, Array):
        return "array"
    if isinstance(expr, Object):
        return "object"
    return None  # references, calls, operators: not determinable without evaluating


def check_value(expr: Expr, type_text: str) -> list[Finding]:
    """Type errors a literal value has against a schema type (nothing is said about computed values)."""
    category, got = type_category(type_text), _literal_category(expr)
    if category == "any" or got is None or got == "null":
        return []
    pos = expr.pos
    if category == "string":
        if got in ("string", "number"):
            if "uration" in type_text and isinstance(expr, Literal) and expr.kind == "string":
                value = str(expr.value)
                if value not in ("0", "") and not _DURATION.match(value):
                    return [Finding(pos, f'invalid duration "{value}" (Go durations: 1h30m, 5s, 200ms; no d or w)')]
            return []
        return [Finding(pos, f"expected string, got {got}")]
    if category == "number":
        if got == "number":
            return []
        if got == "string" and isinstance(expr, Literal) and re.fullmatch(r"[-+]?\d+(\.\d*)?([eE][-+]?\d+)?",
                                                                          str(expr.value).strip()):
            return []
        return [Finding(pos, f"expected number, got {got}")]
    if category == "bool":
        return [] if got == "bool" else [Finding(pos, f"expected bool, got {got}")]
    if category == "list":
        if got != "array":
            return [Finding(pos, f"expected array, got {got}")]
        element = _inner(type_text) or "any"
        return [f for item in expr.items for f in check_value(item, element)]  # type: ignore[union-attr]
    if category == "object":
        # Field values are not checked: the docs' map element types are often narrower than what Go takes.
        return [] if got == "object" else [Finding(pos, f"expected object, got {got}")]
    return [Finding(pos, f"expected {type_text}, got {got}")]  # capsule: only a reference will do


# --- block bodies -------------------------------------------------------------------------------------------


def check_body(
    block: Block,
    spec: BlockSpec,
    on_attribute: Callable[[Attribute, ArgSpec, tuple[str, ...], Block], None] | None = None,
    path: tuple[str, ...] = (),
) -> list[Finding]:
    """Schema findings for a block's attributes and nested blocks (recursively), with Alloy's messages.

    on_attribute(attribute, spec, block_path, block) is called for every known attribute (reference and OTTL
    checks hook in there); block_path is the chain of nested block names from the component down.
    """
    if spec.open:
        return []
    findings: list[Finding] = []
    seen: dict[str, Pos] = {}
    for attribute in block.attributes():
        name = attribute.name
        if name in seen:
            findings.append(Finding(attribute.pos, f'attribute "{name}" may only be provided once'))
        seen[name] = attribute.pos
        arg = spec.arguments.get(name)
        if arg is None:
            message = (f'"{name}" must be a block, but is used as an attribute' if name in spec.blocks
                       else f'unrecognized attribute name "{name}"')
            findings.append(Finding(attribute.pos, message))
            continue
        if arg.rejected:
            findings.append(Finding(attribute.pos, f'unrecognized attribute name "{name}" ({arg.rejected})'))
        findings.extend(check_value(attribute.value, arg.type))
        if on_attribute is not None:
            on_attribute(attribute, arg, path, block)
    counts: dict[str, int] = {}
    for inner in block.blocks():
        inner_spec = spec.blocks.get(inner.name)
        if inner_spec is None:
            message = (f'"{inner.name}" must be an attribute, but is used as a block' if inner.name in spec.arguments
                       else f'unrecognized block name "{inner.name}"')
            findings.append(Finding(inner.pos, message))
            continue
        counts[inner.name] = counts.get(inner.name, 0) + 1
        if counts[inner.name] == 2 and not inner_spec.repeatable:
            findings.append(Finding(inner.pos, f'block "{inner.name}" may only be specified once'))
        if inner_spec.rejected:
            findings.append(Finding(inner.pos, f'unrecognized block name "{inner.name}" ({inner_spec.rejected})'))
        if inner.label is not None and not inner_spec.labelled:
            findings.append(Finding(inner.pos, f'block "{inner.name}" does not support specifying labels'))
        elif inner_spec.labelled and not inner.label:
            findings.append(Finding(inner.pos, f'block "{inner.name}" requires non-empty label'))
        findings.extend(check_body(inner, inner_spec, on_attribute, (*path, inner.name)))
    for name, arg in spec.arguments.items():
        if arg.required and name not in seen and not arg.rejected:
            findings.append(Finding(block.pos, f'missing required attribute "{name}"'))
    for name, inner_spec in spec.blocks.items():
        if inner_spec.required and name not in counts and not inner_spec.rejected:
            findings.append(Finding(block.pos, f'missing required block "{name}"'))
    return findings
