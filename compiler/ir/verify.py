"""Structural invariants of the IR, checked after the frontend and after every pass.

A failure here is a bug in agentc (a frontend or pass produced an inconsistent IR), not in
the user's graph, so it raises ``INVALID_IR`` with the offending construct.
"""

from __future__ import annotations

from ..errors import AgentcError, Code
from .model import (
    END,
    START,
    AgentProgram,
    AgentSystem,
    Graph,
    GraphProgram,
    SubgraphNode,
    Workflow,
)


def verify(ir: Workflow) -> Workflow:
    match ir.body:
        case GraphProgram(graph=graph):
            _verify_graph(graph, path=ir.name)
        case AgentProgram(system=system):
            _verify_agents(ir.name, system)
    return ir


def _verify_agents(path: str, system: AgentSystem) -> None:
    names = [a.name for a in system.agents]
    if len(set(names)) != len(names):
        _fail(path, f"duplicate agent names {sorted(names)}: the SDK re-binds agents by name")
    if system.start not in names:
        _fail(path, f"starting agent {system.start} is not among the agents")
    for a in system.agents:
        for h in a.handoffs:
            if h.target is not None and h.target not in names:
                _fail(path, f"agent {a.name} hands off to unknown agent {h.target}")


def _fail(path: str, message: str) -> None:
    raise AgentcError(
        Code.INVALID_IR,
        f"invalid IR in {path}: {message}",
        hint="this is an agentc bug; please report it with the graph that caused it",
    )


def _verify_graph(g: Graph, path: str) -> None:
    names = [n.name for n in g.nodes]
    if len(set(names)) != len(names):
        _fail(path, f"duplicate node names {sorted(names)}")
    channels = [c.name for c in g.channels]
    if len(set(channels)) != len(channels):
        _fail(path, f"duplicate channel names {sorted(channels)}")
    nodes = set(names)
    sources = nodes | {START}
    targets = nodes | {END}
    chans = set(channels)
    for schema in (g.state, g.input_schema, g.output_schema):
        missing = set(schema.keys) - chans
        if missing:
            _fail(path, f"schema {schema.name} uses unknown channels {sorted(missing)}")
    for e in g.edges:
        if e.source not in sources or e.target not in targets:
            _fail(path, f"edge {e.source}->{e.target} references an unknown node")
    for w in g.waiting_edges:
        if not set(w.sources) <= nodes or w.target not in targets:  # into END: LangGraph ignores it
            _fail(path, f"waiting edge {w.sources}->{w.target} references an unknown node")
    for b in g.branches:
        if b.source not in sources:
            _fail(path, f"branch {b.name} starts at unknown node {b.source}")
        for t in b.targets or ():
            if t not in targets:
                _fail(path, f"branch {b.source}/{b.name} targets unknown node {t}")
    for n in g.nodes:
        if not set(n.input.keys) <= chans:
            _fail(path, f"node {n.name} reads unknown channels {sorted(set(n.input.keys) - chans)}")
        for d in n.destinations:
            if d not in targets:
                _fail(path, f"node {n.name} declares unknown destination {d}")
        if isinstance(n, SubgraphNode):
            _verify_graph(n.graph, f"{path}/{n.name}")
    for name in (*g.interrupt_before, *g.interrupt_after):
        if name not in nodes:
            _fail(path, f"breakpoint on unknown node {name}")
    if g.recursion_limit < 1:
        _fail(path, "recursion_limit must be positive")
