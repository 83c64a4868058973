"""Schedule CFG → structured control flow (docs/ir.md, "The plan":
``structure.structure``).

The result is a small tree every structured engine can lower with one handler per item:
``Run(block)`` runs one superstep; ``Route`` switches on the next block chosen by the step
that just ran; ``Loop`` repeats a body while the last step in it chose the loop header;
``Dispatch`` is the fallback — a loop around a switch on the next block — used when the
CFG has no structured form an engine like Conductor can express (irreducible cycles,
loops nested in loops) or when structuring would duplicate too much.

Structuring: non-trivial strongly connected components with a single entry become
``Loop``s (their body, without the edges back to the header, must be acyclic); the
remaining DAG is laid out by immediate post-dominators: after a block with several
successors comes a ``Route`` whose cases run until the post-dominator, then the sequence
continues there. A block reachable by several such paths is laid out once per path
(counted; past a budget the dispatcher wins).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

import networkx as nx

from .schedule import END_ID, Schedule

LOOP_EXIT = -2


@dataclass(frozen=True)
class Run:
    block: int


@dataclass(frozen=True)
class Route:
    """Switch on the next block chosen by the previous item; cases not listed do nothing."""

    cases: tuple[tuple[int, tuple["Item", ...]], ...]


@dataclass(frozen=True)
class Loop:
    header: int
    members: tuple[int, ...]
    body: tuple["Item", ...]


@dataclass(frozen=True)
class Dispatch:
    blocks: tuple[int, ...]
    first: int
    """The block to run when no block has run yet (START's only successor)."""


Item = Union[Run, Route, Loop, Dispatch]


@dataclass(frozen=True)
class Structured:
    items: tuple[Item, ...]
    mode: str  # "structured" | "dispatcher"
    reason: str = ""
    runs: dict[int, int] = field(default_factory=dict)
    """How many times each block is laid out (1 unless paths duplicate it)."""


class _NotStructured(Exception):
    pass


def structure(s: Schedule, *, budget: float = 2.0) -> Structured:
    """Structured form of ``s``; the dispatcher when that is impossible or when laying out
    would emit more than ``budget`` × the blocks' tasks."""
    size = {b.id: max(b.size, 1) for b in s.blocks}
    limit = budget * sum(size.values()) + 4
    try:
        items, runs = _structured(s, size, limit)
        return Structured(tuple(items), "structured", runs=runs)
    except _NotStructured as why:
        return _dispatcher(s, str(why))


def _dispatcher(s: Schedule, reason: str) -> Structured:
    start = s.blocks[0]
    rest = tuple(b.id for b in s.blocks[1:])
    items: list[Item] = [Run(0)]
    if start.succ == (END_ID,):  # nothing ever runs
        return Structured(tuple(items), "dispatcher", reason, runs={0: 1})
    # several successors: START's routers choose, the START step's output names the block
    # (-1 here is "none fixed", not END: a run that may end at START still dispatches)
    first = start.succ[0] if len(start.succ) == 1 else -1
    items.append(Dispatch(rest, first))
    return Structured(tuple(items), "dispatcher", reason, runs={b.id: 1 for b in s.blocks})


def _structured(
    s: Schedule, size: dict[int, int], limit: float
) -> tuple[list[Item], dict[int, int]]:
    g = nx.DiGraph()
    g.add_nodes_from([END_ID, *(b.id for b in s.blocks)])
    for b in s.blocks:
        for t in b.succ:
            g.add_edge(b.id, t)
    loops: dict[int, tuple[int, frozenset[int]]] = {}  # member -> (header, members)
    for comp in nx.strongly_connected_components(g):
        if len(comp) == 1:
            (n,) = comp
            if not g.has_edge(n, n):
                continue
        entries = {v for v in comp for u in g.predecessors(v) if u not in comp}
        if 0 in comp:
            entries.add(0)
        if len(entries) != 1:
            raise _NotStructured(
                f"a cycle through blocks {sorted(comp)} has {len(entries)} entries (irreducible)"
            )
        (header,) = entries
        members = frozenset(comp)
        body = g.subgraph(comp).copy()
        body.remove_edges_from([(u, header) for u in comp if body.has_edge(u, header)])
        if not nx.is_directed_acyclic_graph(body):
            raise _NotStructured(
                f"the loop at block {header} contains another loop "
                "(Conductor does not support nested DO_WHILE)"
            )
        for m in comp:
            loops[m] = (header, members)

    # condensed DAG: each loop becomes its header
    def rep(n: int) -> int:
        return loops[n][0] if n in loops else n

    dag = nx.DiGraph()
    dag.add_nodes_from({rep(n) for n in g.nodes})
    for u, v in g.edges:
        if rep(u) != rep(v):
            dag.add_edge(rep(u), rep(v))
    for n in list(dag.nodes):
        if n != END_ID and dag.out_degree(n) == 0:
            dag.add_edge(n, END_ID)  # a loop with no exit ends by the recursion limit
    runs: dict[int, int] = {}
    planned = [0]

    def count(item: Run) -> Run:
        """Lay a block out once more; give up as soon as duplication passes the budget."""
        planned[0] += size[item.block]
        if planned[0] > limit:
            raise _NotStructured(
                f"structured layout would repeat blocks (over {int(limit)} task slots "
                f"for {sum(size.values())})"
            )
        return _count(runs, item)

    def emit(n: int) -> Item:
        if n in loops:
            header, members = loops[n]
            body = nx.DiGraph()
            body.add_nodes_from([*members, LOOP_EXIT])
            for u in members:
                for v in g.successors(u):
                    if v in members and v != header:
                        body.add_edge(u, v)
                    else:
                        body.add_edge(u, LOOP_EXIT)
            items = _lay_out(body, header, LOOP_EXIT, lambda m: count(Run(m)), set(members))
            return Loop(header, tuple(sorted(members)), tuple(items))
        return count(Run(n))

    return _lay_out(dag, 0, END_ID, emit, set(dag.nodes)), runs


def _count(runs: dict[int, int], item: Run) -> Run:
    runs[item.block] = runs.get(item.block, 0) + 1
    return item


def _lay_out(d: nx.DiGraph, entry: int, sink: int, emit, inside: set[int]) -> list[Item]:
    ipdom = nx.immediate_dominators(d.reverse(copy=False), sink)

    def seq(n: int, stop: int) -> list[Item]:
        out: list[Item] = []
        while n != stop and n != sink:
            out.append(emit(n))
            succ = sorted(d.successors(n))
            if len(succ) == 1:
                n = succ[0]
                continue
            join = ipdom[n]
            cases = tuple((s, tuple(seq(s, join))) for s in succ if s != sink and s != join)
            if cases:
                out.append(Route(cases))
            n = join
        return out

    return seq(entry, sink)
