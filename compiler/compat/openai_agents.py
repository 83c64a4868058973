"""Every OpenAI Agents SDK internal agentc depends on (openai-agents 0.24), in one place.
Each is used because the SDK has no public equivalent:

* the agent behind a ``Handoff`` (:func:`handoff_agent`: the private weak ``_agent_ref``)
  and behind an agent used as a tool (:func:`is_agent_tool`, :func:`agent_tool_agent`: the
  private ``_is_agent_tool`` / ``_agent_instance`` that ``Agent.as_tool`` sets) — the frontend
  reads the agent graph with them, the runtime finds every agent a run may reach;
* :data:`TOOL_INVOKE_ATTR`: the ``FunctionTool`` field the SDK calls to run a tool
  (``on_invoke_tool``); the journaled replay (``runtime_shims/openai_agents_replay.py``)
  wraps it for the duration of a run;
* a function tool's *timeout* is applied by the SDK around ``on_invoke_tool``
  (``tool._invoke_function_tool_with_metadata``), i.e. outside the journal wrapper. While
  a run is journaled the wrapper applies it instead (:func:`timeout_outcome` gives the SDK's
  result for a call that timed out: ``timeout_error_function``, the SDK's default message
  — public ``agents.tool.default_tool_timeout_error_message`` — or ``ToolTimeoutError``),
  so a timed-out call is journaled like any output and replays without waiting again;
  :data:`TIMEOUT_ATTR` is the field cleared meanwhile;
* the ``on_stream`` callback of an agent used as a tool (:func:`agent_tool_stream_cell`):
  ``Agent.as_tool`` keeps it only in the closure of the tool's implementation (the private
  ``_invoke_tool_impl`` of the SDK's invoker); the journal swaps the cell's contents for a
  journaled callback while a run is driven (``runtime_shims/agent_tool_stream.py``);
* an agent used as a tool whose nested run stopped for approvals returns ``None`` and
  keeps the nested run in the SDK's per-process cache (``agents.agent_tool_state``:
  ``peek_agent_tool_run_result``, ``get_agent_tool_state_scope``); :func:`nested_interrupted`
  tells the journal that such a call has not completed, so it is not recorded as done.

The SDK is imported lazily, inside the functions, as the callers did before.
"""

from __future__ import annotations

import inspect
from typing import Any

TIMEOUT_ATTR = "timeout_seconds"
"""``FunctionTool``'s timeout field, cleared while the journal wrapper applies it."""

TOOL_INVOKE_ATTR = "on_invoke_tool"
"""The ``FunctionTool`` field ``(ctx, input_json) -> awaitable`` the SDK calls to run a tool."""


WRAPPED: dict[tuple[int, str], Any] = {}
"""(object id, attribute) → the user's own value, while a journaled drive has replaced it
(``runtime_shims/openai_agents_replay.install``; a warm run keeps its wrappers between
steps, ``runtime_shims/agent_sessions.py``)."""


def user_attr(obj: Any, attr: str) -> Any:
    """``obj.attr`` as the user set it: read through agentc's journal wrappers, so reading
    an agent while a worker holds one of its runs gives what it gives at rest."""
    return WRAPPED.get((id(obj), attr), getattr(obj, attr, None))


def tool_function(tool: Any) -> Any:
    """The Python function behind a ``function_tool`` (the SDK's public
    ``FunctionTool.__wrapped__``), or None. While the journal wrapper replaces the tool's
    invoker the SDK's descriptor refuses to answer, so the function is read from the user's
    invoker through its private ``_get_wrapped_callable``."""
    invoker = user_attr(tool, TOOL_INVOKE_ATTR)
    if invoker is getattr(tool, TOOL_INVOKE_ATTR, None):
        return getattr(tool, "__wrapped__", None)
    get = getattr(invoker, "_get_wrapped_callable", None)
    fn = get() if callable(get) else None
    return fn if callable(fn) else None


def is_agent_tool(tool: Any) -> bool:
    """Whether ``tool`` is an agent used as a tool (``Agent.as_tool``)."""
    return bool(getattr(tool, "_is_agent_tool", False))


def agent_tool_agent(tool: Any) -> Any:
    """The agent behind an ``Agent.as_tool`` tool, or None."""
    return getattr(tool, "_agent_instance", None) if is_agent_tool(tool) else None


STREAM_CELL_ATTR = "cell_contents"
"""The attribute of :func:`agent_tool_stream_cell`'s cell that holds the callback."""


def agent_tool_stream_cell(tool: Any) -> Any:
    """The closure cell holding ``as_tool(on_stream=...)``'s callback of an agent used as a
    tool, when it has one (else None): read from the user's invoker, through agentc's
    journal wrapper."""
    if not is_agent_tool(tool):
        return None
    invoker = user_attr(tool, TOOL_INVOKE_ATTR)
    impl = getattr(invoker, "_invoke_tool_impl", invoker)
    code = getattr(impl, "__code__", None)
    if code is None or "on_stream" not in code.co_freevars:
        return None
    cell = (impl.__closure__ or ())[code.co_freevars.index("on_stream")]
    try:
        return cell if cell.cell_contents is not None else None
    except ValueError:  # an empty cell
        return None


def handoff_agent(handoff: Any) -> Any:
    """The agent a ``Handoff`` built with ``agents.handoff(agent)`` leads to, or None (a
    custom ``Handoff`` whose target is only known when it runs)."""
    ref = getattr(handoff, "_agent_ref", None)
    return ref() if callable(ref) else None


def handoff_target(h: Any) -> Any:
    """The agent a handoff entry of ``Agent.handoffs`` leads to: the agent itself, a
    ``Handoff``'s known target, or None."""
    from agents import Agent

    if isinstance(h, Agent):
        return h
    return handoff_agent(h)


def reachable_agents(start: Any) -> list[Any]:
    """Every agent the SDK may run from ``start``: handoff targets, agents used as tools."""
    from agents import FunctionTool

    out: list[Any] = []
    todo = [start]
    while todo:
        a = todo.pop(0)
        if any(a is b for b in out):
            continue
        out.append(a)
        for h in a.handoffs:
            target = handoff_target(h)
            if target is not None:
                todo.append(target)
        for t in a.tools:
            if isinstance(t, FunctionTool):
                nested = agent_tool_agent(t)
                if nested is not None:
                    todo.append(nested)
    return out


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
