"""Policy rules that need more than the node's input: ``max_calls`` on nodes, and tool rules
on the tools of a LangGraph ``ToolNode`` (docs/policies.md, "ToolNode tools" and
"max_calls on nodes"). Called by ``policy_gate.node_gate``, which every target runs right
before a node's function (the local executor, the step worker of Conductor tasks and
Temporal activities).

* **Counts** come from the frame (``semantics/call_counts.py``): the runs of the node (or
  calls of the tool) in earlier supersteps of this graph level, plus those of the tasks of
  the same step that come before this one in LangGraph's task order — so parallel tasks
  and every target reach the same verdicts.
* **A ToolNode's calls** are decided before the ToolNode runs, in the order its AI message
  lists them: ``deny`` and ``args_schema`` refuse a call; ``require_approval`` asks with
  LangGraph's ``interrupt()`` — one question listing every call that needs an approval, so
  the node has one pause slot on every engine; a rejected call is refused; ``max_calls``
  refuses calls past the count (approved calls included, as for agents). The
  ToolNode then runs with a per-call wrapper (its own ``wrap_tool_call`` slot, via
  ``compat.tool_node_with_gate``) that returns a refused call's ``ToolMessage`` with
  ``status="error"`` — what the ToolNode itself returns for a tool error it handles — and
  runs the others exactly as the ToolNode would. Under ``[policies.run] on_deny = "fail"``
  a refusal fails the run (``AC310``) before any call of the node runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from agentc.errors import Code

SEP = "/"
"""Between the subgraph nodes of a node's path: ``[policies.nodes."research/gather"]``."""


def qualified(path: tuple[str, ...] | list[str], node: str) -> str:
    """The name a policy gives node ``node`` of the graph level at ``path`` (the subgraph
    nodes from the root; empty for the root graph)."""
    return SEP.join((*path, node))


def _earlier(frame: Any, task: Any) -> list[Any]:
    """The tasks of this step that LangGraph orders before ``task`` (``path_key``)."""
    if frame is None or task is None:
        return []
    from agentc.semantics.pregel import path_key

    mine = path_key(task.path)
    return [t for t in frame.prepare(None, with_input=False) if path_key(t.path) < mine]


def node_runs(frame: Any, task: Any, node: str) -> int:
    """Runs of the node of ``task`` (policy name ``node``) in this run of its graph level
    before this task."""
    from agentc.semantics.call_counts import counted

    before = counted(frame.channels).get("nodes." + node, 0) if frame is not None else 0
    return before + sum(1 for t in _earlier(frame, task) if t.name == task.name)


def count_node(config: dict[str, Any], node: str) -> None:
    from agentc.semantics.call_counts import record

    record(config, {"nodes." + node: 1})


# ---------------------------------------------------------------- ToolNode tools
@dataclass
class Governed:
    """A ToolNode run under the policy: the refusal of each refused call, by call id."""

    refusals: dict[str, Any] = field(default_factory=dict)

    def wrap(self, runnable: Any) -> Any:
        from agentc.compat.langgraph import tool_node_with_gate

        if not self.refusals:
            return runnable
        return tool_node_with_gate(runnable, lambda call: self.refusals.get(str(call.get("id"))))


def governs_tools(policies: Any, ir_node: Any) -> bool:
    names = getattr(ir_node, "tool_names", ())
    return any(policies.tool(n) is not None for n in names)


