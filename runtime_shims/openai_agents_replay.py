"""Durable runs of an OpenAI Agents SDK agent system by journaled replay.

The SDK's own ``Runner.run`` drives the run, so every rule of its loop (history given to
each turn, parallel tools appended in call order, first handoff wins, input filters,
tool_use_behavior, guardrails, max_turns, approvals) is the SDK's, not a copy. What makes
it durable is that every step with an effect is journaled as it completes and replayed
instead of repeated when the run is driven again after a crash or a pause:

* each model call (``Model.get_response`` of every reachable agent, and models resolved by
  name through the run's provider), keyed by the request's content and its occurrence;
* each function-tool call (``FunctionTool.on_invoke_tool``, agents used as tools included),
  keyed by tool and call id, with the changes it made to the mutable run context;
* each input/output guardrail function result (guardrails often call a model themselves).

The SDK is deterministic given the same model responses and tool outputs, so a replay
reaches the same point, and a completed model turn or tool call never runs twice.

Who runs a missing step is the ``admit`` policy of ``Steps``: the local target runs every
one as the SDK reaches it; a workflow engine's step (``runtime_shims/agent_steps.py``)
runs only its own and *suspends* at the others, reporting them as the run's next steps.
Effects inside an agent used as a tool are keyed under that tool call's key (its
*scope*), so the nested run can be a child workflow with steps of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import inspect
import json
import threading
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Iterator

from agents.models.interface import Model

from agentc.compat import openai_agents as compat
from agentc.compat.openai_agents import reachable_agents
from agentc.runtime_shims import agent_fanout
from agentc.runtime_shims.agent_approvals import (  # noqa: F401 - re-exported: the drivers' API
    call_id,
    decide,
    final_result,
    parse_args,
    pause_id,
    run_with_decisions,
)
from agentc.ir.model import agent_system
from agentc.semantics.codec import digest as _digest
from agentc.runtime_shims.agent_tool_usage import add_kept, kept, own_usage, tool_value
from agentc.runtime_shims.context_changes import (  # noqa: F401 - re-exported
    apply_changes,
    context_before,
    context_changes,
)
from agentc.semantics.effects import (
    CTX_ATTR as EFFECTS_ATTR,
    EffectScope,
    active as effects_active,
)

_SCOPE: contextvars.ContextVar[tuple[str, ...]] = contextvars.ContextVar(
    "agentc_agent_scope", default=()
)
"""The keys of the agent-tool calls the running code is nested in (outermost first)."""


def scoped_key(scope: tuple[str, ...], base: str) -> str:
    return base if not scope else json.dumps([*scope, base])


@dataclass(frozen=True)
class Effect:
    """One journaled step: ``kind`` is model | tool | input_guardrail | output_guardrail."""

    key: str
    kind: str
    scope: tuple[str, ...]
    info: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def path(self) -> tuple[str, ...]:
        return (*self.scope, self.key)


RUN, NEED, WAIT = "run", "need", "wait"
"""``admit`` answers: run the missing step here; report it as a next step; or just wait
(another step of the workflow runs it)."""


def admit_all(effect: Effect) -> str:
    return RUN


class Steps:
    """The journal of one drive of a run, with a sink that persists each new step and the
    policy that decides who runs a missing one."""

    def __init__(
        self,
        done: dict[str, Any],
        sink: Callable[[str, str, Any], None],
        admit: Callable[[Effect], str] = admit_all,
        watch: str | None = None,
    ) -> None:
        self.done = dict(done)
        self.sink = sink
        self.admit = admit
        self.watch = watch
        """A key whose recording ends the drive (a workflow step's own target)."""
        self.lock = threading.Lock()
        self.seen: dict[str, int] = {}
        self.needs: list[Effect] = []
        self.changed: asyncio.Event | None = None
        self.parked: list[asyncio.Future[None]] = []
        self.out_of_order = False
        self.closing = False
        """Set while a drive is cancelled: steps park and hooks do not run."""
        self.watched_done = False
        self.watched_effect: Effect | None = None
        """The watched step, once this drive ran it (its info: arguments, keys)."""
        self.agent: str | None = None
        """The agent of the latest model call (for reports)."""
        self.run_id = ""
        """The durable run's id: the root of its tools' idempotency keys (``effects.py``)."""
        self.effects: Any = None
        """The effect ledger's hooks (``before/after/raised``; the local target's
        ``EffectCalls``), or None where the engine keeps no ledger."""
        self.policy: Any = None
        """The run's policy gate (``policy_gate.ToolGate``), set by the driver."""
        self.fanout: Any = None
        """The local drive's fan-out deadlines (``agent_fanout.Deadlines``), or None."""
        self.cancel: Any = None
        """An engine step's ``cancel_scope.CancelScope`` (a fan-out policy's activity), or None."""
        self.late_threads: list[tuple[Any, Any, Any]] = []
        """Sync tool calls cancelled while their thread ran: (the thread's future, the
        ledger hooks, the ledger row), settled by the drive (``agent_fanout.thread_to_end``)."""
        self.running = 0
        """Steps running now (agents used as tools excluded: their nested steps count)."""
        self.ran: Callable[[], None] | None = None
        """Called when a step stops running (``external_steps.until_external`` watches it)."""

    def occurrence(self, base: str) -> tuple[str, tuple[str, ...]]:
        scope = _SCOPE.get()
        base = scoped_key(scope, base)
        with self.lock:
            n = self.seen.get(base, 0)
            self.seen[base] = n + 1
        return f"{base}#{n}", scope

    def record(self, key: str, kind: str, value: Any) -> None:
        with self.lock:
            self.done[key] = value
        self.sink(key, kind, value)
        if key == self.watch:
            self.watched_done = True
            self._signal()

    def _signal(self) -> None:
        if self.changed is not None:
            self.changed.set()

    def live(self) -> None:
        """Something runs now (a step, a hook). While another step is parked this is not
        the order a replay of the journal gives (the parked step, earlier in the SDK's
        order, would complete first), so this drive must not continue as the run's warm
        session (``agent_sessions.py``); a replay is always right."""
        if self.parked:
            self.out_of_order = True

    async def park(self) -> None:
        """Suspend until ``wake`` (a warm run's next step, ``agent_sessions.py``) or until
        the driver cancels the drive."""
        future = asyncio.get_running_loop().create_future()
        self.parked.append(future)
        await future

    def wake(self) -> None:
        """Let every parked step look again at the journal and the admit policy (both may
        have changed): in the order they parked, which is the SDK's order."""
        parked, self.parked = self.parked, []
        for future in parked:
            if not future.done():
                future.set_result(None)

    async def reached(self, key: str) -> None:
        """Called where a drive would run a hook, error handler or session read that
        ``key`` journals: a stream follower (``agent_stream.py``) waits there until the
        journal holds it; every other drive goes on."""

    def unfinished(self, effect: Effect) -> None:
        """``effect`` ran but did not complete (an agent tool whose nested run waits for
        approvals): nothing is recorded, and its next invocation — the SDK resuming it —
        gets the same key, so what it runs is keyed under the same scope in every drive."""
        base = effect.key.rpartition("#")[0]
        with self.lock:
            self.seen[base] -= 1

    async def perform(
        self, effect: Effect, execute: Callable[[], Awaitable[Any]]
    ) -> tuple[bool, Any]:
        """``(replayed, value)``: the journaled value, or the value of running ``execute``
        now — or, while the policy leaves the step to another one, parks until woken
        (then looks again) or cancelled.
        ``execute`` may return ``Unfinished(value)``: ``value`` is returned, not recorded."""
        while effect.key not in self.done:
            verdict = WAIT if self.closing else self.admit(effect)
            if verdict == RUN:
                break
            if verdict == NEED:
                self.needs.append(effect)
                self._signal()
            await self.park()
        else:
            return True, self.done[effect.key]
        self.live()
        counted = not effect.info.get("agent_tool")
        self.running += counted
        try:
            value = await execute()
        finally:
            self.running -= counted
            if self.ran is not None:
                self.ran()
        if isinstance(value, Unfinished):
            self.unfinished(effect)
            return False, value.value
        if effect.key == self.watch:  # an engine's tool step reports its effect (agent_effects.py)
            self.watched_effect = effect
        self.record(effect.key, effect.kind, value)
        return False, value


@dataclass(frozen=True)
class Unfinished:
    value: Any


# ---------------------------------------------------------------- model calls
class JournaledModel(Model):
    """Wraps an agent's ``Model``: a journaled response is returned instead of calling it.
    ``steps`` is the drive's journal (None: the one active in this context, if any)."""

    def __init__(self, inner: Any, agent: str, steps: Steps | None = None) -> None:
        self.inner, self.agent, self._steps = inner, agent, steps

    @property
    def steps(self) -> Steps | None:
        return self._steps if self._steps is not None else _ACTIVE.get()

    async def get_response(
        self,
        system_instructions: Any,
        input: Any,
        model_settings: Any,
        tools: Any,
        output_schema: Any,
        handoffs: Any,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        steps = self.steps
        if steps is None:  # outside agentc's drives the user's model runs as is
            return await self.inner.get_response(
                system_instructions,
                input,
                model_settings,
                tools,
                output_schema,
                handoffs,
                *args,
                **kwargs,
            )
        schema = (
            output_schema.json_schema()
            if output_schema is not None and hasattr(output_schema, "json_schema")
            else None
        )
        key, scope = steps.occurrence(
            "model:"
            + self.agent
            + ":"
            + _digest(
                system_instructions,
                input,
                [getattr(t, "name", repr(t)) for t in tools or ()],
                [getattr(h, "tool_name", repr(h)) for h in handoffs or ()],
                schema,
                getattr(model_settings, "tool_choice", None),
            )
        )

        live: list[Any] = []

        async def call() -> Any:
            response = await self.inner.get_response(
                system_instructions,
                input,
                model_settings,
                tools,
                output_schema,
                handoffs,
                *args,
                **kwargs,
            )
            live.append(response)
            return _keep_response(response)

        if (
            steps.policy is not None and not steps.closing
        ):  # docs/policies.md "Token budget": replayed or not
            steps.policy.before_model(self.agent)
        replayed, kept = await steps.perform(
            Effect(key, "model", scope, {"agent": self.agent}), call
        )
        steps.agent = self.agent
        if steps.policy is not None:
            steps.policy.spent(kept["usage"], self.inner)  # docs/policies.md "Money budget"
        return _revive_response(kept) if replayed else live[0]

    def stream_response(self, *args: Any, **kwargs: Any) -> Any:
        if self.steps is None:
            return self.inner.stream_response(*args, **kwargs)
        from agentc.runtime_shims.agent_stream import (
            completed_stream,
        )  # a streamed drive: journaled

        return completed_stream(self.get_response(*args, **kwargs))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def _keep_response(r: Any) -> dict[str, Any]:
    """A ``ModelResponse`` as journaled: output items as the JSON the model sent (only the
    fields it set, so a replayed item feeds the next turn exactly as the original did)."""
    return {
        "output": [i.model_dump(mode="json", exclude_unset=True) for i in r.output],
        "usage": r.usage,
        "response_id": r.response_id,
        "request_id": getattr(r, "request_id", None),
    }


_ITEMS_ADAPTER: Any = None


def _revive_response(d: dict[str, Any]) -> Any:
    global _ITEMS_ADAPTER
    from agents.items import ModelResponse

    if _ITEMS_ADAPTER is None:  # building it takes ~50 ms: once per process
        from openai.types.responses import ResponseOutputItem
        from pydantic import TypeAdapter

        _ITEMS_ADAPTER = TypeAdapter(list[ResponseOutputItem])
    items = _ITEMS_ADAPTER.validate_python(d["output"])
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


# ---------------------------------------------------------------- tools
def _journaled_tool(
    tool: Any, agent: str, original: Callable[..., Any], timeout: float | None = None
) -> Callable[..., Any]:
    """``timeout``: the tool's own, applied here while the SDK's is cleared (see
    ``agentc.compat.openai_agents``), so a call that times out is a journaled outcome."""
    is_agent_tool = compat.is_agent_tool(tool)
    fn = None if is_agent_tool else compat.tool_function(tool)
    # a sync tool runs in the SDK's worker thread: a fan-out's cancel cannot stop it once
    # started, only lose its result (agent_fanout.guarded)
    sync = fn is not None and not inspect.iscoroutinefunction(fn)

    async def invoke(ctx: Any, input_json: str, *args: Any, **kwargs: Any) -> Any:
        gate = _active_gate()  # a policy's timeout lowers the tool's own (docs/policies.md)
        limit = gate.timeout(tool.name, timeout) if gate is not None else timeout
        if not limit:
            return await original(ctx, input_json, *args, **kwargs)
        try:
            return await asyncio.wait_for(original(ctx, input_json, *args, **kwargs), limit)
        except asyncio.TimeoutError:
            if gate is not None:
                gate.timed_out(tool.name, limit)
            return await compat.timeout_outcome(tool, ctx, limit)

    async def on_invoke_tool(ctx: Any, input_json: str, *args: Any, **kwargs: Any) -> Any:
        steps = _ACTIVE.get()
        if steps is None:
            return await invoke(ctx, input_json, *args, **kwargs)
        if steps.policy is not None:  # docs/policies.md: refused before it is a step
            refusal = steps.policy.admit(tool.name, input_json)
            if refusal is not None:
                return refusal
        tool_call = getattr(ctx, "tool_call_id", None) or _digest(input_json)
        key, scope = steps.occurrence(f"tool:{agent}:{tool.name}:{tool_call}")
        context = getattr(ctx, "context", None)
        # the idempotency keys of this call: run id + scope + the call's ordinal among this
        # tool's calls, never the model's call id (semantics/effects.py)
        ordinal, _ = steps.occurrence(f"effect:{agent}:{tool.name}")
        keys = EffectScope(steps.run_id, ordinal)
        effect = Effect(
            key,
            "tool",
            scope,
            {
                "agent": agent,
                "tool": tool.name,
                "call_id": tool_call,
                "arguments": input_json,
                "agent_tool": is_agent_tool,
                "keys": keys,
            },
        )
        with contextlib.suppress(AttributeError, TypeError):
            setattr(ctx, EFFECTS_ATTR, keys)

        async def call() -> Any:
            before = context_before(context)
            token = _SCOPE.set(effect.path)
            hooks = steps.effects
            ledgered = (
                hooks.before(tool.name, keys, parse_args(input_json)) if hooks is not None else None
            )
            try:
                with effects_active(keys), own_usage(ctx if is_agent_tool else None) as usage:

                    async def run() -> Any:
                        if steps.fanout is None and steps.cancel is None:
                            return await invoke(ctx, input_json, *args, **kwargs)
                        return await agent_fanout.guarded(  # a fan-out policy (agent_fanout.py)
                            steps,
                            agent,
                            scope,
                            effect.key,
                            lambda: invoke(ctx, input_json, *args, **kwargs),
                            interruptible=not sync,
                        )

                    if not sync:
                        output = await run()
                    else:  # a cancel cannot stop its thread: what it did is still recorded
                        output = await agent_fanout.thread_to_end(
                            run, lambda fut: steps.late_threads.append((fut, hooks, ledgered))
                        )
            except Exception as exc:
                if hooks is not None:
                    hooks.raised(ledgered, exc)
                raise
            finally:
                _SCOPE.reset(token)
            if hooks is not None:
                hooks.after(ledgered, output)
            if is_agent_tool and compat.nested_interrupted(ctx):
                return Unfinished((output, None))
            if usage is not None and kept(usage) is not None:  # agent_tool_usage.py
                return output, context_changes(before, context), kept(usage)
            return output, context_changes(before, context)

        replayed, value = await steps.perform(effect, call)
        output, changes, usage_kept = tool_value(value)
        if replayed:
            apply_changes(context, changes)
            add_kept(ctx, usage_kept)
        return output

    on_invoke_tool.agentc_original = original  # type: ignore[attr-defined]
    return on_invoke_tool


def _journaled_guardrail(
    kind: str, name: str, agent: str, original: Callable[..., Any]
) -> Callable[..., Any]:
    async def guardrail_function(*args: Any, **kwargs: Any) -> Any:
        async def call() -> Any:
            out = original(*args, **kwargs)
            return await out if inspect.isawaitable(out) else out

        steps = _ACTIVE.get()
        if steps is None:
            return await call()
        key, scope = steps.occurrence(f"guardrail:{kind}:{name}")
        effect = Effect(key, f"{kind}_guardrail", scope, {"guardrail": name, "agent": agent})
        return (await steps.perform(effect, call))[1]

    return guardrail_function


# ---------------------------------------------------------------- agent hooks
HOOK_EVENTS = (
    "on_start",
    "on_end",
    "on_handoff",
    "on_tool_start",
    "on_tool_end",
    "on_llm_start",
    "on_llm_end",
)
"""``AgentHooksBase``'s methods (tests/test_agent_hooks.py checks this list against the SDK)."""


class JournaledHooks:
    """Stands in for an agent's ``hooks`` (``Agent(hooks=AgentHooks(...))``) during a drive,
    so each lifecycle event fires once per run, as under ``Runner.run``, although every
    drive replays the run and the SDK calls the hooks on each (docs/openai-agents.md,
    "Agent hooks"). Each call is journaled like a tool call, keyed by event, agent, tool and
    call id, occurrence and scope: the first drive that reaches it runs the user's hook and
    records the changes it made to the run context; later drives skip it and apply those
    changes. Hooks are not workflow steps of their own: whichever drive reaches an event
    first runs it. Every other attribute is the user's object's."""

    def __init__(self, inner: Any, agent: str) -> None:
        self.inner, self.agent = inner, agent

    def __getattr__(self, name: str) -> Any:
        original = getattr(self.inner, name)
        if name not in HOOK_EVENTS:
            return original
        return journaled_hook(original, name, self.agent)


def journaled_hook(
    original: Callable[..., Awaitable[Any]],
    event: str,
    label: str,
    detail: Callable[[str, tuple[Any, ...]], str] | None = None,
) -> Callable[..., Awaitable[Any]]:
    """One hook method, journaled (agent hooks here; run hooks in ``run_options.py``):
    keyed by event, ``label`` (the agent, or ``run``), ``detail(event, args)`` and
    occurrence; the first drive that reaches it calls ``original`` and records the changes
    it made to the run context, later drives apply them instead."""
    detail = detail or _hook_detail

    async def once(*args: Any, **kwargs: Any) -> Any:
        steps = _ACTIVE.get()
        if steps is None:  # outside agentc's drives the user's hooks run as is
            return await original(*args, **kwargs)
        if kwargs:  # the SDK passes some hooks' arguments by name: keys read them by position
            bound = inspect.signature(original).bind(*args, **kwargs)
            args, kwargs = bound.args, bound.kwargs
        key, _ = steps.occurrence(f"hook:{event}:{label}:{detail(event, args)}")
        context = getattr(args[0], "context", None) if args else None
        await steps.reached(key)
        if key in steps.done:
            apply_changes(context, steps.done[key])
            return None
        if steps.closing:
            return None
        steps.live()
        before = context_before(context)
        await original(*args, **kwargs)
        steps.record(key, "hook", context_changes(before, context))
        return None

    return once


def _hook_detail(event: str, args: tuple[Any, ...]) -> str:
    """What tells two events of one kind and agent apart, besides their order."""
    if event in ("on_tool_start", "on_tool_end") and len(args) >= 3:
        return f"{getattr(args[2], 'name', '')}:{getattr(args[0], 'tool_call_id', None) or ''}"
    if event == "on_handoff" and len(args) >= 3:
        return str(getattr(args[2], "name", ""))
    return ""


# ---------------------------------------------------------------- installing
_ACTIVE: contextvars.ContextVar[Steps | None] = contextvars.ContextVar(
    "agentc_agent_steps", default=None
)
_INSTALL_LOCK = threading.Lock()
_INSTALLED: dict[tuple[int, str], list[Any]] = {}
"""(object id, attribute) → [drives using it, the user's original value, the object]."""


def _wrappers(start: Any, steps: Steps | None) -> Iterator[tuple[Any, str, Callable[[Any], Any]]]:
    from agents import FunctionTool, Model

    from agentc.runtime_shims import policy_gate

    gate = steps.policy if steps is not None else None
    for agent in reachable_agents(start):
        if isinstance(agent.model, Model):
            yield agent, "model", lambda old, a=agent: JournaledModel(old, a.name)
        if agent.hooks is not None:
            yield agent, "hooks", lambda old, a=agent: JournaledHooks(old, a.name)
        for t in agent.tools:
            if isinstance(t, FunctionTool):
                timeout = t.timeout_seconds
                yield (
                    t,
                    compat.TOOL_INVOKE_ATTR,
                    lambda old, t=t, a=agent, s=timeout: _journaled_tool(t, a.name, old, s),
                )
                if timeout:
                    yield t, compat.TIMEOUT_ATTR, lambda old: None
                cell = compat.agent_tool_stream_cell(
                    t
                )  # as_tool(on_stream=...): agent_tool_stream.py
                if cell is not None:
                    yield (
                        cell,
                        compat.STREAM_CELL_ATTR,
                        lambda old, t=t, a=agent: _journaled_on_stream(old, a.name, t.name),
                    )
                if gate is not None and gate.governs_approval(t.name):
                    yield (
                        t,
                        "needs_approval",
                        lambda old, n=t.name: policy_gate.needs_approval(n, old, _active_gate),
                    )
        for kind, guards in (
            ("input", agent.input_guardrails),
            ("output", agent.output_guardrails),
        ):
            for g in guards:
                yield (
                    g,
                    "guardrail_function",
                    lambda old, g=g, k=kind, a=agent: _journaled_guardrail(
                        k, g.get_name(), a.name, old
                    ),
                )


@contextlib.contextmanager
def journaled(start: Any, steps: Steps) -> Iterator[None]:
    """Journal the models, tools and guardrails of every agent reachable from ``start`` for
    one drive of the run. The wrappers find the drive's journal through a context variable,
    so concurrent drives (threads, asyncio tasks of one worker) each use their own, and
    code outside a drive reaches the user's objects unchanged; the user's originals are put
    back when the last drive using them ends."""
    token = _ACTIVE.set(steps)
    try:
        release = install(start, steps)
        try:
            yield
        finally:
            release()
    finally:
        _ACTIVE.reset(token)


def activate(steps: Steps) -> None:
    """Make ``steps`` the drive's journal in the current context (a task started from it
    inherits it; ``agent_sessions`` starts each warm drive this way)."""
    _ACTIVE.set(steps)


def install(start: Any, steps: Steps) -> Callable[[], None]:
    """Wrap the objects ``journaled`` wraps; returns what puts them back."""
    taken: list[tuple[int, str]] = []

    def release() -> None:
        with _INSTALL_LOCK:
            for key in reversed(taken):
                entry = _INSTALLED[key]
                entry[0] -= 1
                if entry[0] == 0:
                    object.__setattr__(entry[2], key[1], entry[1])
                    del _INSTALLED[key]
                    compat.WRAPPED.pop(key, None)
            taken.clear()

    try:
        with _INSTALL_LOCK:
            for obj, attr, make in _wrappers(start, steps):
                key = (id(obj), attr)
                if key in taken:
                    continue
                if key not in _INSTALLED:
                    old = getattr(obj, attr)
                    object.__setattr__(obj, attr, make(old))
                    _INSTALLED[key] = [0, old, obj]
                    compat.WRAPPED[key] = old
                _INSTALLED[key][0] += 1
                taken.append(key)
    except BaseException:
        release()
        raise
    return release


def _journaled_on_stream(callback: Any, agent: str, tool: str) -> Any:
    from agentc.runtime_shims.agent_tool_stream import journaled_on_stream

    return journaled_on_stream(callback, agent, tool)


def active() -> Steps | None:
    """The journal of the drive running in this context, or None outside agentc's drives."""
    return _ACTIVE.get()


def _active_gate() -> Any:
    steps = _ACTIVE.get()
    return steps.policy if steps is not None else None


def run_kwargs(steps: Steps, context: Any, max_turns: int | None, wf: Any = None) -> dict[str, Any]:
    """``Runner.run``'s keyword arguments for a journaled drive; ``wf``: the IR, whose
    ``agents.run`` names the run's ``RunConfig`` and ``RunHooks`` (``run_options.py``)."""
    from agents import RunConfig
    from agents.models.multi_provider import MultiProvider

    kwargs: dict[str, Any] = {
        "context": context,
        "run_config": RunConfig(model_provider=JournaledProvider(MultiProvider(), steps)),
    }
    options = getattr(agent_system(wf), "run", None)
    if options is not None:
        from agentc.runtime_shims.run_options import drive_kwargs

        kwargs.update(drive_kwargs(options, steps, context))
    if steps.policy is not None:
        max_turns = steps.policy.max_turns(max_turns)
    if max_turns is not None:
        kwargs["max_turns"] = max_turns
    return kwargs
