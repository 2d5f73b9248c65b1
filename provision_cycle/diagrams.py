"""Workflow diagrams drawn from the same definitions the engine runs, with a case's state highlighted.

Graphviz via pygraphviz (its wheel bundles the graphviz libraries, so no system package is needed).
Rendering costs milliseconds, so SVGs are cached per workflow version and highlighted state.
"""

from __future__ import annotations

from functools import lru_cache

import pygraphviz

from .workflow.definitions import WorkflowDefinition

ACTIVE = "#1d70b8"  # GOV.UK blue
GATE = "#fff7bf"
FINAL = "#f3f2f1"


def to_dot(definition: WorkflowDefinition, current: str | None = None) -> str:
    graph = pygraphviz.AGraph(directed=True, strict=False, rankdir="LR", fontname="Arial")
    graph.graph_attr.update(label=f"{definition.title} (v{definition.version})", labelloc="t", fontsize="16")
    graph.node_attr.update(fontname="Arial", fontsize="11", shape="box", style="rounded,filled", fillcolor="white")
    graph.edge_attr.update(fontname="Arial", fontsize="9", color="#505a5f")
    for state in definition.states.values():
        attrs = {"label": state.label, "id": f"state-{state.name}"}
        if state.gate:
            attrs.update(shape="hexagon", fillcolor=GATE)
        if state.final:
            attrs.update(peripheries="2", fillcolor=FINAL)
        if state.name == current:
            attrs.update(fillcolor=ACTIVE, fontcolor="white", penwidth="3")
        graph.add_node(state.name, **attrs)
    seen: set[tuple[str, str, str]] = set()
    for t in definition.transitions:
        if t.dest is None:
            continue
        for source in t.sources:
            key = (source, t.dest, t.label)
            if key not in seen:
                seen.add(key)
                graph.add_edge(source, t.dest, label=t.label)
    return graph.string()


@lru_cache(maxsize=256)
def _svg(key: str, dot: str) -> str:
    return pygraphviz.AGraph(string=dot).draw(format="svg", prog="dot").decode("utf-8")


def to_svg(definition: WorkflowDefinition, current: str | None = None) -> str:
    return _svg(f"{definition.key}:{current}", to_dot(definition, current))
