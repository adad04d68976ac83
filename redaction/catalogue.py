"""The secret-pattern catalogue (rules.yaml): loaded into frozen rules and validated on load.

Every error names the file and the rule (or key) at fault, so a broken catalogue reads as
`rules.yaml: rule 'github-pat': pattern does not compile in RE2: missing ): ...`.
Validation covers the structure, kebab-case unique ids, RE2 compilation, replacement group
references (Go regexp.Expand rules: see ccotel.redaction.expand) and the marker `[REDACTED:<id>]`.
Whether each example and look-alike behaves as stated is checked by the tests
(tests/redaction), not here: loading stays cheap enough for the hook's hot path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import re2
import yaml

from ccotel.redaction.expand import TemplateError, parse_template
from ccotel.redaction.expand import group_names as _group_names

CATALOGUE_FILE = "rules.yaml"
_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*\Z")
_RENDERABLE = re.compile(r"[\x20-\x5f\x61-\x7e]*\Z")  # printable ASCII but the backtick (Alloy raw strings)
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: ~10x faster
_RULE_KEYS = {"id", "description", "pattern", "replacement", "examples", "lookalikes"}
_OUTSIDE_KEYS = {"id", "source", "description", "pattern", "replacement", "secret", "keywords"}
_INCLUDE = "include"  # a rules.yaml entry `- include: outside_rules.yaml` splices the generated rules there
_EXAMPLE_KEYS = {"text", "redacted"}


class CatalogueError(ValueError):
    """The catalogue file is unreadable or breaks a rule; the message names the file and the rule/key."""


@dataclass(frozen=True)
class Example:
    text: str
    redacted: str | None  # the whole catalogue's output, written by hand; None = "must match" only


@dataclass(frozen=True)
class Rule:
    id: str
    description: str
    pattern: str  # RE2 syntax, exactly what OTTL receives
    replacement: str  # Go regexp.Expand template, exactly what OTTL receives
    examples: tuple[Example, ...]
    lookalikes: tuple[str, ...]
    source: str = "ccotel"  # "ccotel" for the project's own rules, "<scanner>:<rule id>" for generated ones
    secret: str | None = None  # generated rules: the scanner's secret sub-pattern (tests generate from it)
    keywords: tuple[str, ...] = ()  # generated rules: the scanner's keywords (documentation only)

    @property
    def marker(self) -> str:
        return f"[REDACTED:{self.id}]"


@dataclass(frozen=True)
class Catalogue:
    source: str  # where it was read from, for messages
    rules: tuple[Rule, ...]

    def rule(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)


def default_path() -> Path:
    """The packaged catalogue: redaction/rules.yaml (ccotel.redaction package data)."""
    return Path(str(resources.files("ccotel.redaction").joinpath(CATALOGUE_FILE)))


@lru_cache(maxsize=1)
def default_catalogue() -> Catalogue:
    return load(default_path())


def load(path: Path) -> Catalogue:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise CatalogueError(f"{path}: cannot read the redaction catalogue: {error}") from error
    return parse(text, source=str(path), base=path.parent)


def parse(text: str, source: str, base: Path | None = None) -> Catalogue:
    """The catalogue in text; `include` entries are read relative to base (the catalogue's folder)."""
    try:
        document = yaml.load(text, Loader=_YAML_LOADER)
    except yaml.YAMLError as error:
        raise CatalogueError(f"{source}: not valid YAML: {error}") from error
    if not isinstance(document, dict):
        raise CatalogueError(f"{source}: expected a mapping with keys 'version' and 'rules'")
    if document.get("version") != 1:
        raise CatalogueError(f"{source}: key 'version': expected 1, got {document.get('version')!r}")
    unknown = set(document) - {"version", "rules"}
    if unknown:
        raise CatalogueError(f"{source}: unknown top-level key(s): {', '.join(sorted(map(str, unknown)))}")
    raw_rules = document.get("rules")
    if not isinstance(raw_rules, list) or not raw_rules:
        raise CatalogueError(f"{source}: key 'rules': expected a non-empty list of rules")
    rules: list[Rule] = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_rules):
        if isinstance(raw, dict) and set(raw) == {_INCLUDE}:
            parsed = _included(raw[_INCLUDE], f"{source}: rules[{index}]", base)
        else:
            parsed = [_parse_rule(raw, f"{source}: rules[{index}]", source)]
        for rule in parsed:
            if rule.id in seen:
                raise CatalogueError(f"{source}: rule {rule.id!r}: duplicate id")
            seen.add(rule.id)
            rules.append(rule)
    return Catalogue(source=source, rules=tuple(rules))


