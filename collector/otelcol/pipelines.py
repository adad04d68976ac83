"""Wire upstream nodes into service pipelines: Alloy's free component graph -> receiver/processor/exporter chains.

A pipeline starts at a receiver, a connector's output, or a `forward` connector, takes in processors while the
flow is a single line (one consumer, fed by nothing else), and ends in the exporters/connectors it fans out to.
A processor fed from several places, or one of several consumers, gets a `forward` connector in front of it
and a pipeline of its own. Nodes no receiver reaches stay configured (so the collector still validates them)
but belong to no pipeline.
"""

from __future__ import annotations

from collections import Counter

from ccotel.collector.otelcol.components import SIGNALS, Node


def forward_id(processor_id: str) -> str:
    return "forward/" + processor_id.replace("/", ".")


def build_pipelines(nodes: dict[str, Node], heads: dict[str, str]) -> tuple[dict[str, dict[str, list[str]]], set[str]]:
    """(service.pipelines, ids of the forward connectors they need)."""

    def targets(node_id: str, signal: str) -> list[str]:
        return [heads.get(t, t) for t in nodes[node_id].outputs.get(signal, [])]

    incoming: Counter[tuple[str, str]] = Counter()
    for node in nodes.values():
        for signal, items in node.outputs.items():
            for target in items:
                incoming[(heads.get(target, target), signal)] += 1
    pipelines: dict[str, dict[str, list[str]]] = {}
    forwards: set[str] = set()
    queue: list[tuple[str, str, str]] = [  # (pipeline source id, first node, signal)
        (node_id, node_id, signal)
        for node_id, node in sorted(nodes.items())
        if node.section == "receivers"
        for signal in SIGNALS
        if node.outputs.get(signal)
    ]
    seen: set[tuple[str, str]] = set()
    while queue:
        source, first, signal = queue.pop(0)
        if (source, signal) in seen:
            continue
        seen.add((source, signal))
        processors: list[str] = []
        if first != source:
            processors.append(first)
        following = targets(first, signal)
        while (
            len(following) == 1
            and nodes[following[0]].section == "processors"
            and incoming[(following[0], signal)] == 1
        ):
            processors.append(following[0])
            following = targets(following[0], signal)
        exporters: list[str] = []
        for target in following:
            node = nodes[target]
            if node.section == "processors":
                forward = forward_id(target)
                forwards.add(forward)
                exporters.append(forward)
                queue.append((forward, target, signal))
            else:
                exporters.append(target)
                if node.section == "connectors":
                    queue.extend((target, target, out) for out in SIGNALS if node.outputs.get(out))
        if not exporters:
            exporters.append("debug/void")
            forwards.add("debug/void")
        name = f"{signal}/{source.replace('/', '.')}"
        pipelines[name] = {"receivers": [source], "processors": processors, "exporters": exporters}
    return pipelines, forwards
