"""Per-component mappers: one Alloy `otelcol.*` block -> the upstream component's config, as Alloy's Convert() does.

Each mapper returns the upstream nodes for one Alloy component (usually one; a chain where an Alloy-only
component is replaced by several upstream ones). A node's `outputs` name Alloy consumer uids (or other node
ids), which `pipelines.py` wires into service pipelines.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from ccotel.collector.otelcol.evaluate import Consumer, Handler, Opaque, PromReceiver, TranslateError
from ccotel.collector.otelcol.load import Component
from ccotel.collector.pipeline.schema import BlockSpec, default_schema
from ccotel.collector.pipeline.tree import Block

SIGNALS = ("traces", "metrics", "logs")

# Alloy component -> (upstream section, upstream type as v0.158 names it; older names are deprecated aliases).
# Alloy-only components are in substitutions.py.
UPSTREAM: dict[str, tuple[str, str]] = {
    "otelcol.receiver.otlp": ("receivers", "otlp"),
    "otelcol.processor.memory_limiter": ("processors", "memory_limiter"),
    "otelcol.processor.batch": ("processors", "batch"),
    "otelcol.processor.transform": ("processors", "transform"),
    "otelcol.processor.filter": ("processors", "filter"),
    "otelcol.processor.deltatocumulative": ("processors", "delta_to_cumulative"),
    "otelcol.connector.spanmetrics": ("connectors", "span_metrics"),
    "otelcol.connector.signaltometrics": ("connectors", "signal_to_metrics"),
    "otelcol.exporter.otlphttp": ("exporters", "otlp_http"),
    "otelcol.auth.basic": ("extensions", "basicauth"),
    "otelcol.storage.file": ("extensions", "file_storage"),
}

# Alloy's own defaults where they differ from the upstream component's (Alloy's Convert() always sets them).
ALLOY_DEFAULTS: dict[str, dict[str, object]] = {
    "otelcol.processor.batch": {"timeout": "200ms", "send_batch_size": 2000, "send_batch_max_size": 3000},
}


@dataclass
class Node:
    id: str  # upstream "type/name"
    section: str  # receivers | processors | exporters | connectors | extensions
    config: dict[str, object]
    outputs: dict[str, list[str]] = field(default_factory=dict)  # signal -> consumer uids / node ids


@dataclass
class Context:
    storage_dir: Path
    by_uid: dict[str, Component]
    upstream_id: Callable[[str], str]  # Alloy uid -> upstream id of its head node


@cache
def _specs() -> dict[str, BlockSpec]:
    return default_schema().components


def upstream_name(component: Component) -> str:
    return component.path


def plain(value: object, ctx: Context) -> object:
    """An evaluated Alloy value as upstream config data (capsules become component ids)."""
    if isinstance(value, Handler):
        return ctx.upstream_id(value.uid)
    if isinstance(value, Consumer | PromReceiver | Opaque):
        raise TranslateError(f"{value} cannot be used as a plain setting")
    if isinstance(value, list):
        return [plain(v, ctx) for v in value]
    if isinstance(value, dict):
        return {k: plain(v, ctx) for k, v in value.items()}
    return value


def body(block: Block, component: Component, spec: BlockSpec | None, ctx: Context, skip: set[str]) -> dict[str, object]:
    """A block's attributes and nested blocks as upstream config: repeatable blocks become lists."""
    out: dict[str, object] = {}
    for attribute in block.attributes():
        if attribute.name not in skip:
            out[attribute.name] = plain(component.evaluate(attribute.value), ctx)
    for inner in block.blocks():
        if inner.name in skip:
            continue
        inner_spec = spec.blocks.get(inner.name) if spec else None
        converted = body(inner, component, inner_spec, ctx, set())
        if inner_spec is not None and inner_spec.repeatable:
            out.setdefault(inner.name, [])
            out[inner.name].append(converted)  # type: ignore[union-attr]
        else:
            out[inner.name] = converted
    return out