def _included(name: Any, where: str, base: Path | None) -> list[Rule]:
    """The rules of a generated file (outside_rules.yaml): no examples, a `source` and a `secret` each."""
    if not isinstance(name, str) or "/" in name or base is None:
        raise CatalogueError(f"{where}: key 'include': expected a file name beside the catalogue")
    path = base / name
    try:
        document = yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise CatalogueError(f"{path}: cannot read the included rules: {error}") from error
    if not isinstance(document, dict) or document.get("version") != 1 or not isinstance(document.get("rules"), list):
        raise CatalogueError(f"{path}: expected a mapping with 'version: 1' and a list 'rules'")
    return [_parse_rule(raw, f"{path}: rules[{index}]", str(path), generated=True)
            for index, raw in enumerate(document["rules"])]


def _parse_rule(raw: Any, where: str, source: str, generated: bool = False) -> Rule:
    keys = _OUTSIDE_KEYS if generated else _RULE_KEYS
    if not isinstance(raw, dict):
        raise CatalogueError(f"{where}: expected a mapping with keys {', '.join(sorted(keys))}")
    rule_id = raw.get("id")
    if not isinstance(rule_id, str) or not _ID.match(rule_id):
        raise CatalogueError(f"{where}: key 'id': expected a kebab-case string, got {rule_id!r}")
    where = f"{source}: rule {rule_id!r}"
    unknown = set(raw) - keys
    if unknown:
        raise CatalogueError(f"{where}: unknown key(s): {', '.join(sorted(map(str, unknown)))}")
    description = _required_text(raw, "description", where)
    pattern = _required_text(raw, "pattern", where)
    replacement = _required_text(raw, "replacement", where)
    for key, value in (("pattern", pattern), ("replacement", replacement)):
        if not _RENDERABLE.match(value):
            raise CatalogueError(f"{where}: key {key!r}: only printable ASCII without backticks (write \\x60)")
    compiled = _compile(pattern, where)
    if compiled.search(b"") is not None:
        raise CatalogueError(f"{where}: key 'pattern': matches the empty string")
    marker = f"[REDACTED:{rule_id}]"
    if marker not in replacement:
        raise CatalogueError(f"{where}: key 'replacement': must contain {marker}")
    try:
        parse_template(replacement, compiled.groups, _group_names(compiled), strict=True)
    except TemplateError as error:
        raise CatalogueError(f"{where}: key 'replacement': {error}") from error
    if generated:
        keywords = raw.get("keywords", [])
        if not isinstance(keywords, list) or not all(isinstance(word, str) for word in keywords):
            raise CatalogueError(f"{where}: key 'keywords': expected a list of strings")
        return Rule(id=rule_id, description=description, pattern=pattern, replacement=replacement, examples=(),
                    lookalikes=(), source=_required_text(raw, "source", where),
                    secret=_required_text(raw, "secret", where), keywords=tuple(keywords))
    return Rule(
        id=rule_id,
        description=description,
        pattern=pattern,
        replacement=replacement,
        examples=_examples(raw.get("examples"), where),
        lookalikes=_lookalikes(raw.get("lookalikes"), where),
    )


def _required_text(raw: dict[str, Any], key: str, where: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value:
        raise CatalogueError(f"{where}: key {key!r}: expected a non-empty string")
    return value


def _compile(pattern: str, where: str) -> Any:
    try:
        return re2.compile(pattern.encode("ascii"))
    except re2.error as error:
        raise CatalogueError(f"{where}: key 'pattern': does not compile in RE2: {error}") from error


def _examples(raw: Any, where: str) -> tuple[Example, ...]:
    if not isinstance(raw, list) or not raw:
        raise CatalogueError(f"{where}: key 'examples': expected a non-empty list")
    examples: list[Example] = []
    for index, item in enumerate(raw):
        here = f"{where}: examples[{index}]"
        if isinstance(item, str):
            examples.append(Example(text=item, redacted=None))
            continue
        if not isinstance(item, dict) or not isinstance(item.get("text"), str) or set(item) - _EXAMPLE_KEYS:
            raise CatalogueError(f"{here}: expected a string or a mapping with 'text' and optional 'redacted'")
        redacted = item.get("redacted")
        if redacted is not None and not isinstance(redacted, str):
            raise CatalogueError(f"{here}: key 'redacted': expected a string")
        examples.append(Example(text=item["text"], redacted=redacted))
    return tuple(examples)


def _lookalikes(raw: Any, where: str) -> tuple[str, ...]:
    if not isinstance(raw, list) or not raw or not all(isinstance(item, str) and item for item in raw):
        raise CatalogueError(f"{where}: key 'lookalikes': expected a non-empty list of strings")
    return tuple(raw)
