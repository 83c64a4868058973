"""Policies on LangGraph graphs beyond the root graph's nodes (docs/policies.md): node
rules inside subgraphs, named by the path of subgraph nodes to them
(``[policies.nodes."research/gather"]``, the level path the plan and the runtimes use, see
``runtime_shims/node_rules.qualified``), and tool rules on the tools of a ``ToolNode``
(``[policies.tools.NAME]``), checked when the policy loads (``policies.apply_policies``).
Kept apart from compiler/policies.py so each stays small."""

from __future__ import annotations

from typing import Any

from .errors import AgentcError, Code
from .ir.model import (
    Graph,
    InterruptPoint,
    Policies,
    PolicyRule,
    SourceRef,
    SubgraphNode,
    ToolNodeStep,
    Workflow,
)


def graph_nodes(graph: Graph, path: tuple[str, ...] = ()) -> dict[str, tuple[tuple[str, ...], Any]]:
    """Every node a policy may name, by its policy name: a root node by its name, a node of
    a subgraph by the path of subgraph nodes to it, ``"research/gather"``
    (``node_rules.qualified``) -> (its level path, the IR node)."""
    out: dict[str, tuple[tuple[str, ...], Any]] = {}
    for n in graph.nodes:
        out["/".join((*path, n.name))] = (path, n)
        if isinstance(n, SubgraphNode):
            out.update(graph_nodes(n.graph, (*path, n.name)))
    return out


IN_SUBGRAPH_NOT_YET = {
    "max_calls": "a subgraph's nodes are counted per run of the subgraph, not per run",
    "timeout": 'node timeouts bound root nodes (docs/policies.md, "Node timeouts")',
    "external": "an external completion names a root node (agentc complete RUN NODE)",
}
"""Rules a node inside a subgraph does not take yet (AC200), and why."""


def refuse_in_subgraph(rule: PolicyRule, where: Any) -> None:
    if "/" not in rule.name:
        return
    for key, why in IN_SUBGRAPH_NOT_YET.items():
        if getattr(rule, key) not in (None, False):
            raise AgentcError(
                Code.UNSUPPORTED,
                f"rule {key!r} on node {rule.name!r} inside a subgraph is not supported yet: "
                + why,
                construct=f"policies.nodes.{rule.name}.{key}",
                file=where.file,
                line=where.line("nodes", rule.name, key),
                hint="put the rule on the subgraph's node in the root graph, or on a root node",
            )


TOOL_NODE_RULES = (
    "deny",
    "require_approval",
    "max_calls",
    "irreversible",
    "message",
    "args_schema",
)
"""The rules a LangGraph ``ToolNode``'s tool takes (runtime_shims/node_rules.py)."""


def tool_node_args(wf: Workflow, live: Any, name: str, where: Any) -> tuple[str, ...] | None:
    """A tool of a LangGraph ``ToolNode``: its argument names (from the live tool's schema),
    after refusing the rules a ToolNode's calls do not take yet."""
    holders = [
        (qname, n)
        for qname, (_, n) in graph_nodes(wf.graph).items()
        if isinstance(n, ToolNodeStep) and name in n.tool_names
    ]
    if not holders:
        known = sorted(
            {
                t
                for _, n in graph_nodes(wf.graph).values()
                if isinstance(n, ToolNodeStep)
                for t in n.tool_names
            }
        )
        raise where.error(
            f"no tool {name!r} in the ToolNodes of graph {wf.graph.name!r}",
            "tools",
            name,
            hint="ToolNode tools: "
            + (
                ", ".join(known) or "none (put the rule on the graph's node: [policies.nodes.NAME])"
            ),
        )
    body = (where.table.get("tools") or {}).get(name) or {}
    for key in body:
        inner = key == "max_calls" and any("/" in q for q, _ in holders)
        if key not in TOOL_NODE_RULES or inner:
            why = (
                "a ToolNode inside a subgraph counts its calls per run of the subgraph"
                if inner
                else "a ToolNode's calls take " + ", ".join(TOOL_NODE_RULES)
            )
            raise AgentcError(
                Code.UNSUPPORTED,
                f"rule {key!r} on tool {name!r} of a LangGraph ToolNode is not supported yet: "
                + why,
                construct=f"policies.tools.{name}.{key}",
                file=where.file,
                line=where.line("tools", name, key),
                hint="put the rule on the ToolNode's node ([policies.nodes.NAME]) or remove it",
            )
    if live is None:
        return None
    from agentc.semantics.langgraph_calls import Resolver

    resolve = Resolver(live)
    for _, node in holders:
        try:
            tool = resolve(node.call).tools_by_name.get(name)
        except Exception:  # noqa: BLE001 - a node that cannot be resolved: arguments unchecked
            continue
        args = getattr(tool, "args", None)
        if isinstance(args, dict):
            return tuple(args)
    return None


# ---------------------------------------------------------------- lowering node approvals
def with_approval_pauses(graph: Any, policies: Policies, path: tuple[str, ...] = ()) -> Any:
    """``graph`` with an interrupt point (at the policy's line) on each node that needs an
    approval or is external, in every subgraph: the targets lower it like ``interrupt()``."""
    nodes = []
    for n in graph.nodes:
        rule = policies.node("/".join((*path, n.name)))
        if isinstance(n, ToolNodeStep) and rule is not None and rule.timeout and not rule.external:
            # a policy timeout: the ToolNode runs by its async path, as LangGraph runs one with
            # add_node(timeout=...) (the bound cancels it there, runtime_shims/node_timeouts.py)
            n = n.model_copy(update={"call": n.call.model_copy(update={"is_async": True})})
        if isinstance(n, ToolNodeStep) and (asks := _tool_approval(n, policies)) is not None:
            point = InterruptPoint(  # one pause for all its calls
                source=asks.source or SourceRef(file="policies", line=None, qualname=n.name)
            )
            n = n.model_copy(update={"interrupts": (point, *n.interrupts)})
        if rule is not None and rule.deny is not True:
            pauses = int(rule.require_approval is not False) + int(rule.external)
            point = InterruptPoint(
                source=rule.source or SourceRef(file="policies", line=None, qualname=n.name)
            )
            n = n.model_copy(update={"interrupts": (*([point] * pauses), *n.interrupts)})
        if isinstance(n, SubgraphNode):
            n = n.model_copy(
                update={"graph": with_approval_pauses(n.graph, policies, (*path, n.name))}
            )
        nodes.append(n)
    return graph.model_copy(update={"nodes": tuple(nodes)})


def _tool_approval(node: ToolNodeStep, policies: Policies) -> PolicyRule | None:
    """The first rule of the ToolNode's tools that may ask for an approval (None: none)."""
    for name in node.tool_names:
        rule = policies.tool(name)
        if rule is not None and rule.deny is not True and rule.require_approval is not False:
            return rule
    return None
