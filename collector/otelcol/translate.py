"""alloy/ -> the upstream OpenTelemetry Collector's configuration (a dict; yaml-dump it and run the collector).

    translate(alloy_dir, env, storage_dir=...) -> dict

`env` stands in for the process environment `sys.env` reads (only alloy/env.alloy reads it), plus the test
collector's own settings below. `declare` modules and `import.file` are inlined; every `otelcol.*` component
becomes its upstream component with the same settings (components.py), Alloy-only ones their stand-in
(substitutions.py); OTTL statements and conditions are passed through byte for byte.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from ccotel.collector.otelcol.components import UPSTREAM, Context, Node, map_component
from ccotel.collector.otelcol.evaluate import TranslateError
from ccotel.collector.otelcol.load import Component, load
from ccotel.collector.otelcol.pipelines import build_pipelines
from ccotel.collector.otelcol.substitutions import SUBSTITUTIONS

# The test collector's own settings (not read by alloy/): where its otelcol_* metrics and health check listen.
SELF_METRICS_ADDRESS = "CCOTEL_TEST_SELF_METRICS_ADDRESS"  # host:port; unset = no self metrics endpoint
HEALTH_ADDRESS = "CCOTEL_TEST_HEALTH_ADDRESS"  # host:port of the health_check extension; unset = none
LOG_LEVEL = "CCOTEL_TEST_LOG_LEVEL"  # the collector's log level (default "info")
SECTIONS = ("extensions", "receivers", "processors", "connectors", "exporters")


def unknown_components(components: list[Component]) -> list[str]:
    """The component kinds the translator does not know, with where each is first used."""
    known = UPSTREAM.keys() | SUBSTITUTIONS.keys()
    first: dict[str, str] = {}
    for component in components:
        if component.kind not in known:
            first.setdefault(component.kind, str(component.block.pos))
    return [f"{kind} ({where})" for kind, where in sorted(first.items())]


def _upstream_id(by_uid: dict[str, Component]) -> Callable[[str], str]:
    def upstream_id(uid: str) -> str:
        component = by_uid[uid]
        if component.kind not in UPSTREAM:
            raise TranslateError(f"{component.block.pos}: {component.kind} has no upstream id")
        return f"{UPSTREAM[component.kind][1]}/{component.path}"

    return upstream_id


def _telemetry(env: Mapping[str, str]) -> dict[str, object]:
    telemetry: dict[str, object] = {"logs": {"level": env.get(LOG_LEVEL) or "info"}}
    address = env.get(SELF_METRICS_ADDRESS)
    if address:
        host, _, port = address.rpartition(":")
        # with the _total suffix on counters, as Alloy's own metrics (and the dashboards) name them
        exporter = {"host": host or "127.0.0.1", "port": int(port), "without_type_suffix": False}
        reader = {"pull": {"exporter": {"prometheus": exporter}}}
        telemetry["metrics"] = {"level": "detailed", "readers": [reader]}
    else:
        telemetry["metrics"] = {"level": "none"}
    return telemetry


def escape_dollars(value: object) -> object:
    """Every `$` as `$$`: the collector expands `${...}` in config strings (OTTL's "${1}" included) and reads
    `$$` as one `$`, so this is what keeps OTTL statements byte for byte after the collector loads them."""
    if isinstance(value, str):
        return value.replace("$", "$$")
    if isinstance(value, list):
        return [escape_dollars(v) for v in value]
    if isinstance(value, dict):
        return {k: escape_dollars(v) for k, v in value.items()}
    return value


def translate(alloy_dir: Path, env: Mapping[str, str], *, storage_dir: Path) -> dict[str, object]:
    """The collector configuration for the Alloy configuration in alloy_dir, with `sys.env` read from env."""
    components = load(Path(alloy_dir), env)
    unknown = unknown_components(components)
    if unknown:
        raise TranslateError(f"the translator does not know these components: {', '.join(unknown)}")
    by_uid = {c.uid: c for c in components}
    ctx = Context(Path(storage_dir), by_uid, _upstream_id(by_uid))
    nodes: dict[str, Node] = {}
    heads: dict[str, str] = {}
    for component in components:
        if component.kind in UPSTREAM:
            mapped = map_component(component, ctx)
        else:
            mapped = SUBSTITUTIONS[component.kind].mapper(component, ctx)
        for node in mapped:
            if node.id in nodes:
                raise TranslateError(f"{component.block.pos}: two components translate to {node.id}")
            nodes[node.id] = node
        if mapped:
            heads[component.uid] = mapped[0].id
    for node in nodes.values():  # consumers that were dropped (substituted by nothing) receive nothing
        node.outputs = {s: [t for t in items if heads.get(t, t) in nodes] for s, items in node.outputs.items()}
    pipelines, extra = build_pipelines(nodes, heads)
    config: dict[str, dict[str, object]] = {section: {} for section in SECTIONS}
    for node in nodes.values():
        config[node.section][node.id] = node.config
    for extra_id in sorted(extra):
        section = "exporters" if extra_id.startswith("debug/") else "connectors"
        config[section][extra_id] = {"verbosity": "basic"} if section == "exporters" else {}
    health = env.get(HEALTH_ADDRESS)
    if health:
        config["extensions"]["health_check"] = {"endpoint": health}
    service = {"extensions": list(config["extensions"]), "pipelines": pipelines, "telemetry": _telemetry(env)}
    return escape_dollars({**{k: v for k, v in config.items() if v}, "service": service})  # type: ignore[return-value]
