"""The policy file's rules written by hand in OpenAI Agents SDK code — the oracle that
agentc's enforcement (runtime_shims/policy_gate.py) is compared with.

``policed(agent, rules, max_tool_calls)`` clones an agent with each governed tool
rewritten the way a user would without agentc: ``needs_approval`` set to the rule (a
denied call is not sent for approval), and the tool body wrapped to return the SDK's
rejection text when the call is denied or over its ``max_calls`` / the run's
``max_tool_calls``, and its ``timeout_seconds`` set to the rule's timeout. Predicates
here are Python functions of the arguments, written independently of the CEL text the policy file holds. Counters live in ``Counts`` (one
per run).
"""
from __future__ import annotations

import dataclasses
import json
from typing import Any, Callable

REJECTED = "Tool execution was not approved."

Pred = Callable[[dict[str, Any]], bool]


@dataclasses.dataclass
class Rule:
    deny: Pred = lambda a: False  # noqa: E731
    approval: Pred | None = None
    max_calls: int | None = None
    message: str | None = None
    timeout: float | None = None
    """The SDK's own ``timeout_seconds`` for the tool."""


class Counts:
    def __init__(self) -> None:
        self.per: dict[str, int] = {}
        self.total = 0


def policed(agent: Any, rules: dict[str, Rule], max_tool_calls: int | None, counts: Counts) -> Any:
    tools = [_tool(t, rules.get(t.name), max_tool_calls, counts) for t in agent.tools]
    return agent.clone(tools=tools)


def _tool(tool: Any, rule: Rule | None, max_tool_calls: int | None, counts: Counts) -> Any:
    original = tool.on_invoke_tool

    async def invoke(ctx: Any, input_json: str, *args: Any, **kwargs: Any) -> Any:
        parsed = json.loads(input_json or "{}")
        n = counts.per.get(tool.name, 0)
        if rule is not None and rule.deny(parsed):
            return rule.message or REJECTED
        if rule is not None and rule.max_calls is not None and n >= rule.max_calls:
            return rule.message or REJECTED
        if max_tool_calls is not None and counts.total >= max_tool_calls:
            return (rule.message if rule is not None else None) or REJECTED
        counts.per[tool.name] = n + 1
        counts.total += 1
        return await original(ctx, input_json, *args, **kwargs)

    changes: dict[str, Any] = {"on_invoke_tool": invoke}
    if rule is not None and rule.timeout is not None:
        changes["timeout_seconds"] = rule.timeout
    if rule is not None and (rule.approval is not None or rule.deny is not None):
        own = tool.needs_approval

        def needs(ctx: Any, params: dict[str, Any], call_id: str) -> Any:
            if rule.deny(params):
                return False
            if rule.approval is not None and rule.approval(params):
                return True
            return own(ctx, params, call_id) if callable(own) else bool(own)

        changes["needs_approval"] = needs
    return dataclasses.replace(tool, **changes)
