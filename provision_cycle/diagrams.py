"""Workflow diagrams drawn from the same definitions the engine runs, with a case's state highlighted.

Graphviz via pygraphviz (its wheel bundles the graphviz libraries, so no system package is needed).
Rendering costs milliseconds, so SVGs are cached per workflow version and highlighted state.
"""

from __future__ import annotations

from functools import lru_cache

import pygraphviz

from .wording import listed
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
    for source, dest, label in _moves(definition):
        graph.add_edge(source, dest, label=label)
    return graph.string()


def _moves(definition: WorkflowDefinition) -> list[tuple[str, str, str]]:
    """Each way from one state to another, once: (source, destination, the action's label)."""
    moves: dict[tuple[str, str, str], None] = {}
    for t in definition.transitions:
        if t.dest is not None:
            moves.update(dict.fromkeys((source, t.dest, t.label) for source in t.sources))
    return list(moves)


def in_words(definition: WorkflowDefinition) -> list[tuple[str, list[str]]]:
    """The diagram as text, for anyone who cannot see it: each state's label and the ways out of it, one per
    action ("Approve: to Executive decision (key decision) or Conflicts assessment"), in the order the workflow
    file gives its states."""
    ways: dict[str, dict[str, list[str]]] = {name: {} for name in definition.states}
    for source, dest, label in _moves(definition):
        ways[source].setdefault(label, []).append(definition.label(dest))
    return [
        (definition.label(name), [f"{label}: to {listed(dests, 'or')}" for label, dests in ways[name].items()])
        for name in definition.states
    ]


@lru_cache(maxsize=256)
def _svg(key: str, dot: str) -> str:
    return pygraphviz.AGraph(string=dot).draw(format="svg", prog="dot").decode("utf-8")


def to_svg(definition: WorkflowDefinition, current: str | None = None) -> str:
    return _svg(f"{definition.key}:{current}", to_dot(definition, current))
