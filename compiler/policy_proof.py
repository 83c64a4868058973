"""Compile-time proofs over a workflow's policies, run by `agentc check` (docs/policies.md,
"Proofs").

**Every call of an irreversible tool or node is preceded by an approval, on every path.**

* An agent's tool (``[policies.tools.NAME] irreversible = true``) is proven when each of
  its calls is gated: the policy denies it always, or requires an approval always, or the
  tool's own ``needs_approval`` is ``True`` (the SDK asks for every call). A predicate
  (``require_approval = 'args.n > 5'``) or a callable ``needs_approval`` may be false, so
  it proves nothing; the counterexample is the path of agents (handoffs, agents used as
  tools) from the starting agent to one that calls the tool unapproved.
* A graph's node is proven when no path of the compiled plan's graph reaches it without
  passing an approval gate since START or since its previous run: gates are nodes whose
  policy requires an approval always (the pause is before the node, and a rejection ends
  the run), and ``interrupt_before`` breakpoints. The node itself may be its own gate. The
  counterexample is the shortest path from START (or around a loop) that avoids every gate.

Conservative: unknown branch targets and Send count as edges to every node.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from .errors import Code, Diagnostic
from .ir.model import END, START, SubgraphNode, Workflow


def prove(wf: Workflow) -> list[Diagnostic]:
    """The violations (empty: every irreversible tool and node is always approved)."""
    if wf.policies is None:
        return []
    match wf.body.kind:
        case "agents":
            return [d for r in wf.policies.tools if r.irreversible for d in _tool(wf, r)]
        case "graph":
            return [d for r in wf.policies.nodes if r.irreversible for d in _node(wf, r)] + [
                d for r in wf.policies.tools if r.irreversible for d in _tool_node_tool(wf, r)
            ]


def _violation(wf: Workflow, rule: Any, what: str, path: list[str], why: str) -> Diagnostic:
    src = rule.source
    return Diagnostic(
        Code.POLICY_PROOF,
        f"{wf.name}: {what} {rule.name!r} is irreversible but can run without an "
        f"approval: {' -> '.join(path)} ({why})",
        construct=f"policies.{what}s.{rule.name}",
        file=src.file if src else None,
        line=src.line if src else None,
        hint="require_approval = true on it (or on every way to it), or deny it",
    )


def _tool(wf: Workflow, rule: Any) -> list[Diagnostic]:
    if rule.deny is True or rule.require_approval is True:
        return []
    system = wf.agents
    agents = {a.name: a for a in system.agents}
    parents = _agent_paths(system)
    out = []
    for a in system.agents:
        for t in a.tools:
            if t.name != rule.name or t.needs_approval == "always":
                continue
            why = (
                f"its predicate {rule.require_approval!r} may be false"
                if isinstance(rule.require_approval, str)
                else "no approval rule"
            ) + f"; the tool's own needs_approval is {t.needs_approval}"
            if a.name in agents and a.name in parents:
                out.append(
                    _violation(wf, rule, "tool", [*parents[a.name], f"{rule.name}(...)"], why)
                )
    return out


def _agent_paths(system: Any) -> dict[str, list[str]]:
    """The shortest chain of agents from the start to each reachable agent."""
    agents = {a.name: a for a in system.agents}
    paths = {system.start: [system.start]}
    todo = deque([system.start])
    while todo:
        name = todo.popleft()
        a = agents.get(name)
        if a is None:
            continue
        nxt = [(h.target, f"handoff {h.tool_name}") for h in a.handoffs if h.target]
        nxt += [(t.agent, f"tool {t.name}") for t in a.tools if t.kind == "agent" and t.agent]
        for target, how in nxt:
            if target not in paths:
                paths[target] = [*paths[name], f"{how} -> {target}"]
                todo.append(target)
    return paths


def _node(wf: Workflow, rule: Any) -> list[Diagnostic]:
    if rule.deny is True:
        return []
    found = _ungated_path(wf, rule.name)
    if found is None:
        return []
    why = (
        f"its predicate {rule.require_approval!r} may be false"
        if isinstance(rule.require_approval, str)
        else "no approval on this path"
    )
    return [_violation(wf, rule, "node", found, why)]


def _ungated_path(wf: Workflow, qualified: str) -> list[str] | None:
    """A path of the node's graph level (a subgraph's node: ``"ops/migrate"``, within the
    subgraph, from its START) that reaches the node without an approval gate."""
    from .graph_policies import graph_nodes
    from .passes import successor_map

    path, _ = graph_nodes(wf.graph)[qualified]
    graph = wf.graph
    for name in path:
        sub = graph.node(name)
        assert isinstance(sub, SubgraphNode)  # graph_nodes descends only into subgraphs
        graph = sub.graph
    name = qualified.rsplit("/", 1)[-1]
    prefix = "/".join(path) + "/" if path else ""
    pol = wf.policies
    assert pol is not None
    gates = set(graph.interrupt_before) | {
        r.name[len(prefix) :]
        for r in pol.nodes
        if r.name.startswith(prefix)
        and "/" not in r.name[len(prefix) :]
        and r.require_approval is True
        and r.deny is not True
    }
    if name in gates:
        return None
    succ = successor_map(graph)
    if any(b.may_send for b in graph.branches):
        every = {n.name for n in graph.nodes}
        for b in graph.branches:
            if b.may_send:
                succ[b.source] |= every
    found = _ungated(succ, START, name, gates)
    if found is None:  # around a loop: from the node back to itself, avoiding every gate
        found = _ungated(succ, name, name, gates)
    return None if found is None else [prefix + n for n in found]


def _tool_node_tool(wf: Workflow, rule: Any) -> list[Diagnostic]:
    """A LangGraph ``ToolNode``'s tool: proven when the policy denies or asks for every call,
    or when every path to each ToolNode holding it passes an approval gate (the ToolNode's
    own ``require_approval = true`` included)."""
    from .graph_policies import graph_nodes
    from .ir.model import ToolNodeStep

    if rule.deny is True or rule.require_approval is True:
        return []
    why = (
        f"its predicate {rule.require_approval!r} may be false"
        if isinstance(rule.require_approval, str)
        else "no approval rule"
    )
    out = []
    for qualified, (_, node) in graph_nodes(wf.graph).items():
        if not isinstance(node, ToolNodeStep) or rule.name not in node.tool_names:
            continue
        found = _ungated_path(wf, qualified)
        if found is not None:
            out.append(_violation(wf, rule, "tool", [*found, f"{rule.name}(...)"], why))
    return out


def _ungated(succ: dict[str, set[str]], start: str, goal: str, gates: set[str]) -> list[str] | None:
    """The shortest path start -> goal whose inner nodes are no gates (BFS)."""
    back: dict[str, str | None] = {start: None}
    todo = deque([start])
    while todo:
        cur = todo.popleft()
        for nxt in sorted(succ.get(cur, ())):
            if nxt == END:
                continue
            if nxt == goal:
                chain = [goal, cur]
                while back[chain[-1]] is not None:
                    chain.append(back[chain[-1]])  # type: ignore[arg-type]
                return list(reversed(chain))
            if nxt in gates or nxt in back:
                continue
            back[nxt] = cur
            todo.append(nxt)
    return None
