"""Durable runs of an OpenAI Agents SDK agent system by journaled replay.

The SDK's own ``Runner.run`` drives the run, so every rule of its loop (history given to
each turn, parallel tools appended in call order, first handoff wins, input filters,
tool_use_behavior, guardrails, max_turns, approvals) is the SDK's, not a copy. What makes
it durable is that every step with an effect is journaled as it completes and replayed
instead of repeated when the run is driven again after a crash or a pause:

* each model call (``Model.get_response`` of every reachable agent, and models resolved by
  name through the run's provider), keyed by the request's content and its occurrence;
* each function-tool call (``FunctionTool.on_invoke_tool``, agents used as tools included),
  keyed by tool and call id, together with a snapshot of the mutable run context;
* each input/output guardrail function result (guardrails often call a model themselves).

The SDK is deterministic given the same model responses and tool outputs, so a replay
reaches the same point, and a completed model turn or tool call never runs twice.
"""
from __future__ import annotations

import contextlib
import copy
import hashlib
import json
import threading
from typing import Any, Callable, Iterator

from agents.models.interface import Model

from agentc.runtime_shims.codec import dumps, loads


class Steps:
    """The journal of one run, in memory, with a sink that persists each new step."""

    def __init__(self, done: dict[str, Any], sink: Callable[[str, str, Any], None]) -> None:
        self.done = dict(done)
        self.sink = sink
        self.lock = threading.Lock()
        self.seen: dict[str, int] = {}
        self.context_seq = -1
        """Completion order of the context snapshot last put back (or taken)."""
        self.next_seq = 1 + max((v[1] for k, v in self.done.items() if k.startswith("tool:")), default=-1)
        """Completion order the next executed tool call gets (after every journaled one)."""

    def occurrence(self, base: str) -> str:
        with self.lock:
            n = self.seen.get(base, 0)
            self.seen[base] = n + 1
        return f"{base}#{n}"

    def record(self, key: str, kind: str, value: Any) -> None:
        with self.lock:
            self.done[key] = value
        self.sink(key, kind, value)


def _digest(*parts: Any) -> str:
    text = json.dumps(parts, sort_keys=True, default=_plain)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def _plain(o: Any) -> Any:
    dump = getattr(o, "model_dump", None)
    if callable(dump):
        return dump(mode="json", exclude_none=True)
    return repr(o)


