"""otelcol.exporter.prometheus -> prometheus.relabel -> prometheus.remote_write, as upstream components.

Alloy converts OTLP metrics to Prometheus samples and hands them to Prometheus-native components; upstream has
one exporter for the whole chain, `prometheusremotewrite`. The chain is followed from the exporter's
`forward_to`: relabel rules that only test constant labels (the sink gates of alloy/) are evaluated here and
become a `filter` gate in front of the exporter (all dropped or none); the remote_write endpoint becomes the
exporter's endpoint, its basic_auth a `basicauth` extension.
"""

from __future__ import annotations

import re

from ccotel.collector.otelcol.components import Context, Node, body
from ccotel.collector.otelcol.evaluate import PromReceiver, TranslateError
from ccotel.collector.otelcol.load import Component
from ccotel.collector.pipeline.tree import Block


def _receivers(component: Component, attribute: str) -> list[str]:
    found = component.block.attribute(attribute)
    value = component.evaluate(found.value) if found is not None else []
    if not isinstance(value, list) or not all(isinstance(v, PromReceiver) for v in value):
        raise TranslateError(f"{component.block.pos}: {attribute} is not a list of Prometheus receivers")
    return [v.uid for v in value]


def relabel_drops_all(component: Component) -> bool:
    """Run a prometheus.relabel's rules on the labels its rules set themselves: True when every sample is dropped.

    Rules that read any other label depend on the series and cannot become a static gate: TranslateError."""
    labels: dict[str, str] = {}
    for rule in component.block.blocks("rule"):
        values = {a.name: component.evaluate(a.value) for a in rule.attributes()}
        action = str(values.get("action", "replace"))
        sources = [str(s) for s in values.get("source_labels", []) or []]  # type: ignore[union-attr]
        regex = re.compile(f"^(?:{values.get('regex', '(.*)')})$")
        if any(source not in labels for source in sources):
            raise TranslateError(f"{rule.pos}: relabel rule reads series labels; only constant gates translate")
        joined = str(values.get("separator", ";")).join(labels[s] for s in sources)
        if action == "replace" and not sources and "$" not in str(values.get("replacement", "$1")):
            labels[str(values["target_label"])] = str(values.get("replacement", ""))
        elif action in ("drop", "keep") and sources:
            if (regex.match(joined) is not None) == (action == "drop"):
                return True
        elif action == "labeldrop":
            labels = {k: v for k, v in labels.items() if not regex.match(k)}
        else:
            raise TranslateError(f"{rule.pos}: relabel action {action!r} is not translatable to a static gate")
    return False


def _endpoint(remote_write: Component, ctx: Context, nodes: list[Node]) -> dict[str, object]:
    endpoints = remote_write.block.blocks("endpoint")
    if len(endpoints) != 1:
        raise TranslateError(f"{remote_write.block.pos}: prometheus.remote_write needs exactly one endpoint here")
    endpoint: Block = endpoints[0]
    raw = body(endpoint, remote_write, None, ctx, {"basic_auth", "queue_config", "send_exemplars", "name"})
    config: dict[str, object] = {"endpoint": raw.pop("url")}
    if "headers" in raw:
        config["headers"] = raw.pop("headers")
    if "remote_timeout" in raw:
        config["timeout"] = raw.pop("remote_timeout")
    auth = next(iter(endpoint.blocks("basic_auth")), None)
    if auth is not None:
        auth_id = f"basicauth/{remote_write.path}"
        nodes.append(Node(auth_id, "extensions", {"client_auth": body(auth, remote_write, None, ctx, set())}))
        config["auth"] = {"authenticator": auth_id}
    queue = next(iter(endpoint.blocks("queue_config")), None)
    if queue is not None:
        settings = body(queue, remote_write, None, ctx, set())
        if "capacity" in settings:
            config["remote_write_queue"] = {"queue_size": settings["capacity"]}
        retry = {"max_interval": settings.get("max_backoff"), "initial_interval": settings.get("min_backoff")}
        config["retry_on_failure"] = {k: v for k, v in retry.items() if v is not None}
    return config


def map_prometheus_exporter(component: Component, ctx: Context) -> list[Node]:
    """The gate (filter) + prometheusremotewrite exporter standing for the whole Prometheus-native chain."""
    args = {a.name: component.evaluate(a.value) for a in component.block.attributes() if a.name != "forward_to"}
    drop_all = False
    targets = _receivers(component, "forward_to")
    remote_writes: list[Component] = []
    while targets:
        if len(targets) != 1:
            raise TranslateError(f"{component.block.pos}: forward_to must lead to exactly one remote_write")
        target = ctx.by_uid[targets[0]]
        if target.kind == "prometheus.relabel":
            drop_all = drop_all or relabel_drops_all(target)
            targets = _receivers(target, "forward_to")
        elif target.kind == "prometheus.remote_write":
            remote_writes.append(target)
            targets = []
        else:
            raise TranslateError(f"{target.block.pos}: {target.kind} cannot be translated behind an exporter")
    if not remote_writes:
        raise TranslateError(f"{component.block.pos}: forward_to reaches no prometheus.remote_write")
    nodes: list[Node] = []
    config = _endpoint(remote_writes[0], ctx, nodes)
    config["add_metric_suffixes"] = bool(args.get("add_metric_suffixes", True))
    config["resource_to_telemetry_conversion"] = {"enabled": bool(args.get("resource_to_telemetry_conversion", False))}
    config["target_info"] = {"enabled": bool(args.get("include_target_info", True))}
    config["disable_scope_info"] = not bool(args.get("include_scope_labels", True))
    exporter_id = f"prometheus_remote_write/{component.path}"
    gate = Node(
        f"filter/{component.path}.gate",
        "processors",
        {"error_mode": "ignore", "metric_conditions": [{"context": "metric", "conditions": [str(drop_all).lower()]}]},
        {"metrics": [exporter_id]},
    )
    return [gate, Node(exporter_id, "exporters", config), *nodes]
