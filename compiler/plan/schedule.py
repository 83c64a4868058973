"""Supersteps → a control-flow graph of schedules (docs/ir.md, "The plan":
``schedule.build``).

A *schedule* is what decides the rest of a run apart from state values: which nodes the
next superstep runs (PULL), which nodes receive ``Send`` packets (PUSH), and how far every
barrier (waiting edge, deferred node) has got. We explore them by abstract interpretation
with the very ``Frame`` the engines run (``semantics.pregel``), holding trigger
channels only: for each schedule, every combination of the outcomes its tasks can have
(static edges; one choice per router, or any subset for routers that return lists; Send;
``Command`` gotos) is applied with ``Frame.apply_writes`` and the next schedule read off
with ``Frame.prepare``. Run-time workers compute ``schedule_key`` with the same code, so a
compiled workflow and the run it drives agree by construction, and a disagreement is
caught and reported instead of silently taking a wrong branch.
"""

from __future__ import annotations

import itertools
from collections import deque
from typing import Any

from pydantic import BaseModel, ConfigDict

from agentc.compat.langgraph import PULL, PUSH
from agentc.errors import AgentcError, Code
from agentc.ir import END, START, Branch, Graph
from agentc.semantics import pregel
from agentc.semantics.langgraph_calls import TASKS, branch_channel

END_ID = -1
MAX_SCHEDULES = 256
MAX_OUTCOMES = 4096
MAX_FANOUT = 6
"""Most targets a router returning a list may have: any subset of them may run, and each
subset is its own superstep schedule (2**6 = 64); past it the plan would be guesswork."""


class Block(BaseModel):
    """One reachable schedule: the tasks of one superstep, and where it can go next."""

    model_config = ConfigDict(frozen=True)
    id: int
    pull: tuple[str, ...]
    push: tuple[str, ...]
    key: str
    succ: tuple[int, ...]
    """Successor block ids; ``END_ID`` when the run can end after this step."""

    @property
    def single(self) -> bool:
        """One PULL task and no Send packets: the task itself finishes the superstep. Any
        other step (even one Send packet) goes through a barrier step. Every target and the
        step worker decide by this one rule."""
        return len(self.pull) == 1 and not self.push

    @property
    def size(self) -> int:
        """Tasks known at compile time (PUSH counts are dynamic; one slot per target)."""
        return len(self.pull) + len(self.push)


class Schedule(BaseModel):
    model_config = ConfigDict(frozen=True)
    graph: str
    blocks: tuple[Block, ...]
    """``blocks[0]`` is the START step."""

    def by_key(self) -> dict[str, int]:
        return {b.key: b.id for b in self.blocks}


def _subsets(items: list[Any], limit: int) -> list[tuple[Any, ...]]:
    if len(items) > limit:
        return [()] + [(i,) for i in items]
    return [c for r in range(len(items) + 1) for c in itertools.combinations(items, r)]


def _branch_outcomes(br: Branch, all_nodes: list[str]) -> list[list[tuple[str, Any]]]:
    from langgraph.types import Send

    targets = list(br.targets) if br.targets is not None else [*all_nodes, END]
    real = [t for t in targets if t != END]
    pull = lambda t: (branch_channel(t), None)  # noqa: E731
    push = lambda t: (TASKS, Send(t, None))  # noqa: E731
    if br.may_send:
        if len(real) <= 4:
            options = [[None, pull(t), push(t)] for t in real]
            return [[w for w in combo if w is not None] for combo in itertools.product(*options)]
        return [[]] + [[pull(t)] for t in real] + [[push(t)] for t in real]
    if br.returns_many:
        if len(real) > MAX_FANOUT:
            _refuse_fanout(br, real)
        return [[pull(t) for t in combo] for combo in _subsets(real, MAX_FANOUT)]
    out = [[pull(t)] for t in real]
    if END in targets:
        out.append([])
    return out


def _refuse_fanout(br: Branch, real: list[str]) -> None:
    where = br.router.source
    raise AgentcError(
        Code.UNSUPPORTED,
        f"router {br.name}() of node {br.source!r} may return a list of up to {len(real)} targets; "
        f"any of their {2 ** len(real)} subsets could run next, and a compiled plan enumerates "
        f"superstep schedules only for routers with at most {MAX_FANOUT} targets",
        construct=f"add_conditional_edges({br.source!r}, {br.name})",
        source=where,
        hint="send the work as Send(...) packets to one node (any number of packets is one dynamic "
        "fork), split the router into routers of fewer targets, or run the graph with the local "
        "target, which needs no plan",
    )