def outputs(component: Component) -> dict[str, list[str]]:
    """The `output` block: signal -> the uids of the consumers it lists."""
    block = next(iter(component.block.blocks("output")), None)
    if block is None:
        return {}
    result: dict[str, list[str]] = {}
    for attribute in block.attributes():
        value = component.evaluate(attribute.value) or []
        if not isinstance(value, list) or not all(isinstance(v, Consumer) for v in value):
            raise TranslateError(f"{attribute.pos}: output.{attribute.name} is not a list of otelcol consumers")
        if value:
            result[attribute.name] = [v.uid for v in value]
    return result


def _generic(component: Component, ctx: Context) -> dict[str, object]:
    config = dict(ALLOY_DEFAULTS.get(component.kind, {}))
    config.update(body(component.block, component, _specs().get(component.kind), ctx, {"output", "debug_metrics"}))
    return config


_UNITS = {"": 1, "b": 1, "kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "kb": 1000, "mb": 1000**2, "gb": 1000**3}


def size_bytes(text: str) -> int:
    """"512MiB" -> bytes (Alloy parses memory sizes with base-2 and base-10 unit suffixes)."""
    number = text.rstrip("KkMmGgIiBb")
    unit = text[len(number) :].lower()
    if unit not in _UNITS or not number:
        raise TranslateError(f"cannot read the memory size {text!r}")
    return int(float(number) * _UNITS[unit])


def _memory_limiter(component: Component, ctx: Context) -> dict[str, object]:
    config = _generic(component, ctx)
    limit = size_bytes(str(config.pop("limit", "0MiB")))
    spike_text = config.pop("spike_limit", None)
    spike = size_bytes(str(spike_text)) if spike_text is not None else limit // 5
    config["limit_mib"] = limit >> 20
    config["spike_limit_mib"] = spike >> 20
    return config


def _otlp_receiver(component: Component, ctx: Context) -> dict[str, object]:
    config = _generic(component, ctx)
    return {"protocols": {name: config.pop(name) for name in ("grpc", "http") if name in config}, **config}


def _rename(items: object, renames: dict[str, str]) -> object:
    if isinstance(items, dict):
        return {renames.get(k, k): _rename(v, renames) for k, v in items.items()}
    if isinstance(items, list):
        return [_rename(v, renames) for v in items]
    return items


def _spanmetrics(component: Component, ctx: Context) -> dict[str, object]:
    config = _rename(_generic(component, ctx), {"dimension": "dimensions", "calls_dimension": "calls_dimensions"})
    assert isinstance(config, dict)
    # Alloy's include_collector_instance_id (default false) -> upstream adds the dimension unless excluded.
    if not config.pop("include_collector_instance_id", False):
        excluded = list(config.get("exclude_dimensions", []))  # type: ignore[call-overload]
        config["exclude_dimensions"] = [*excluded, "collector.instance.id"]
    temporality = config.get("aggregation_temporality")
    if isinstance(temporality, str) and not temporality.startswith("AGGREGATION_TEMPORALITY_"):
        config["aggregation_temporality"] = f"AGGREGATION_TEMPORALITY_{temporality}"
    return config


def _otlphttp_exporter(component: Component, ctx: Context) -> dict[str, object]:
    config = _generic(component, ctx)
    client = config.pop("client", {})
    assert isinstance(client, dict)
    if "auth" in client:
        client["auth"] = {"authenticator": client["auth"]}
    return {**client, **config}


def _storage_file(component: Component, ctx: Context) -> dict[str, object]:
    config = _generic(component, ctx)
    config.setdefault("directory", str(ctx.storage_dir / component.path))
    config.setdefault("create_directory", True)
    return config


MAPPERS: dict[str, Callable[[Component, Context], dict[str, object]]] = {
    "otelcol.receiver.otlp": _otlp_receiver,
    "otelcol.processor.memory_limiter": _memory_limiter,
    "otelcol.connector.spanmetrics": _spanmetrics,
    "otelcol.exporter.otlphttp": _otlphttp_exporter,
    "otelcol.storage.file": _storage_file,
}


def map_component(component: Component, ctx: Context) -> list[Node]:
    """The upstream node for one Alloy otelcol component with a direct upstream equivalent."""
    section, kind = UPSTREAM[component.kind]
    config = MAPPERS.get(component.kind, _generic)(component, ctx)
    return [Node(f"{kind}/{upstream_name(component)}", section, config, outputs(component))]
