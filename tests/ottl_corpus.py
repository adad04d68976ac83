"""The OTTL the project renders (every statement/condition literal in alloy/, with its site) and broken variants.

Sites come from the Python checker's own rule (`ottl_check.site_for`), so the corpus is exactly what
`ccotel pipeline check` checks; variants are mechanical mutations, some still valid, most broken.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ccotel.collector.pipeline.ottl_check import Site, site_for
from ccotel.collector.pipeline.syntax import parse_file
from ccotel.collector.pipeline.tree import Array, Block, string_value

ALLOY = Path(__file__).resolve().parents[1] / "alloy"


@dataclass(frozen=True)
class Sited:
    text: str
    site: Site
    signal: str  # trace | metric | log
    origin: str  # file:line, or the mutation that made it


def _signal(site: Site) -> str:
    return {"span": "trace", "metric": "metric", "log": "log"}[site.allowed[2]]


def _walk(component: Block, block: Block, path: tuple[str, ...], origin: str) -> list[Sited]:
    found: list[Sited] = []
    for attribute in block.attributes():
        site = site_for(component.name, path, attribute.name, block)
        if not isinstance(site, Site) or attribute.name == "count":
            continue
        items = attribute.value.items if isinstance(attribute.value, Array) else (attribute.value,)
        for item in items:
            text = string_value(item)
            if text is not None:
                found.append(Sited(text, site, _signal(site), f"{origin}:{item.pos.line}"))
    for inner in block.blocks():
        found.extend(_walk(component, inner, (*path, inner.name), origin))
    return found


def rendered() -> list[Sited]:
    """Every OTTL statement and condition written in alloy/ (modules included), once per (text, site)."""
    seen: dict[tuple[str, Site], Sited] = {}
    for path in sorted(ALLOY.rglob("*.alloy")):
        for component in parse_file(path).walk():
            if component.name.startswith("otelcol."):
                for item in _walk(component, component, (), path.name):
                    seen.setdefault((item.text, item.site), item)
    return list(seen.values())


_CONTEXT_PREFIX = re.compile(r"\b(span|spanevent|resource|scope|metric|datapoint|log)\.")
MUTATIONS = {
    "drop last character": lambda t: t[:-1],
    "misspelled function": lambda t: re.sub(r"^(\w+)\(", r"\1x(", t, count=1),
    "unknown path field": lambda t: _CONTEXT_PREFIX.sub(r"\1.no_such_field_", t, count=1),
    "unbalanced regex": lambda t: re.sub(r'(replace_pattern|replace_all_patterns|IsMatch|delete_matching_keys)'
                                         r'\(([^"]*)"', r'\1(\2"(', t, count=1),
    "assignment for comparison": lambda t: t.replace(" == ", " = ", 1),
    "extra where true": lambda t: t + " and true" if " where " in t else t + " where true",
    "unknown enum": lambda t: t.replace("nil", "NO_SUCH_ENUM", 1),
    "int for string": lambda t: re.sub(r'"[^"]*"', "1", t, count=1),
}


def mutated(items: list[Sited]) -> list[Sited]:
    """Each mutation applied to every item it changes (conditions get no `where`)."""
    variants: dict[tuple[str, Site], Sited] = {}
    for item in items:
        for name, mutate in MUTATIONS.items():
            if name == "extra where true" and item.site.kind != "statement":
                continue
            text = mutate(item.text)
            if text != item.text:
                variants.setdefault((text, item.site), Sited(text, item.site, item.signal, f"{item.origin} {name}"))
    return list(variants.values())
