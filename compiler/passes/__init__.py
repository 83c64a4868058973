"""IR passes: plain functions ``Workflow -> Workflow`` in an ordered tuple (sqlglot-style).

Each declares what it ``requires`` and ``ensures`` (torch.fx-style) and the verifier runs
after every pass, so a pass that breaks an invariant is caught where it happens.
"""

from __future__ import annotations

from typing import Callable

from ..errors import Code, Diagnostic, ErrorLevel, Warnings
from ..ir import END, START, Graph, GraphProgram, SubgraphNode, Workflow
from ..ir.verify import verify

Pass = Callable[[Workflow, Warnings, ErrorLevel], Workflow]


def successor_map(g: Graph) -> dict[str, set[str]]:
    """Every node that can run right after each node (unknown branch targets: all nodes).
    Built in one pass over the edges: O(N + E)."""
    names = [n.name for n in g.nodes]
    out: dict[str, set[str]] = {name: set() for name in (START, *names)}
    for e in g.edges:
        out[e.source].add(e.target)
    for w in g.waiting_edges:
        for src in w.sources:
            out[src].add(w.target)
    everything = set(names)
    for b in g.branches:
        out[b.source] |= set(b.targets) if b.targets is not None else everything
    for n in g.nodes:
        out[n.name] |= set(n.destinations)
    for targets in out.values():
        targets.discard(END)
    return out


def _reachable(g: Graph) -> set[str]:
    if any(b.may_send for b in g.branches):  # Send packets may target any node
        return {n.name for n in g.nodes}
    succ = successor_map(g)
    seen: set[str] = set()
    todo = [START]
    while todo:
        for nxt in succ[todo.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def check_reachability(ir: Workflow, warnings: Warnings, level: ErrorLevel) -> Workflow:
    """Warn about nodes nothing can reach: usually a forgotten edge."""

    def visit(g: Graph) -> None:
        reach = _reachable(g)
        for n in g.nodes:
            if n.name not in reach and not n.destinations:  # Send makes _reachable return all
                warnings.add(
                    Diagnostic(
                        Code.UNREACHABLE_NODE,
                        f"node {n.name!r} of graph {g.name!r} can never run",
                        construct=f"add_node({n.name!r}, ...)",
                        file=n.source.file if n.source else None,
                        line=n.source.line if n.source else None,
                        hint="add an edge to it, declare it in a path_map, or remove it",
                    ),
                    level,
                )
            if isinstance(n, SubgraphNode):
                visit(n.graph)

    if isinstance(ir.body, GraphProgram):
        visit(ir.body.graph)
    return ir


check_reachability.requires = ("verified",)  # type: ignore[attr-defined]
check_reachability.ensures = ("verified",)  # type: ignore[attr-defined]

PASSES: tuple[Pass, ...] = (check_reachability,)


def run_passes(
    ir: Workflow,
    warnings: Warnings,
    level: ErrorLevel = ErrorLevel.WARN,
    passes: tuple[Pass, ...] = PASSES,
) -> Workflow:
    ir = verify(ir)
    for p in passes:
        ir = verify(p(ir, warnings, level))
    if warnings.items:
        ir = ir.model_copy(update={"warnings": tuple(d.to_json() for d in warnings.items)})
    return ir
