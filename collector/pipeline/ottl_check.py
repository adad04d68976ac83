"""OTTL inside Alloy: where statements and conditions live, and their checks against ottl_functions.json.

Checked: the text parses (statement, condition or value expression); every function is a known editor or
converter (lambda converters need a collector feature gate Alloy cannot set, so they are rejected;
transform-processor-only functions only where that processor runs them); arity and named arguments match
the signature; regex arguments compile as RE2; enums are known; every path is valid for the context
(explicit `context = "span"`, or inferred from path prefixes in the flat `statements {}` block).
Only string literals are checked: a statement computed when Alloy loads (string.format, `+`, references)
cannot be seen here and is skipped.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

import re2

from ccotel.collector.pipeline import ottl
from ccotel.collector.pipeline.ottl_types import STRING_CHOICES, STRING_PARAMS
from ccotel.collector.pipeline.tree import Array, Attribute, Block, Finding, Literal, Paren, Pos, string_value

PARENT = {"resource": None, "scope": "resource", "span": "scope", "spanevent": "span", "metric": "scope",
          "datapoint": "metric", "log": "scope"}
SIGNAL_CONTEXTS = {"trace": ("resource", "scope", "span", "spanevent"),
                   "metric": ("resource", "scope", "metric", "datapoint"), "log": ("resource", "scope", "log")}
_DEPTH = {"resource": 0, "scope": 1, "span": 2, "metric": 2, "log": 2, "spanevent": 3, "datapoint": 3}
_REGEX_PARAMS = {"replace_pattern": 1, "replace_all_patterns": 2, "IsMatch": 1, "delete_matching_keys": 1,
                 "keep_matching_keys": 1, "ExtractPatterns": 1}
# Enums besides the span ones in ottl_functions.json (OTTL context READMEs: metric, datapoint, log).
_OTHER_ENUMS = frozenset(
    [f"METRIC_DATA_TYPE_{t}" for t in ("NONE", "GAUGE", "SUM", "HISTOGRAM", "EXPONENTIAL_HISTOGRAM", "SUMMARY")]
    + [f"AGGREGATION_TEMPORALITY_{t}" for t in ("UNSPECIFIED", "DELTA", "CUMULATIVE")]
    + ["SEVERITY_NUMBER_UNSPECIFIED", "FLAG_NONE", "FLAG_NO_RECORDED_VALUE"]
    + [f"SEVERITY_NUMBER_{level}{n}" for level in ("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL")
       for n in ("", "2", "3", "4")])
_FUNCTION_CONTEXTS = {"IsRootSpan": {"span"}, "set_semconv_span_name": {"span"}, "ParseCEF": {"log"},
                      "ParseCLF": {"log"}, "ParseELF": {"log"}, "ParseLEEF": {"log"}}


@dataclass(frozen=True)
class Catalogue:
    functions: dict[str, list[str]]  # name -> parameters as in ottl_functions.json
    transform_only: frozenset[str]
    lambdas: frozenset[str]
    fields: dict[str, frozenset[str]]  # context -> valid field paths ("attributes", "status.code", ...)
    contexts: dict[str, frozenset[str]]  # function -> the only contexts it runs in
    enums: frozenset[str]


def _fields(raw: dict[str, Any]) -> dict[str, frozenset[str]]:
    lists = {"span": raw["span_paths"], "spanevent": raw["spanevent_paths_brief"], "log": raw["log_paths"],
             "metric": raw["metric_paths"], "datapoint": raw["datapoint_paths"],
             "resource": raw["resource_paths"], "scope": raw["scope_paths"]}
    fields: dict[str, frozenset[str]] = {}
    for context, paths in lists.items():
        names = {re.sub(r"\[.*$", "", p)[len(context) + 1:] for p in paths if p.startswith(context + ".")}
        fields[context] = frozenset(names | {"cache"} | ({"event_index"} if context == "spanevent" else set()))
    return fields


@cache
def catalogue() -> Catalogue:
    raw = json.loads(files("ccotel.collector.pipeline").joinpath("reference/ottl_functions.json").read_text("utf-8"))
    functions = {**raw["editors"], **raw["converters"]}
    transform_only: set[str] = set()
    contexts = {name: frozenset(allowed) for name, allowed in _FUNCTION_CONTEXTS.items()}
    for group, entries in raw["transform_processor_only_functions"].items():
        if isinstance(entries, dict):
            functions.update(entries)
            transform_only.update(entries)
            if group.startswith("metric"):
                contexts.update({name: frozenset({"metric", "datapoint"}) for name in entries})
    lambdas = {name for name, note in raw["converter_notes"].items() if note.startswith("lambda")}
    enums = frozenset(raw["span_enums"]) | _OTHER_ENUMS
    return Catalogue(functions, frozenset(transform_only), frozenset(lambdas), _fields(raw), contexts, enums)


@dataclass(frozen=True)
class Site:
    """Where OTTL text sits: what kind it is and which contexts its paths may use."""

    kind: str  # "statement" | "condition" | "value"
    context: str | None  # explicit context; None = infer from path prefixes among `allowed`
    allowed: tuple[str, ...]
    transform: bool  # inside otelcol.processor.transform (its extra functions are available)


_SIGNAL_OF = {"trace": "trace", "metric": "metric", "log": "log", "traces": "trace", "metrics": "metric",
              "logs": "log", "spans": "trace", "spanevents": "trace", "datapoints": "metric"}
_LEAF = {"span": "span", "spanevent": "spanevent", "metric": "metric", "datapoint": "datapoint",
         "log_record": "log", "spans": "span", "spanevents": "spanevent", "metrics": "metric",
         "datapoints": "datapoint", "logs": "log"}


def site_for(component: str, path: tuple[str, ...], attribute: str, block: Block) -> Site | str | None:
    """The OTTL site of an attribute, None when it holds no OTTL, or a message when its context is wrong."""
    if component == "otelcol.processor.transform":
        if path == ("statements",) and attribute in SIGNAL_CONTEXTS:
            return Site("statement", None, SIGNAL_CONTEXTS[attribute], True)
        if len(path) == 1 and path[0].endswith("_statements") and attribute in ("statements", "conditions"):
            return _explicit(path[0].removesuffix("_statements"), block, attribute, transform=True)
    elif component == "otelcol.processor.filter":
        if len(path) == 1 and path[0] in ("traces", "metrics", "logs") and attribute in _LEAF:
            context = _LEAF[attribute]
            return Site("condition", context, SIGNAL_CONTEXTS[_SIGNAL_OF[path[0]]], False)
        if len(path) == 1 and path[0].endswith("_conditions") and attribute == "conditions":
            return _explicit(path[0].removesuffix("_conditions"), block, attribute, transform=False)
    elif component in ("otelcol.connector.count", "otelcol.connector.signaltometrics") and path:
        if path[0] in _LEAF and (attribute == "conditions" or (len(path) == 2 and attribute in ("value", "count"))):
            kind = "condition" if attribute == "conditions" else "value"
            return Site(kind, _LEAF[path[0]], SIGNAL_CONTEXTS[_SIGNAL_OF[path[0]]], False)
    elif component == "otelcol.processor.tail_sampling" and path[-1:] == ("ottl_condition",) and attribute in (
        "span", "spanevent"
    ):
        return Site("condition", attribute, SIGNAL_CONTEXTS["trace"], False)
    return None


def _explicit(signal: str, block: Block, attribute: str, *, transform: bool) -> Site | str:
    allowed = SIGNAL_CONTEXTS[signal]
    context_attr = block.attribute("context")
    context = string_value(context_attr.value) if context_attr else None
    if context_attr is not None and context is not None and context not in allowed:
        return f'context "{context}" is not valid here (one of: {", ".join(allowed)})'
    kind = "statement" if attribute == "statements" else "condition"
    return Site(kind, context, allowed, transform)


def check_text(text: str, site: Site) -> list[tuple[int, str]]:
    """Problems of one OTTL string at a site, as (offset in text, message)."""
    try:
        if site.kind == "statement":
            statement = ottl.parse_statement(text)
            roots: list[ottl.Node] = [statement.editor]
            if statement.condition is not None:
                roots.append(statement.condition)
        elif site.kind == "condition":
            roots = [ottl.parse_condition(text)]
        else:
            roots = [ottl.parse_value(text)]
    except ottl.OttlSyntaxError as error:
        return [(error.offset, f"OTTL syntax error: {error.message}")]
    nodes = [node for root in roots for node in ottl.walk(root)]
    problems: list[tuple[int, str]] = []
    context = site.context or _inferred_context(nodes, site, problems)
    for node in nodes:
        if isinstance(node, ottl.Call):
            problems.extend(_check_call(node, context, site, is_top=node is roots[0] and site.kind == "statement"))
        elif isinstance(node, ottl.Path) and context is not None:
            problems.extend(_check_path(node, context, explicit=site.context is not None))
        elif isinstance(node, ottl.Enum) and node.name not in catalogue().enums:
            problems.append((node.offset, f"unknown OTTL enum {node.name}"))
    return problems


def _inferred_context(nodes: list[ottl.Node], site: Site, problems: list[tuple[int, str]]) -> str | None:
    prefixes = [n for n in nodes if isinstance(n, ottl.Path)]
    deepest = None
    for path in prefixes:
        head = path.segments[0]
        if head not in site.allowed:
            problems.append((path.offset, f'path "{path.text}" must start with a context '
                                          f'({", ".join(site.allowed)}) in this block'))
        elif deepest is None or _DEPTH[head] > _DEPTH[deepest]:
            deepest = head
    return deepest or site.allowed[-2 if site.allowed[-1] in ("spanevent", "datapoint") else -1]


def _check_path(path: ottl.Path, context: str, *, explicit: bool) -> list[tuple[int, str]]:
    visible: list[str] = []
    current: str | None = context
    while current is not None:
        visible.append(current)
        current = PARENT[current]
    head, fields = path.segments[0], catalogue().fields
    if head == "instrumentation_scope":
        head = "scope"
    if head in visible and len(path.segments) > 1:
        field_path, field_context = ".".join(path.segments[1:]), head
    elif head in PARENT and head not in visible:
        return [(path.offset, f'path "{path.text}" is not available in the {context} context')]
    elif explicit:
        field_path, field_context = path.text, context  # legacy unprefixed form
    else:
        return []  # no context prefix where one is needed: reported when the context was inferred
    if field_path not in fields[field_context]:
        return [(path.offset, f'"{path.text}" is not a valid path in the {context} context')]
    return []


def _check_call(call: ottl.Call, context: str | None, site: Site, *, is_top: bool) -> list[tuple[int, str]]:
    known = catalogue()
    name = call.name
    if name not in known.functions:
        kind = "editor" if call.is_editor else "converter"
        return [(call.offset, f"unknown OTTL {kind} {name}")]
    if name in known.lambdas:
        return [(call.offset, f"{name} is a lambda converter behind the collector feature gate "
                              "ottl.functions.enableLambda, which Alloy cannot enable")]
    problems = []
    if call.is_editor and not is_top:
        problems.append((call.offset, f"editor {name} cannot be used as a value (converters start uppercase)"))
    if name in known.transform_only and not site.transform:
        problems.append((call.offset, f"{name} is only available in otelcol.processor.transform"))
    allowed_contexts = known.contexts.get(name)
    if allowed_contexts and context is not None and context not in allowed_contexts:
        problems.append((call.offset, f"{name} is not available in the {context} context"))
    params = known.functions[name]
    names = [re.sub(r"^Optional\[(.*)\]$", r"\1", p).removesuffix("[]") for p in params]
    required = sum(1 for p in params if not p.startswith("Optional["))
    positional = [a for a in call.args if a.name is None]
    named = [a for a in call.args if a.name is not None]
    for arg in named:
        if arg.name not in names[len(positional):]:
            problems.append((call.offset, f"{name} has no parameter {arg.name} after its positional arguments"))
    supplied = len(positional) + len(named)
    if len(positional) > len(params):
        problems.append((call.offset, f"{name} takes at most {len(params)} arguments, got {len(positional)}"))
    elif supplied < required or any(n not in [a.name for a in named] for n in names[len(positional):required]):
        problems.append((call.offset, f"{name} needs {required} arguments ({', '.join(params)}), got {supplied}"))
    if len(positional) <= len(params):
        problems.extend(_literal_types(name, positional))
    regex_index = _REGEX_PARAMS.get(name)
    if regex_index is not None and regex_index < len(positional):
        value = positional[regex_index].value
        if isinstance(value, ottl.Literal) and value.kind == "string":
            problem = regex_error(str(value.value))
            if problem:
                problems.append((value.offset, f"{name}: invalid RE2 regex {value.value!r}: {problem}"))
    return problems


def _literal_types(name: str, positional: list[ottl.Arg]) -> list[tuple[int, str]]:
    """Literals of the wrong type where a parameter takes a string, and string values outside a fixed set."""
    problems = []
    for index in STRING_PARAMS.get(name, ()):
        value = positional[index].value if index < len(positional) else None
        if isinstance(value, ottl.Literal) and value.kind not in ("string", "nil"):
            problems.append((value.offset, f"{name}: argument {index} must be a string, got {value.kind}"))
    choice = STRING_CHOICES.get(name)
    if choice is not None and choice[0] < len(positional):
        value = positional[choice[0]].value
        if isinstance(value, ottl.Literal) and value.kind == "string" and value.value not in choice[1]:
            allowed = " or ".join(sorted(choice[1]))
            problems.append((value.offset, f"{name}: argument {choice[0]} must be {allowed}, got {value.value!r}"))
    return problems


def regex_error(pattern: str) -> str | None:
    """Why RE2 (the collector's regex engine) rejects a pattern; None when it compiles."""
    options = re2.Options()
    options.log_errors = False
    try:
        re2.compile(pattern, options)
    except re2.error as error:
        detail = error.args[0] if error.args else ""
        return detail.decode("utf-8", "replace") if isinstance(detail, bytes) else str(detail)
    return None


def check_attribute(component: str, path: tuple[str, ...], attribute: Attribute, block: Block) -> list[Finding]:
    """Findings for the OTTL an Alloy attribute holds (nothing when it holds none)."""
    site = site_for(component, path, attribute.name, block)
    if site is None:
        return []
    if isinstance(site, str):
        context_attr = block.attribute("context")
        return [Finding(context_attr.pos if context_attr else attribute.pos, site)]
    items = attribute.value.items if isinstance(attribute.value, Array) else (attribute.value,)
    findings = []
    for item in items:
        while isinstance(item, Paren):
            item = item.inner
        text = string_value(item)
        if text is None:
            continue  # computed when Alloy loads: not checkable here
        for offset, message in check_text(text, site):
            findings.append(Finding(text_position(item, offset), message))  # type: ignore[arg-type]
    return findings


def text_position(item: Literal, offset: int) -> Pos:
    """Where offset `offset` of a string literal's value is in the file (exact for one-line raw strings)."""
    raw = item.text
    if raw.startswith("`") and "\n" not in raw[: offset + 1]:
        return Pos(item.pos.file, item.pos.line, item.pos.col + 1 + len(raw[1: 1 + offset].encode("utf-8")))
    return item.pos
