"""The few SDK internals agentc's journaled replay depends on, in one place (openai-agents
0.24). Each is used because the SDK has no public equivalent:

* a function tool's *timeout* is applied by the SDK around ``on_invoke_tool``
  (``tool._invoke_function_tool_with_metadata``), i.e. outside the journal wrapper. While
  a run is journaled the wrapper applies it instead (``timeout_outcome`` gives the SDK's
  result for a call that timed out: ``timeout_error_function``, the SDK's default message
  — public ``agents.tool.default_tool_timeout_error_message`` — or ``ToolTimeoutError``),
  so a timed-out call is journaled like any output and replays without waiting again;
* an agent used as a tool whose nested run stopped for approvals returns ``None`` and
  keeps the nested run in the SDK's per-process cache (``agents.agent_tool_state``:
  ``peek_agent_tool_run_result``, ``get_agent_tool_state_scope``); ``nested_interrupted``
  tells the journal that such a call has not completed, so it is not recorded as done.
"""
from __future__ import annotations

import inspect
from typing import Any

TIMEOUT_ATTR = "timeout_seconds"
"""``FunctionTool``'s timeout field, cleared while the journal wrapper applies it."""


async def timeout_outcome(tool: Any, ctx: Any, timeout: float) -> Any:
    """What the SDK makes of a call of ``tool`` that ran longer than ``timeout``."""
    from agents import ToolTimeoutError
    from agents.tool import default_tool_timeout_error_message

    error = ToolTimeoutError(tool_name=tool.name, timeout_seconds=timeout)
    if tool.timeout_behavior == "raise_exception":
        raise error
    if tool.timeout_error_function is None:
        return default_tool_timeout_error_message(tool_name=tool.name, timeout_seconds=timeout)
    out = tool.timeout_error_function(ctx, error)
    return await out if inspect.isawaitable(out) else out


def nested_interrupted(ctx: Any) -> bool:
    """Whether the agent-as-tool call of ``ctx`` ended with its nested run waiting for
    approvals (the SDK resumes it when the outer run is resumed)."""
    from agents.agent_tool_state import get_agent_tool_state_scope, peek_agent_tool_run_result

    tool_call = getattr(ctx, "tool_call", None)
    if tool_call is None:
        return False
    pending = peek_agent_tool_run_result(tool_call, scope_id=get_agent_tool_state_scope(ctx))
    return bool(getattr(pending, "interruptions", None))