def tool_node_gate(
    policies: Any,
    qualified_name: str,
    ir_node: Any,
    tool_node: Any,
    value: Any,
    config: dict[str, Any],
    frame: Any,
    task: Any,
    ask: Callable[[dict[str, Any], dict[str, Any]], Any],
    refuse: Callable[[Any, str, str], Any],
) -> Governed | None:
    """The verdict on every call the ToolNode would run for ``value`` (see the module's
    docstring); counts the calls that will run. ``ask(config, question)`` pauses for an
    approval; ``refuse(rule, tool, reason)`` raises under ``on_deny = "fail"``, else
    returns the text the model reads."""
    from langchain_core.messages import ToolMessage

    from agentc.compat.langgraph import tool_node_calls
    from agentc.semantics.call_counts import counted, record

    from .policy_gate import holds

    try:
        calls = tool_node_calls(tool_node, value)
    except Exception:  # noqa: BLE001 - no calls to govern: the ToolNode raises its own error
        return None
    before = counted(frame.channels) if frame is not None else {}
    # calls of the same ToolNode in earlier tasks of this step (a Send per call): counted
    # as running unless deny / args_schema refuse them (their approvals are not known here)
    ran: dict[str, int] = {}
    for t in _earlier(frame, task):
        if t.name != task.name or t.input is None:
            continue
        try:
            for c in tool_node_calls(tool_node, t.input):
                rule = policies.tool(c["name"])
                if rule is not None and _refused_outright(rule, c.get("args")) is None:
                    ran[c["name"]] = ran.get(c["name"], 0) + 1
        except Exception:  # noqa: BLE001 - not a ToolNode input: nothing to count
            continue
    governed = Governed()
    ruled = [(c, policies.tool(c.get("name"))) for c in calls]
    outright = {i: _refused_outright(r, c.get("args") or {}) for i, (c, r) in enumerate(ruled) if r}
    asking = [
        c
        for i, (c, r) in enumerate(ruled)
        if r is not None
        and outright[i] is None
        and holds(r.require_approval, "args", c.get("args") or {})
    ]
    verdicts = _approvals(asking, qualified_name, config, ask) if asking else {}
    now: dict[str, int] = {}
    for i, (call, rule) in enumerate(ruled):
        if rule is None:
            continue
        name, call_id = call["name"], call.get("id")
        reason = outright[i]
        if reason is None and str(call_id) in verdicts and verdicts[str(call_id)] is not True:
            governed.refusals[str(call_id)] = ToolMessage(
                content=verdicts[str(call_id)] or rule.message or f"tool {name!r} was not approved",
                name=name,
                tool_call_id=call_id,
                status="error",
            )
            continue
        n = before.get("tools." + name, 0) + ran.get(name, 0) + now.get(name, 0)
        if reason is None and rule.max_calls is not None and n >= rule.max_calls:
            reason = (
                f"tool {name!r} was already called {n} time(s); "
                f"the policy allows {rule.max_calls} per run"
            )
        if reason is not None:
            text = refuse(rule, name, reason)
            governed.refusals[str(call_id)] = ToolMessage(
                content=text, name=name, tool_call_id=call_id, status="error"
            )
            continue
        now[name] = now.get(name, 0) + 1
    record(config, {"tools." + k: v for k, v in now.items()})
    return governed


def _approvals(
    asking: list[dict[str, Any]], node: str, config: dict[str, Any], ask: Callable[..., Any]
) -> dict[str, Any]:
    """One pause for every call of the ToolNode's run that needs an approval (so an engine
    gives the node one approval slot, whatever the number of calls), answered
    ``{"approve": true}`` (all), ``{"approve": false, "message": ...}`` (none), or per call
    ``{"approve": [ids], "reject": [ids], "message": ...}`` as an agent's approvals are.
    Returns call id -> True (approved) or the rejection's message (None: no message)."""
    from .policy_gate import APPROVAL_KIND, _plain

    answer = ask(
        config,
        {
            "kind": APPROVAL_KIND,
            "node": node,
            "calls": [
                {"tool": c["name"], "call_id": c.get("id"), "args": _plain(c.get("args") or {})}
                for c in asking
            ],
            "reason": "the policy requires an approval before these tool calls run",
            "answer": '{"approve": true}, {"approve": false, "message": "..."}, or '
            '{"approve": [CALL_ID, ...], "reject": [CALL_ID, ...]}',
        },
    )
    message = answer.get("message") if isinstance(answer, dict) else None
    verdict = answer.get("approve") if isinstance(answer, dict) else answer
    ids = [str(c.get("id")) for c in asking]
    if isinstance(verdict, list):
        ok = {str(v) for v in verdict}
        return {i: True if i in ok else message for i in ids}
    return {i: True if verdict is True else message for i in ids}


def _refused_outright(rule: Any, args: Any) -> str | None:
    """Why ``deny`` or ``args_schema`` refuse a call (None: they let it through)."""
    from .policy_gate import _plain, holds, schema_error

    if holds(rule.deny, "args", args):
        return f"tool {rule.name!r} is denied by the policy"
    if rule.args_schema is not None and (bad := schema_error(rule.args_schema, _plain(args))):
        return f"the arguments of tool {rule.name!r} do not match the policy's args_schema: {bad}"
    return None


def refusal(policies: Any, rule: Any, tool: str, reason: str, node: str) -> str:
    """The text the model reads for a refused ToolNode call, or ``PolicyDenied`` under
    ``on_deny = "fail"``."""
    from .policy_gate import PolicyDenied

    if policies.run.on_deny == "fail":
        raise PolicyDenied(
            Code.POLICY_DENIED,
            reason,
            construct=f"tool {tool!r} (ToolNode {node!r})",
            source=rule.source,
            hint="the policy file forbids this call; the run cannot continue",
        )
    return rule.message or reason


__all__ = ["Governed", "SEP", "count_node", "node_runs", "qualified", "tool_node_gate"]