def _task_outcomes(
    nodes: dict[str, Any], frame: pregel.Frame, name: str, all_nodes: list[str]
) -> list[list[tuple[str, Any]]]:
    choices: list[list[tuple[str, Any]]] = [list(frame.static[name])]
    for br in frame.branches[name]:
        choices = [c + o for c in choices for o in _branch_outcomes(br, all_nodes)]
    if name != START:
        dests = [d for d in nodes[name].destinations if d != END]
        if dests:  # Command(goto=[...]) may name several destinations at once
            limit = 4 if nodes[name].goto_many else 0
            gotos = [[(branch_channel(d), None) for d in combo] for combo in _subsets(dests, limit)]
            choices = [c + o for c in choices for o in gotos]
    unique = {repr(sorted(map(repr, c))): c for c in choices}
    return list(unique.values())


def build(graph: Graph, *, max_schedules: int | None = None) -> Schedule:
    """Every schedule reachable from START, numbered in breadth-first order. The bound
    (default: 256, or 4 per node for big graphs) stops combinatorial blow-ups."""
    if max_schedules is None:
        max_schedules = max(MAX_SCHEDULES, 4 * len(graph.nodes))
    nodes = {n.name: n for n in graph.nodes}
    all_nodes = sorted(nodes)
    frame = pregel.Frame(graph, None, triggers_only=True)
    pregel.start(frame, {}, stop=1 << 60)
    tasks = frame.prepare(None, with_input=False)
    ids: dict[str, int] = {}
    found: list[tuple[str, list[pregel.Task]]] = []
    succ: dict[int, set[int]] = {}
    queue: deque[tuple[int, pregel.Frame, list[pregel.Task]]] = deque()

    def intern(f: pregel.Frame, ts: list[pregel.Task]) -> int:
        key = pregel.schedule_key(f, ts)
        if key not in ids:
            if len(ids) >= max_schedules:
                raise AgentcError(
                    Code.UNSUPPORTED,
                    f"graph {graph.name!r} has more than {max_schedules} distinct superstep "
                    "schedules",
                    construct=f"graph {graph.name!r}",
                    source=graph.source,
                    hint="agentc lowers a graph through its finite set of superstep schedules; "
                    "declare router targets (path_map / Literal hints) so fewer are possible, "
                    "or use the local or temporal target",
                )
            ids[key] = len(ids)
            found.append((key, ts))
            queue.append((ids[key], f, ts))
        return ids[key]

    intern(frame, tasks)
    while queue:
        bid, f, ts = queue.popleft()
        per_task = [_task_outcomes(nodes, f, t.name, all_nodes) for t in ts]
        combos = 1
        for p in per_task:
            combos *= len(p)
        if combos > MAX_OUTCOMES:
            raise AgentcError(
                Code.UNSUPPORTED,
                f"a superstep of graph {graph.name!r} has {combos} possible outcome combinations",
                construct="nodes " + ", ".join(t.name for t in ts),
                source=graph.source,
                hint="declare router targets so fewer outcomes are possible, or use the local "
                "target",
            )
        nexts: set[int] = set()
        for combo in itertools.product(*per_task):
            g = pregel.clone(f) if combos > 1 else f
            g.apply_writes(ts, {t.key: list(w) for t, w in zip(ts, combo)})
            g.step += 1
            nts = g.prepare(None, with_input=False)
            nexts.add(intern(g, nts) if nts else END_ID)
        succ[bid] = nexts
    blocks = []
    for key, ts in found:
        bid = ids[key]
        blocks.append(
            Block(
                id=bid,
                pull=tuple(sorted(t.name for t in ts if t.path[0] == PULL)),
                push=tuple(sorted({t.name for t in ts if t.path[0] == PUSH})),
                key=key,
                succ=tuple(sorted(succ[bid])),
            )
        )
    return Schedule(graph=graph.name, blocks=tuple(blocks))
