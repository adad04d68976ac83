"""prices.yaml (generated) + price_overrides.yaml (reviewed) -> a validated, merged PriceTable.

Every error names the file and the key ("price_overrides.yaml: models.claude-opus-4-6.fast.input: ..."),
and is a CcotelError, so the CLI prints it as one line.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Set
from datetime import date
from importlib.resources import files
from pathlib import Path
from typing import Any

import yaml

from ccotel.collector.pricing.table import (
    TOKEN_KINDS,
    LongContext,
    ModelPrices,
    NameRule,
    PriceTable,
    PriceWindow,
    Rates,
)
from ccotel.errors import CcotelError

PRICES_FILE = "prices.yaml"
OVERRIDES_FILE = "price_overrides.yaml"
_WINDOW_KEYS = {"from", "standard", "long_context", "fast", "web_search"}
_OVERRIDE_FIELDS = {"long_context", "fast", "web_search"}


class PriceTableError(CcotelError):
    """A price file is missing, is not YAML, or breaks the schema."""


def package_file(name: str) -> Path:
    return Path(str(files("ccotel.collector.pricing").joinpath(name)))


class _Reader:
    """Typed access to parsed YAML that reports `file: dotted.key: problem`."""

    def __init__(self, filename: str) -> None:
        self.filename = filename

    def fail(self, key: str, problem: str) -> PriceTableError:
        return PriceTableError(f"{self.filename}: {key}: {problem}" if key else f"{self.filename}: {problem}")

    def mapping(self, value: Any, key: str, allowed: Set[str] | None = None, required: Set[str] = frozenset()) -> dict:
        if not isinstance(value, dict):
            raise self.fail(key, f"expected a mapping, got {type(value).__name__}")
        for name in sorted(required - value.keys()):
            raise self.fail(f"{key}.{name}".lstrip("."), "missing")
        for name in sorted(value.keys() - (allowed or value.keys())):
            raise self.fail(f"{key}.{name}".lstrip("."), f"unknown key (allowed: {', '.join(sorted(allowed or ()))})")
        return value

    def listing(self, value: Any, key: str) -> list:
        if not isinstance(value, list):
            raise self.fail(key, f"expected a list, got {type(value).__name__}")
        return value

    def text(self, value: Any, key: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, "expected a non-empty string")
        return value

    def number(self, value: Any, key: str) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
            raise self.fail(key, f"expected a price >= 0, got {value!r}")
        return float(value)

    def regex(self, value: Any, key: str) -> str:
        pattern = self.text(value, key)
        if "`" in pattern or "\n" in pattern:
            raise self.fail(key, "a backtick or newline cannot be rendered into Alloy")
        try:
            re.compile(pattern)
            import re2

            re2.compile(pattern)
        except ImportError:
            pass
        except Exception as error:
            raise self.fail(key, f"not a valid RE2/Python regex: {error}") from None
        return pattern

    def rates(self, value: Any, key: str, extra: Set[str] = frozenset()) -> Rates:
        fields = self.mapping(value, key, set(TOKEN_KINDS) | extra, set(TOKEN_KINDS))
        return Rates(**{kind: self.number(fields[kind], f"{key}.{kind}") for kind in TOKEN_KINDS})

    def long_context(self, value: Any, key: str) -> LongContext:
        rates = self.rates(value, key, {"above_prompt_tokens"})
        above = value.get("above_prompt_tokens")
        if isinstance(above, bool) or not isinstance(above, int) or above <= 0:
            raise self.fail(f"{key}.above_prompt_tokens", f"expected a positive whole number, got {above!r}")
        return LongContext(above, rates)

    def window_fields(self, value: Any, key: str) -> dict[str, Any]:
        fields = self.mapping(value, key, _WINDOW_KEYS, {"from", "standard"})
        return {
            "standard": self.rates(fields["standard"], f"{key}.standard"),
            "long_context": None if "long_context" not in fields
            else self.long_context(fields["long_context"], f"{key}.long_context"),
            "fast": None if "fast" not in fields else self.rates(fields["fast"], f"{key}.fast"),
            "web_search_per_1k": None if "web_search" not in fields
            else self.number(fields["web_search"], f"{key}.web_search"),
        }

    def model(self, value: Any, key: str, extra: Set[str] = frozenset()) -> ModelPrices:
        fields = self.mapping(value, key, {"id", "name", "match", "prices"} | extra, {"id", "name", "match", "prices"})
        model_id = self.text(fields["id"], f"{key}.id")
        key = f"models.{model_id}" if not extra else key
        windows: list[dict[str, Any]] = []
        starts: list[date | None] = []
        for index, raw in enumerate(self.listing(fields["prices"], f"{key}.prices")):
            where = f"{key}.prices[{index}]"
            window = self.window_fields(raw, where)
            start = raw.get("from")
            if index == 0 and start is not None:
                raise self.fail(f"{where}.from", "the first price window must be `from: null` (always)")
            if index > 0:
                try:
                    start = date.fromisoformat(self.text(start, f"{where}.from"))
                except ValueError:
                    raise self.fail(f"{where}.from", f"expected a YYYY-MM-DD date, got {start!r}") from None
                if starts[-1] is not None and start <= starts[-1]:
                    raise self.fail(f"{where}.from", "price windows must be in increasing date order")
            starts.append(start)
            windows.append(window)
        if not windows:
            raise self.fail(f"{key}.prices", "at least one price window is required")
        ends = [*starts[1:], None]
        return ModelPrices(
            id=model_id,
            name=self.text(fields["name"], f"{key}.name"),
            match=self.regex(fields["match"], f"{key}.match"),
            windows=tuple(PriceWindow(start=s, end=e, **w) for s, e, w in zip(starts, ends, windows, strict=True)),
        )


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except OSError as error:
        raise PriceTableError(f"{path.name}: cannot read: {error.strerror or error}") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise PriceTableError(f"{path.name}: not valid YAML{where}: {getattr(error, 'problem', error)}") from None


def parse_prices(data: Any, filename: str = PRICES_FILE) -> tuple[str, list[ModelPrices]]:
    reader = _Reader(filename)
    top = reader.mapping(data, "", {"source", "skipped", "models"}, {"source", "models"})
    source = reader.mapping(top["source"], "source", {"package", "version", "provider"}, {"package", "version"})
    label = f"{reader.text(source['package'], 'source.package')} {reader.text(source['version'], 'source.version')}"
    models = [reader.model(raw, f"models[{i}]") for i, raw in enumerate(reader.listing(top["models"], "models"))]
    _unique_ids(reader, models)
    return label, models


def _unique_ids(reader: _Reader, models: list[ModelPrices]) -> None:
    seen: set[str] = set()
    for model in models:
        if model.id in seen:
            raise reader.fail(f"models.{model.id}", "duplicate model id")
        seen.add(model.id)


def _override_model(reader: _Reader, model: ModelPrices, raw: Any) -> ModelPrices:
    key = f"models.{model.id}"
    fields = reader.mapping(raw, key, _OVERRIDE_FIELDS | {"reason", "source"}, {"source"})
    reader.text(fields["source"], f"{key}.source")
    changes: dict[str, Any] = {}
    if "long_context" in fields:
        changes["long_context"] = reader.long_context(fields["long_context"], f"{key}.long_context")
    if "fast" in fields:
        changes["fast"] = reader.rates(fields["fast"], f"{key}.fast")
    if "web_search" in fields:
        changes["web_search_per_1k"] = reader.number(fields["web_search"], f"{key}.web_search")
    if not changes:
        raise reader.fail(key, f"no price field to override (one of: {', '.join(sorted(_OVERRIDE_FIELDS))})")
    windows = tuple(dataclasses.replace(window, **changes) for window in model.windows)
    if windows == model.windows:
        raise reader.fail(key, "identical to prices.yaml (genai-prices has it now): delete this override")
    changed = sorted(fields.keys() & _OVERRIDE_FIELDS)
    return dataclasses.replace(model, windows=windows, overrides=(*model.overrides, *changed))


def merge_overrides(
    models: list[ModelPrices], data: Any, filename: str = OVERRIDES_FILE
) -> tuple[list[NameRule], list[ModelPrices]]:
    reader = _Reader(filename)
    top = reader.mapping(data, "", {"model_names", "models", "inference_geo_us", "add_models"})
    rules = []
    for index, raw in enumerate(reader.listing(top.get("model_names", []), "model_names")):
        key = f"model_names[{index}]"
        fields = reader.mapping(raw, key, {"pattern", "replace", "reason"}, {"pattern", "replace", "reason"})
        replace = fields["replace"]
        if not isinstance(replace, str) or "$" in replace or "\\" in replace:
            raise reader.fail(f"{key}.replace", "expected literal text (no $ or backslash)")
        reader.text(fields["reason"], f"{key}.reason")
        rules.append(NameRule(reader.regex(fields["pattern"], f"{key}.pattern"), replace))
    by_id = {model.id: model for model in models}
    for model_id, raw in reader.mapping(top.get("models", {}), "models").items():
        if model_id not in by_id:
            raise reader.fail(f"models.{model_id}", "no such model in prices.yaml: delete or rename this override")
        by_id[model_id] = _override_model(reader, by_id[model_id], raw)
    added = []
    for index, raw in enumerate(reader.listing(top.get("add_models", []), "add_models")):
        key = f"add_models[{index}]"
        model = reader.model(raw, key, {"examples", "reason", "source"})
        reader.text(raw.get("source"), f"{key}.source")
        if model.id in by_id:
            raise reader.fail(f"{key}.id", f"{model.id} is in prices.yaml now: delete the added model")
        added.append(dataclasses.replace(model, origin=filename))
        by_id[model.id] = added[-1]
    merged = [by_id[model.id] for model in models] + added
    if "inference_geo_us" in top:
        merged = _apply_us_multiplier(reader, merged, top["inference_geo_us"])
    table = PriceTable(tuple(merged), tuple(rules), "")
    for index, raw in enumerate(top.get("add_models", [])):
        for example in reader.listing(raw.get("examples"), f"add_models[{index}].examples"):
            found = table.find_model(reader.text(example, f"add_models[{index}].examples"))
            if found is None or found.id != raw["id"]:
                priced_as = found.id if found else "nothing"
                raise reader.fail(f"add_models[{index}].examples", f"{example!r} is priced as {priced_as}, "
                                  f"not {raw['id']}: fix `match` or delete the entry")
    return rules, merged


def _apply_us_multiplier(reader: _Reader, models: list[ModelPrices], raw: Any) -> list[ModelPrices]:
    key = "inference_geo_us"
    fields = reader.mapping(raw, key, {"multiplier", "models", "reason", "source"}, {"multiplier", "models", "source"})
    multiplier = reader.number(fields["multiplier"], f"{key}.multiplier")
    reader.text(fields["source"], f"{key}.source")
    targets = [reader.text(item, f"{key}.models") for item in reader.listing(fields["models"], f"{key}.models")]
    known = {model.id for model in models}
    for target in targets:
        if target not in known:
            raise reader.fail(f"{key}.models", f"no such model: {target}")
    return [
        dataclasses.replace(
            model,
            windows=tuple(dataclasses.replace(w, us_multiplier=multiplier) for w in model.windows),
            overrides=(*model.overrides, key),
        )
        if model.id in targets
        else model
        for model in models
    ]


def load_price_table(prices_path: str | Path | None = None, overrides_path: str | Path | None = None) -> PriceTable:
    prices = Path(prices_path) if prices_path else package_file(PRICES_FILE)
    overrides = Path(overrides_path) if overrides_path else package_file(OVERRIDES_FILE)
    label, models = parse_prices(_read_yaml(prices), prices.name)
    rules, merged = merge_overrides(models, _read_yaml(overrides), overrides.name)
    return PriceTable(tuple(merged), tuple(rules), label)
