"""Per-run counts that parallel subgraph calls could not keep, refused when the policy loads
(docs/policies.md, "Counts across subgraph calls").

A subgraph's frame starts from the counts its parent task sees and gives back its own when
it ends (``semantics/call_counts.py``). Tasks of one superstep all see the counts at the
start of that step, so subgraph calls that run side by side (a ``Send`` fan-out to a
subgraph node, or a subgraph node next to another task counting the same thing) do not see
each other's calls: a per-run ``max_calls`` on a node or ToolNode tool inside the subgraph,
or a token / money budget, could be passed with no verdict at all. Root tasks do not have
the problem for node counts (a verdict adds the step's earlier tasks, in LangGraph's task
order), but a subgraph call's counts are known only when the whole call has ended. So a
counted rule whose subgraph calls may run in parallel with another task counting the same
thing is refused (AC200) instead of being kept loosely.

Which nodes may share a superstep comes from the superstep schedules of each graph level
(``plan.schedule.build``, the ones every target is lowered from): a block's PULL tasks run
once each, its PUSH targets (``Send``) any number of times. Levels without a subgraph node
that carries a counted rule are not explored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, NoReturn

from .errors import AgentcError, Code
from .ir.model import Graph, PolicyRule, RunPolicy, SubgraphNode, ToolNodeStep
from .plan.schedule import Schedule, build

BUDGETS = ("max_tokens", "max_cost_usd")


@dataclass(frozen=True)
class _Counted:
    """One counted rule: what it counts, and where the policy file says so."""

    what: str
    construct: str
    path: tuple[str, ...]
    carries: Callable[[tuple[str, ...], Any], bool]
    """Whether node (its level path, the IR node) counts this thing in its task."""


def refuse_parallel_counts(
    graph: Graph,
    run: RunPolicy,
    tools: tuple[PolicyRule, ...],
    nodes: tuple[PolicyRule, ...],
    where: Any,
) -> None:
    """AC200 for the first counted rule a subgraph call could count in parallel with another
    task counting the same thing (module docstring)."""
    schedules: dict[tuple[str, ...], Schedule] = {}
    for rule in _counted(run, tools, nodes):
        _check_levels(graph, (), rule, schedules, where)


def _counted(
    run: RunPolicy, tools: tuple[PolicyRule, ...], nodes: tuple[PolicyRule, ...]
) -> list[_Counted]:
    out = []
    for r in nodes:
        if r.max_calls is not None and "/" in r.name:
            out.append(
                _Counted(
                    f"max_calls on node {r.name!r}",
                    f"policies.nodes.{r.name}.max_calls",
                    ("nodes", r.name, "max_calls"),
                    _carries_node(r.name),
                )
            )
    for r in tools:
        if r.max_calls is not None:
            out.append(
                _Counted(
                    f"max_calls on tool {r.name!r}",
                    f"policies.tools.{r.name}.max_calls",
                    ("tools", r.name, "max_calls"),
                    _carries_tool(r.name),
                )
            )
    for key in BUDGETS:
        if getattr(run, key) is not None:
            out.append(
                _Counted(
                    f"the run's {key}",
                    f"policies.run.{key}",
                    ("run", key),
                    lambda path, node: True,  # any node's code may call a chat model
                )
            )
    return out


def _carries_node(name: str) -> Callable[[tuple[str, ...], Any], bool]:
    def carries(path: tuple[str, ...], node: Any) -> bool:
        return name.startswith("/".join((*path, node.name)) + "/")

    return carries


def _carries_tool(name: str) -> Callable[[tuple[str, ...], Any], bool]:
    def carries(path: tuple[str, ...], node: Any) -> bool:
        if isinstance(node, ToolNodeStep):
            return name in node.tool_names
        if isinstance(node, SubgraphNode):
            return any(carries((*path, node.name), n) for n in node.graph.nodes)
        return False

    return carries


def _check_levels(
    graph: Graph,
    path: tuple[str, ...],
    rule: _Counted,
    schedules: dict[tuple[str, ...], Schedule],
    where: Any,
) -> None:
    nodes = {n.name: n for n in graph.nodes}
    subs = [n for n in graph.nodes if isinstance(n, SubgraphNode) and rule.carries(path, n)]
    if not subs:
        return
    sched = schedules.get(path)
    if sched is None:
        try:
            sched = schedules[path] = build(graph)
        except AgentcError as e:
            _refuse(
                rule,
                where,
                f"{_level(graph, path)} has no superstep plan to prove that "
                f"its subgraph calls run one at a time ({e.diagnostic.message})",
            )
    for block in sched.blocks:
        tasks = [*block.pull, *block.push, *block.push]  # a Send target: any number of packets
        for sub in subs:
            if sub.name not in tasks:
                continue
            others = list(tasks)
            others.remove(sub.name)
            rival = next((o for o in others if rule.carries(path, nodes[o])), None)
            if rival is not None:
                side = (
                    f"another call of itself (a Send fan-out to {sub.name!r})"
                    if rival == sub.name
                    else f"node {rival!r}"
                )
                _refuse(
                    rule,
                    where,
                    f"subgraph node {sub.name!r} can run in one superstep of "
                    f"{_level(graph, path)} with {side}",
                )
    for sub in subs:
        _check_levels(sub.graph, (*path, sub.name), rule, schedules, where)


def _level(graph: Graph, path: tuple[str, ...]) -> str:
    return f"graph {graph.name!r}" if not path else f"subgraph {'/'.join(path)!r}"


def _refuse(rule: _Counted, where: Any, why: str) -> NoReturn:
    raise AgentcError(
        Code.UNSUPPORTED,
        f"{rule.what} counts across subgraph calls, but {why}: parallel subgraph calls each "
        "start from the counts at the start of their step and do not see each other's calls, "
        "so the per-run limit could be passed unseen",
        construct=rule.construct,
        file=where.file,
        line=where.line(*rule.path),
        hint="make the subgraph calls run one after another (no Send fan-out to the subgraph "
        "node, nothing else counting the same thing in its superstep), or put the limit on the "
        'subgraph node itself; see docs/policies.md, "Counts across subgraph calls"',
    )