# ---------------------------------------------------------------- model calls
class JournaledModel(Model):
    """Wraps an agent's ``Model``: a journaled response is returned instead of calling it."""

    def __init__(self, inner: Any, agent: str, steps: Steps) -> None:
        self.inner, self.agent, self.steps = inner, agent, steps

    async def get_response(self, system_instructions: Any, input: Any, model_settings: Any, tools: Any,
                           output_schema: Any, handoffs: Any, *args: Any, **kwargs: Any) -> Any:
        schema = output_schema.json_schema() if output_schema is not None and hasattr(output_schema, "json_schema") else None
        base = "model:" + self.agent + ":" + _digest(
            system_instructions, input, [getattr(t, "name", repr(t)) for t in tools or ()],
            [getattr(h, "tool_name", repr(h)) for h in handoffs or ()], schema,
            getattr(model_settings, "tool_choice", None))
        key = self.steps.occurrence(base)
        if key in self.steps.done:
            return _revive_response(self.steps.done[key])
        response = await self.inner.get_response(system_instructions, input, model_settings, tools, output_schema,
                                                 handoffs, *args, **kwargs)
        self.steps.record(key, "model", _keep_response(response))
        return response

    def stream_response(self, *args: Any, **kwargs: Any) -> Any:
        return self.inner.stream_response(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def _keep_response(r: Any) -> dict[str, Any]:
    """A ``ModelResponse`` as journaled: output items as the JSON the model sent (only the
    fields it set, so a replayed item feeds the next turn exactly as the original did)."""
    return {"output": [i.model_dump(mode="json", exclude_unset=True) for i in r.output],
            "usage": r.usage, "response_id": r.response_id, "request_id": getattr(r, "request_id", None)}


def _revive_response(d: dict[str, Any]) -> Any:
    from agents.items import ModelResponse
    from openai.types.responses import ResponseOutputItem
    from pydantic import TypeAdapter

    items = TypeAdapter(list[ResponseOutputItem]).validate_python(d["output"])
    kw = {"request_id": d["request_id"]} if d.get("request_id") is not None else {}
    return ModelResponse(output=items, usage=d["usage"], response_id=d["response_id"], **kw)


class JournaledProvider:  # noqa: D101 - see its docstring
    """The run's model provider, for agents whose model is a name (or None)."""

    def __init__(self, inner: Any, steps: Steps) -> None:
        self.inner, self.steps = inner, steps

    def get_model(self, name: str | None) -> Any:
        return JournaledModel(self.inner.get_model(name), f"provider:{name}", self.steps)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


# ---------------------------------------------------------------- tools and context
def _snapshot(context: Any) -> Any:
    return None if context is None else loads(*dumps(context))


def _restore(context: Any, snap: Any) -> None:
    """Put a journaled context state back into the live context object (same identity:
    tools and instructions hold references to it)."""
    if context is None or snap is None:
        return
    if hasattr(context, "__dict__") and hasattr(snap, "__dict__"):
        context.__dict__.clear()
        context.__dict__.update(copy.deepcopy(snap.__dict__))
    elif isinstance(context, dict) and isinstance(snap, dict):
        context.clear()
        context.update(copy.deepcopy(snap))


def _journaled_tool(tool: Any, agent: str, steps: Steps, original: Callable[..., Any]) -> Callable[..., Any]:
    async def on_invoke_tool(ctx: Any, input_json: str, *args: Any, **kwargs: Any) -> Any:
        call_id = getattr(ctx, "tool_call_id", None) or _digest(input_json)
        key = steps.occurrence(f"tool:{agent}:{tool.name}:{call_id}")
        if key in steps.done:
            output, seq, snap = steps.done[key]
            if seq > steps.context_seq:  # the latest completed tool's context wins, as it did
                steps.context_seq = seq
                _restore(getattr(ctx, "context", None), snap)
            return output
        output = await original(ctx, input_json, *args, **kwargs)
        with steps.lock:
            seq = steps.next_seq
            steps.next_seq += 1
            steps.context_seq = seq
        steps.record(key, "tool", (output, seq, _snapshot(getattr(ctx, "context", None))))
        return output

    return on_invoke_tool


def _journaled_guardrail(kind: str, name: str, steps: Steps, original: Callable[..., Any]) -> Callable[..., Any]:
    import inspect

    async def guardrail_function(*args: Any, **kwargs: Any) -> Any:
        key = steps.occurrence(f"guardrail:{kind}:{name}")
        if key in steps.done:
            return steps.done[key]
        out = original(*args, **kwargs)
        if inspect.isawaitable(out):
            out = await out
        steps.record(key, "guardrail", out)
        return out

    return guardrail_function


# ---------------------------------------------------------------- installing
def reachable_agents(start: Any) -> list[Any]:
    """Every agent the SDK may run from ``start``: handoff targets, agents used as tools."""
    from agents import Agent, FunctionTool

    out: list[Any] = []
    todo = [start]
    while todo:
        a = todo.pop(0)
        if any(a is b for b in out):
            continue
        out.append(a)
        for h in a.handoffs:
            target = h if isinstance(h, Agent) else (h._agent_ref() if getattr(h, "_agent_ref", None) else None)
            if target is not None:
                todo.append(target)
        for t in a.tools:
            if isinstance(t, FunctionTool) and getattr(t, "_is_agent_tool", False):
                nested = getattr(t, "_agent_instance", None)
                if nested is not None:
                    todo.append(nested)
    return out


@contextlib.contextmanager
def journaled(start: Any, steps: Steps) -> Iterator[None]:
    """Wrap the models, tools and guardrails of every reachable agent for one drive of the
    run; the user's objects are restored afterwards."""
    from agents import FunctionTool, Model

    undo: list[Callable[[], None]] = []

    def swap(obj: Any, attr: str, value: Any) -> None:
        old = getattr(obj, attr)
        object.__setattr__(obj, attr, value)
        undo.append(lambda: object.__setattr__(obj, attr, old))

    try:
        for agent in reachable_agents(start):
            if isinstance(agent.model, Model):
                swap(agent, "model", JournaledModel(agent.model, agent.name, steps))
            for t in agent.tools:
                if isinstance(t, FunctionTool):
                    swap(t, "on_invoke_tool", _journaled_tool(t, agent.name, steps, t.on_invoke_tool))
            for g in agent.input_guardrails:
                swap(g, "guardrail_function", _journaled_guardrail("input", g.get_name(), steps, g.guardrail_function))
            for g in agent.output_guardrails:
                swap(g, "guardrail_function",
                     _journaled_guardrail("output", g.get_name(), steps, g.guardrail_function))
        yield
    finally:
        for u in reversed(undo):
            u()
