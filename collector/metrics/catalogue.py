"""The metric catalogue (collector/metrics/metrics.yaml): load, validate, and name metrics the way Prometheus will.

    load_catalogue(path=None) -> Catalogue      raises CatalogueError("<file>: <key>: <what is wrong>")
    prometheus_name(otlp_name, unit, kind) -> str   Alloy's OTLP -> Prometheus metric name
    prometheus_label(attribute_key) -> str          Alloy's OTLP attribute -> Prometheus label name

The translation follows contrib `pkg/translator/prometheus` (BuildCompliantName / NormalizeLabel) as used by
`otelcol.exporter.prometheus` with `add_metric_suffixes = true`, for the units this project uses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

import yaml

SOURCES = ("spanmetrics", "derived", "claude_code", "alloy")
KINDS = ("counter", "gauge", "histogram")
SPANMETRICS_DEFAULT_LABELS = ("service_name", "span_name", "span_kind", "status_code")

_METRIC_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
_OTLP_NAME = re.compile(r"[a-zA-Z][a-zA-Z0-9_.]*")
_DURATION = re.compile(r"([0-9]+(ms|s|m|h))+")
# contrib pkg/translator/prometheus unitMap / perUnitMap (the entries that can occur here)
_UNITS = {"d": "days", "h": "hours", "min": "minutes", "s": "seconds", "ms": "milliseconds",
          "us": "microseconds", "ns": "nanoseconds", "By": "bytes", "KiBy": "kibibytes", "MiBy": "mebibytes",
          "%": "percent", "1": ""}
_PER_UNITS = {"s": "second", "m": "minute", "h": "hour", "d": "day"}


class CatalogueError(ValueError):
    """The catalogue file is malformed; the message names the file and the key."""


@dataclass(frozen=True)
class Rule:
    """One signaltometrics block: where `conditions` (ORed) hold, add `value`, with constant labels."""

    conditions: tuple[str, ...]
    value: str
    constant_labels: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Derivation:
    signal: str  # "spans" | "logs"
    attributes: tuple[str, ...]  # record attributes that become labels (optional: absent -> label absent)
    rules: tuple[Rule, ...]


@dataclass(frozen=True)
class Metric:
    name: str  # as Prometheus stores it (histograms: the base name)
    source: str
    kind: str
    unit: str  # the OTLP unit for OTLP-born metrics
    labels: tuple[str, ...]
    description: str
    otlp_name: str | None = None
    derive: Derivation | None = None

    @property
    def series(self) -> tuple[str, ...]:
        if self.kind == "histogram":
            return (f"{self.name}_bucket", f"{self.name}_sum", f"{self.name}_count")
        return (self.name,)


@dataclass(frozen=True)
class SpanMetrics:
    namespace: str
    flush_interval: str
    histogram_unit: str
    buckets: tuple[float, ...]
    dimensions: tuple[str, ...]


@dataclass(frozen=True)
class Catalogue:
    version: int
    common_labels: tuple[str, ...]
    spanmetrics: SpanMetrics
    metrics: tuple[Metric, ...]

    def by_name(self) -> dict[str, Metric]:
        return {m.name: m for m in self.metrics}

    def derived(self) -> tuple[Metric, ...]:
        return tuple(m for m in self.metrics if m.source == "derived")


def prometheus_label(key: str) -> str:
    """`gen_ai.request.model` -> `gen_ai_request_model` (NormalizeLabel: non-alphanumerics -> `_`)."""
    label = re.sub(r"[^a-zA-Z0-9_]", "_", key)
    return f"key_{label}" if label[:1].isdigit() else label


def prometheus_name(otlp_name: str, unit: str, kind: str) -> str:
    """The Prometheus name of an OTLP metric (BuildCompliantName with suffixes; histograms: the base name)."""
    tokens = [t for t in re.split(r"[^a-zA-Z0-9]+", otlp_name) if t]
    main, _, per = unit.partition("/")
    if main and "{" not in main and "}" not in main:
        suffix = _UNITS.get(main.strip(), main.strip())
        if suffix and suffix not in tokens:
            tokens.append(suffix)
    if per and "{" not in per:
        per_suffix = _PER_UNITS.get(per.strip(), per.strip())
        if per_suffix and f"per_{per_suffix}" not in "_".join(tokens):
            tokens.extend(["per", per_suffix])
    if kind == "counter":
        tokens = [t for t in tokens if t != "total"] + ["total"]
    if kind == "gauge" and unit == "1":
        tokens.append("ratio")
    return "_".join(tokens)


# --- loading ------------------------------------------------------------------------------------------------


class _Reader:
    def __init__(self, filename: str) -> None:
        self.filename = filename

    def fail(self, key: str, message: str) -> CatalogueError:
        return CatalogueError(f"{self.filename}: {key}: {message}")

    def get(self, raw: dict[str, Any], field: str, key: str, kind: type | tuple[type, ...],
            default: Any = ...) -> Any:
        if field not in raw:
            if default is ...:
                raise self.fail(key, f"missing required field {field!r}")
            return default
        value = raw[field]
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
            names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            raise self.fail(f"{key}.{field}", f"expected {names}, got {type(value).__name__}")
        return value

    def strings(self, raw: dict[str, Any], field: str, key: str, default: Any = ...) -> tuple[str, ...]:
        items = self.get(raw, field, key, list, default)
        for index, item in enumerate(items):
            if not isinstance(item, str) or not item:
                raise self.fail(f"{key}.{field}[{index}]", "expected a non-empty string")
        return tuple(items)


def _derivation(reader: _Reader, raw: Any, key: str) -> Derivation:
    if not isinstance(raw, dict):
        raise reader.fail(key, "expected a mapping")
    signal = reader.get(raw, "signal", key, str)
    if signal not in ("spans", "logs"):
        raise reader.fail(f"{key}.signal", f"expected spans or logs, got {signal!r}")
    attributes = reader.strings(raw, "attributes", key, [])
    rules_raw = reader.get(raw, "rules", key, list)
    if not rules_raw:
        raise reader.fail(f"{key}.rules", "at least one rule is required")
    rules = []
    for index, rule_raw in enumerate(rules_raw):
        rule_key = f"{key}.rules[{index}]"
        if not isinstance(rule_raw, dict):
            raise reader.fail(rule_key, "expected a mapping")
        value = reader.get(rule_raw, "value", rule_key, str).strip()
        conditions = tuple(c.strip() for c in reader.strings(rule_raw, "conditions", rule_key, []))
        constants = reader.get(rule_raw, "constant_labels", rule_key, dict, {})
        for label, label_value in constants.items():
            if not isinstance(label, str) or not isinstance(label_value, str):
                raise reader.fail(f"{rule_key}.constant_labels", "keys and values must be strings")
        rules.append(Rule(conditions, value, tuple(sorted(constants.items()))))
    return Derivation(signal, attributes, tuple(rules))


def _metric(reader: _Reader, raw: Any, index: int) -> Metric:
    key = f"metrics[{index}]"
    if not isinstance(raw, dict):
        raise reader.fail(key, "expected a mapping")
    name = reader.get(raw, "name", key, str)
    key = f"metrics[{index}] ({name})"
    source = reader.get(raw, "source", key, str)
    kind = reader.get(raw, "type", key, str)
    if source not in SOURCES:
        raise reader.fail(f"{key}.source", f"expected one of {', '.join(SOURCES)}, got {source!r}")
    if kind not in KINDS:
        raise reader.fail(f"{key}.type", f"expected one of {', '.join(KINDS)}, got {kind!r}")
    derive_raw = raw.get("derive")
    derive = _derivation(reader, derive_raw, f"{key}.derive") if derive_raw is not None else None
    return Metric(
        name=name, source=source, kind=kind, unit=reader.get(raw, "unit", key, str),
        labels=reader.strings(raw, "labels", key),
        description=reader.get(raw, "description", key, str).strip(),
        otlp_name=reader.get(raw, "otlp_name", key, str, None), derive=derive,
    )


def _spanmetrics(reader: _Reader, raw: Any) -> SpanMetrics:
    key = "spanmetrics"
    if not isinstance(raw, dict):
        raise reader.fail(key, "expected a mapping")
    buckets = reader.get(raw, "buckets", key, list)
    numbers = all(isinstance(b, int | float) and not isinstance(b, bool) and b > 0 for b in buckets)
    if not buckets or not numbers:
        raise reader.fail(f"{key}.buckets", "expected a non-empty list of positive numbers")
    if list(buckets) != sorted(set(buckets)):
        raise reader.fail(f"{key}.buckets", "buckets must be strictly increasing")
    unit = reader.get(raw, "histogram_unit", key, str)
    if unit not in ("ms", "s"):
        raise reader.fail(f"{key}.histogram_unit", f"expected ms or s, got {unit!r}")
    flush = reader.get(raw, "flush_interval", key, str)
    if not _DURATION.fullmatch(flush):
        raise reader.fail(f"{key}.flush_interval", f"not a duration: {flush!r}")
    return SpanMetrics(
        namespace=reader.get(raw, "namespace", key, str), flush_interval=flush, histogram_unit=unit,
        buckets=tuple(float(b) for b in buckets), dimensions=reader.strings(raw, "dimensions", key),
    )


def parse_catalogue(text: str, filename: str = "metrics.yaml") -> Catalogue:
    """Parse and validate catalogue text; every problem is a CatalogueError naming the file and key."""
    reader = _Reader(filename)
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise CatalogueError(f"{filename}: not valid YAML: {error}") from error
    if not isinstance(raw, dict):
        raise CatalogueError(f"{filename}: expected a mapping at the top level")
    version = reader.get(raw, "version", "(top)", int)
    if version != 1:
        raise reader.fail("version", f"unsupported version {version}")
    common = reader.get(raw, "common_labels", "(top)", list)
    common_labels = tuple(reader.get(c, "name", f"common_labels[{i}]", str) for i, c in enumerate(common))
    metrics_raw = reader.get(raw, "metrics", "(top)", list)
    catalogue = Catalogue(
        version=version, common_labels=common_labels,
        spanmetrics=_spanmetrics(reader, raw.get("spanmetrics")),
        metrics=tuple(_metric(reader, m, i) for i, m in enumerate(metrics_raw)),
    )
    _check(catalogue, reader)
    return catalogue


# --- cross-field rules -------------------------------------------------------------------------------------


def _check_labels(metric: Metric, key: str, reader: _Reader, reserved: tuple[str, ...]) -> None:
    seen: set[str] = set()
    for label in metric.labels:
        if not _LABEL_NAME.fullmatch(label) or label.startswith("__"):
            raise reader.fail(f"{key}.labels", f"{label!r} is not a valid Prometheus label name")
        if label in seen:
            raise reader.fail(f"{key}.labels", f"label {label!r} listed twice")
        if label in reserved:
            raise reader.fail(f"{key}.labels", f"{label!r} is a common label; list it in common_labels only")
        seen.add(label)


def _check_derivation(metric: Metric, key: str, reader: _Reader) -> None:
    derive = metric.derive
    if derive is None:
        raise reader.fail(key, "a derived metric needs a `derive` block")
    if metric.kind != "counter":
        raise reader.fail(f"{key}.type", "derived metrics are counters (signaltometrics sums)")
    constant_keys = {tuple(k for k, _ in rule.constant_labels) for rule in derive.rules}
    if len(constant_keys) != 1:
        raise reader.fail(f"{key}.derive.rules", "every rule must set the same constant label names")
    expected = [*next(iter(constant_keys)), *(prometheus_label(a) for a in derive.attributes)]
    if len(set(expected)) != len(expected):
        raise reader.fail(f"{key}.derive", f"two attributes or constant labels map to one label: {expected}")
    if set(metric.labels) != set(expected):
        raise reader.fail(f"{key}.labels", f"must be exactly the derived labels {sorted(expected)}")


def _check_spanmetrics(catalogue: Catalogue, reader: _Reader) -> None:
    config = catalogue.spanmetrics
    expected_labels = {*SPANMETRICS_DEFAULT_LABELS, *(prometheus_label(d) for d in config.dimensions)}
    produced = {f"{config.namespace}.calls": ("counter", ""),
                f"{config.namespace}.duration": ("histogram", config.histogram_unit)}
    listed = {str(m.otlp_name): m for m in catalogue.metrics if m.source == "spanmetrics"}
    if set(listed) != set(produced):
        raise reader.fail("metrics", f"spanmetrics entries must be exactly {sorted(produced)}, not {sorted(listed)}")
    for otlp_name, (kind, unit) in produced.items():
        metric = listed[otlp_name]
        if (metric.kind, metric.unit) != (kind, unit):
            raise reader.fail(metric.name, f"spanmetrics produces a {kind} with unit {unit!r}")
        if set(metric.labels) != expected_labels:
            raise reader.fail(f"{metric.name}.labels", f"must be exactly {sorted(expected_labels)}")


def _check(catalogue: Catalogue, reader: _Reader) -> None:
    series: dict[str, str] = {}
    otlp_names: set[str] = set()
    for index, metric in enumerate(catalogue.metrics):
        key = f"metrics[{index}] ({metric.name})"
        if not _METRIC_NAME.fullmatch(metric.name):
            raise reader.fail(key, f"{metric.name!r} is not a valid Prometheus metric name")
        for name in metric.series:
            if name in series:
                raise reader.fail(key, f"series {name!r} is already produced by {series[name]}")
            series[name] = metric.name
        _check_labels(metric, key, reader, catalogue.common_labels)
        if metric.source == "alloy":
            if metric.otlp_name is not None or metric.derive is not None:
                raise reader.fail(key, "alloy metrics have no otlp_name and no derive block")
            continue
        if metric.otlp_name is None or not _OTLP_NAME.fullmatch(metric.otlp_name):
            raise reader.fail(f"{key}.otlp_name", "required: the OTLP metric name (letters, digits, . and _)")
        if metric.otlp_name in otlp_names:
            raise reader.fail(f"{key}.otlp_name", f"{metric.otlp_name!r} listed twice")
        otlp_names.add(metric.otlp_name)
        translated = prometheus_name(metric.otlp_name, metric.unit, metric.kind)
        if translated != metric.name:
            raise reader.fail(f"{key}.name", f"Alloy names {metric.otlp_name!r} ({metric.unit!r}) {translated}")
        if metric.source == "derived":
            _check_derivation(metric, key, reader)
        elif metric.derive is not None:
            raise reader.fail(f"{key}.derive", "only derived metrics have a derive block")
    _check_spanmetrics(catalogue, reader)


def default_catalogue_path() -> Path:
    return Path(str(files("ccotel.collector.metrics").joinpath("metrics.yaml")))


def load_catalogue(path: str | Path | None = None) -> Catalogue:
    source = Path(path) if path is not None else default_catalogue_path()
    try:
        text = source.read_text(encoding="utf-8")
    except OSError as error:
        raise CatalogueError(f"{source}: cannot read: {error.strerror}") from error
    return parse_catalogue(text, str(source))
