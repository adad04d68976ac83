"""Redaction in the hook, for an endpoint that is not on this machine: nothing raw leaves it.

The secret catalogue reaches the hook rendered (hook/secret_rules.json, from redaction/rules.yaml by
`python -m ccotel.redaction.render_hook`; the hook imports nothing of ccotel.redaction). Its rules run as
ccotel.redaction.engine runs them, and tests hold the two byte-identical: one after another in catalogue
order, each replacing every leftmost-first non-overlapping match over the whole UTF-8 text and expanding
its pre-parsed template (literal text, group numbers; a group that did not take part adds nothing).

google-re2 is imported only here, and this module only when the hook redacts (ccotel.hook.config:
CCOTEL_REDACT). Compiling the whole catalogue would cost every run ~0.25 s, so rules are gated the way
the pipeline gates them: each rule has atoms (ccotel.redaction.atoms: literals one of which every match
contains; lower-cased unless the rule keeps case), and only rules whose atom occurs somewhere in the
request's strings are compiled and run. The gate only skips rules that cannot match (no atom is part of a
marker or contains a bracket, so no replacement can create one), so the output is that of every rule.
RE2's (?i) also folds the long s and the Kelvin sign into s and k: the lower-cased text folds them too.
Every string an OTLP/JSON request carries is redacted: resource and span attributes (also inside arrays
and key-value lists), span names, status messages, span events; a span that then carries the marker gets
`claude_code.redacted = true`, as the pipeline sets it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

RULES_FILE = Path(__file__).with_name("secret_rules.json")


class RuleError(ValueError):
    """The rendered rules file is missing or broken (re-render it: python -m ccotel.redaction.render_hook)."""


class Scrubber:
    def __init__(self, document: dict[str, Any]) -> None:
        import re2

        try:
            self.marker: str = document["marker"]
            self.attribute: str = document["redacted_attribute"]
            self.ids: list[str] = [rule["id"] for rule in document["rules"]]
            self._patterns: list[str] = [rule["pattern"] for rule in document["rules"]]
            self._templates: list[tuple[bytes | int, ...]] = [
                tuple(part.encode("utf-8") if isinstance(part, str) else int(part) for part in rule["replacement"])
                for rule in document["rules"]
            ]
            self._atoms: list[tuple[str, ...]] = [tuple(str(atom) for atom in rule["atoms"])
                                                  for rule in document["rules"]]
            self._keep_case: list[bool] = [rule["keep_case"] is True for rule in document["rules"]]
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise RuleError(f"{RULES_FILE.name}: not a rendered rules file ({error!r})") from None
        if not self._patterns:
            raise RuleError(f"{RULES_FILE.name}: holds no rules")
        self._re2 = re2
        self._compiled: dict[int, Any] = {}
        for index in range(len(self._patterns)):  # a rule that cannot be compiled fails the load, not a run
            if not self._atoms[index]:
                self._regex(index)
        self._active: list[int] | None = None  # the rules gated in for the request being redacted

    def gate(self, texts: list[str]) -> list[int]:
        """The rules that can match somewhere in these texts, in catalogue order (see the module docstring)."""
        exact = "\n".join(texts)
        folded = exact.lower()
        if not folded.isascii():
            folded = folded.replace("\u017f", "s")  # (?i) s also matches the long s (the Kelvin sign lowers to k)
        return [index for index, found in enumerate(self._atoms)
                if not found or any(atom in (exact if self._keep_case[index] else folded) for atom in found)]

    def _regex(self, index: int) -> Any:
        regex = self._compiled.get(index)
        if regex is None:
            regex = self._compiled[index] = self._re2.compile(self._patterns[index].encode("ascii"))
        return regex

    def _apply(self, index: int, data: bytes) -> bytes:
        regex, template = self._regex(index), self._templates[index]
        groups = range(regex.groups + 1)
        pieces: list[bytes] = []
        position = 0
        for match in regex.finditer(data):
            start, end = match.span()
            pieces.append(data[position:start])
            for part in template:
                if isinstance(part, bytes):
                    pieces.append(part)
                elif part >= 0 and part in groups:
                    group_start, group_end = match.span(part)
                    if group_start >= 0:
                        pieces.append(data[group_start:group_end])
            position = end
        if not pieces:
            return data
        pieces.append(data[position:])
        return b"".join(pieces)

    def redact_bytes(self, data: bytes, rules: list[int] | None = None) -> bytes:
        """Every rule in catalogue order over the whole text; `rules`: the gated-in ones (else gated on data)."""
        if rules is None:
            rules = self.gate([data.decode("utf-8", "surrogateescape")])
        for index in rules:
            data = self._apply(index, data)
        return data

    def redact(self, text: str, rules: list[int] | None = None) -> str:
        """Redact a str; lone surrogates survive unchanged, as in ccotel.redaction.engine."""
        if rules is None:
            rules = self._active if self._active is not None else self.gate([text])
        if not rules:
            return text
        encoded = text.encode("utf-8", "surrogatepass")
        redacted = self.redact_bytes(encoded, rules)
        return text if redacted == encoded else redacted.decode("utf-8", "surrogatepass")

    def _value(self, value: dict[str, Any]) -> bool:
        """Redact an OTLP/JSON AnyValue in place; True when it carries the marker afterwards."""
        if "stringValue" in value:
            value["stringValue"] = self.redact(value["stringValue"])
            return self.marker in value["stringValue"]
        nested = value.get("arrayValue") or value.get("kvlistValue")
        if isinstance(nested, dict):
            marked = False
            for item in nested.get("values", []):
                marked = (self._value(item.get("value", {})) if "key" in item else self._value(item)) or marked
            return marked
        return False

    def _attributes(self, attributes: list[dict[str, Any]]) -> bool:
        marked = False
        for key_value in attributes:
            marked = self._value(key_value.get("value", {})) or marked
        return marked

    def _text_field(self, holder: dict[str, Any], key: str) -> bool:
        if not isinstance(holder.get(key), str):
            return False
        holder[key] = self.redact(holder[key])
        return self.marker in holder[key]

    def document(self, request: dict[str, Any]) -> None:
        """Redact an OTLP/JSON ExportTraceServiceRequest object tree in place (gated once on all its strings)."""
        texts: list[str] = []
        _strings(request, texts)
        self._active = self.gate(texts)
        try:
            for resource_spans in request.get("resourceSpans", []):
                self._attributes(resource_spans.get("resource", {}).get("attributes", []))
                for scope_spans in resource_spans.get("scopeSpans", []):
                    for span in scope_spans.get("spans", []):
                        self._span(span)
        finally:
            self._active = None

    def _span(self, span: dict[str, Any]) -> None:
        attributes = span.setdefault("attributes", [])
        marked = self._attributes(attributes)
        marked = self._text_field(span, "name") or marked
        marked = self._text_field(span.get("status", {}), "message") or marked
        for event in span.get("events", []):
            self._text_field(event, "name")
            self._attributes(event.get("attributes", []))
        if marked:
            flag = {"key": self.attribute, "value": {"boolValue": True}}
            existing = [i for i, key_value in enumerate(attributes) if key_value.get("key") == self.attribute]
            if existing:
                attributes[existing[0]] = flag
            else:
                attributes.append(flag)
        elif not attributes:
            del span["attributes"]

    def body(self, body: bytes) -> bytes:
        """An OTLP/JSON request body, redacted (for spooled batches written before redaction was on)."""
        request = json.loads(body)
        self.document(request)
        return json.dumps(request, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "surrogatepass")


def _strings(node: object, found: list[str]) -> None:
    """Every string in a JSON object tree (keys excluded): a superset of what document() redacts."""
    if isinstance(node, str):
        found.append(node)
    elif isinstance(node, dict):
        for value in node.values():
            _strings(value, found)
    elif isinstance(node, list):
        for item in node:
            _strings(item, found)


def load(path: Path = RULES_FILE) -> Scrubber:
    """The rendered catalogue, compiled. Raises (the hook then exports nothing rather than raw spans)."""
    try:
        document = json.loads(path.read_bytes())
    except (OSError, ValueError) as error:
        raise RuleError(f"{path}: cannot read the rendered secret rules: {error}") from None
    if not isinstance(document, dict):
        raise RuleError(f"{path}: not a rendered rules file")
    return Scrubber(document)
