"""IR passes: plain functions ``Workflow -> Workflow`` in an ordered tuple (sqlglot-style).

Each declares what it ``requires`` and ``ensures`` (torch.fx-style) and the verifier runs
after every pass, so a pass that breaks an invariant is caught where it happens.
"""
from __future__ import annotations

from typing import Callable

from ..errors import Code, Diagnostic, ErrorLevel, Warnings
from ..ir import END, START, Graph, SubgraphNode, Workflow
from ..ir.verify import verify

Pass = Callable[[Workflow, Warnings, ErrorLevel], Workflow]


def successors(g: Graph, node: str) -> set[str]:
    """Every node that can run right after ``node`` (unknown branch targets: all nodes)."""
    out = {e.target for e in g.edges if e.source == node}
    out |= {w.target for w in g.waiting_edges if node in w.sources}
    for b in g.branches:
        if b.source == node:
            out |= set(b.targets) if b.targets is not None else {n.name for n in g.nodes}
    if node != START:
        n = g.node(node)
        out |= set(n.destinations)
    return out - {END}


def _reachable(g: Graph) -> set[str]:
    seen: set[str] = set()
    todo = [START]
    sendable = any(b.may_send for b in g.branches)
    while todo:
        cur = todo.pop()
        for nxt in successors(g, cur):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    if sendable:  # Send packets may target any node
        seen |= {n.name for n in g.nodes}
    return seen


def check_reachability(ir: Workflow, warnings: Warnings, level: ErrorLevel) -> Workflow:
    """Warn about nodes nothing can reach: usually a forgotten edge."""

    def visit(g: Graph) -> None:
        reach = _reachable(g)
        for n in g.nodes:
            if n.name not in reach and not n.destinations and not any(
                    b.may_send for b in g.branches):
                warnings.add(Diagnostic(
                    Code.UNREACHABLE_NODE, f"node {n.name!r} of graph {g.name!r} can never run",
                    construct=f"add_node({n.name!r}, ...)", file=n.source.file if n.source else None,
                    line=n.source.line if n.source else None,
                    hint="add an edge to it, declare it in a path_map, or remove it"), level)
            if isinstance(n, SubgraphNode):
                visit(n.graph)

    visit(ir.graph)
    return ir


check_reachability.requires = ("verified",)  # type: ignore[attr-defined]
check_reachability.ensures = ("verified",)  # type: ignore[attr-defined]

PASSES: tuple[Pass, ...] = (check_reachability,)


def run_passes(ir: Workflow, warnings: Warnings, level: ErrorLevel = ErrorLevel.WARN,
               passes: tuple[Pass, ...] = PASSES) -> Workflow:
    ir = verify(ir)
    for p in passes:
        ir = verify(p(ir, warnings, level))
    if warnings.items:
        ir = ir.model_copy(update={"warnings": tuple(d.to_json() for d in warnings.items)})
    return ir
