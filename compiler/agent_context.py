"""What an agent system's user code declares beyond the IR: the modules it lives in (so a
run started from a live object records a REF another process can import), and the type
of its run context (so ``--context`` JSON becomes the object the instructions and tools
expect, as ``Runner.run(agent, input, context=Student(...))`` would be given).

The context type is read, in this order, from the starting agent's generic parameter
(``Agent[Student](...)``), then from the first parameter of every reachable agent's
callable instructions, function tools and guardrails (``ctx: RunContextWrapper[Student]``
or ``ToolContext[Student]``). ``RunContextWrapper[None]`` / ``Any`` declare nothing.

It is used when a run starts — by the API, every target's runner and the agent step worker —
not only when an agent is read, so it sits below the frontends, targets and runtime shims
(it imports only ``compat``, ``errors``, ``refs`` and ``source_refs``; docs/architecture.md).
"""

from __future__ import annotations

import inspect
import typing
from typing import Any, Iterator

from .compat.openai_agents import is_agent_tool, tool_function, user_attr
from .errors import AgentcError, Code
from .source_refs import source_ref


def _callables(agent: Any) -> Iterator[Any]:
    """The user's functions of one agent: instructions, tool functions, guardrails."""
    from agents import FunctionTool

    if callable(agent.instructions):
        yield agent.instructions
    for t in agent.tools:
        if isinstance(t, FunctionTool) and not is_agent_tool(t):
            fn = tool_function(t)
            if fn is not None:
                yield fn
    for g in (*agent.input_guardrails, *agent.output_guardrails):
        yield user_attr(g, "guardrail_function")


def modules_of(start: Any) -> list[str]:
    """Modules that may hold ``start`` as a global: those of its agents' user functions,
    model classes and output types (the caller falls back to every loaded module)."""
    from .compat.openai_agents import reachable_agents

    found: list[str] = []
    for agent in reachable_agents(start):
        objs = [
            *_callables(agent),
            type(user_attr(agent, "model")) if agent.model is not None else None,
            getattr(agent.output_type, "output_type", agent.output_type),
        ]
        for o in objs:
            m = getattr(o, "__module__", None)
            if isinstance(m, str) and m not in found:
                found.append(m)
    return found


def _declared(annotation: Any) -> Any:
    """T of ``RunContextWrapper[T]`` / ``ToolContext[T]`` / ``Agent[T]`` (None: nothing)."""
    args = typing.get_args(annotation)
    if not args:
        return None
    t = args[0]
    if t is type(None) or t is Any or isinstance(t, typing.TypeVar):
        return None
    return t


def _first_param_type(fn: Any) -> Any:
    try:
        params = list(inspect.signature(fn).parameters.values())
        hints = typing.get_type_hints(fn)
    except Exception:  # noqa: BLE001 - unresolvable annotations declare nothing
        return None
    if not params or params[0].name not in hints:
        return None
    from agents import RunContextWrapper

    ann = hints[params[0].name]
    origin = typing.get_origin(ann)
    if isinstance(origin, type) and issubclass(origin, RunContextWrapper):
        return _declared(ann)
    return None


def context_type(start: Any) -> Any:
    """The run-context type the agents declare (None when they declare none)."""
    from .compat.openai_agents import reachable_agents

    t = _declared(getattr(start, "__orig_class__", None))
    if t is not None:
        return t
    for agent in reachable_agents(start):
        t = _declared(getattr(agent, "__orig_class__", None))
        if t is not None:
            return t
        for fn in _callables(agent):
            t = _first_param_type(fn)
            if t is not None:
                return t
    return None


def run_context(start: Any, value: Any, factory: Any = None) -> tuple[Any, str | None]:
    """What a run carries for its context: ``(context, None)`` — ``value`` built into the
    declared type — or, with a factory, ``(value, factory REF)``: the factory's JSON
    arguments and its REF, called again wherever the run is driven (a context built by
    a factory need not be serializable). The factory is called once here, so arguments
    it refuses are a diagnostic before the run starts."""
    if factory is None:
        return build_context(start, value), None
    ref = factory_ref(factory)
    call_factory(ref, value)
    return value, ref


def factory_ref(factory: Any) -> str:
    if isinstance(factory, str):
        return factory
    from .refs import find_ref

    ref = find_ref(factory, [getattr(factory, "__module__", None) or ""])
    if ref is None:
        raise AgentcError(
            Code.INPUT_SCHEMA,
            f"the context factory {factory!r} is not a module-level name",
            construct="context_factory",
            hint="pass a module-level function, or its REF module:attr: "
            "every process driving the run imports it",
        )
    return ref


def build_context(start: Any, value: Any) -> Any:
    """``value`` converted to the declared context type (a dataclass, pydantic model,
    TypedDict… by pydantic's validation). An object that is already of that type, or a
    value for agents that declare no type, is passed as it is."""
    t = context_type(start)
    if value is None or t is None or (isinstance(t, type) and isinstance(value, t)):
        return value
    name = getattr(t, "__qualname__", None) or str(t)
    from pydantic import TypeAdapter, ValidationError

    try:
        adapter = TypeAdapter(t)
    except Exception:  # noqa: BLE001 - pydantic cannot describe it: no JSON form
        raise AgentcError(
            Code.INPUT_SCHEMA,
            f"the agents' run context type {name} cannot be built from JSON",
            construct="--context",
            source=_src(t),
            hint="pass --context-factory module:function (a function that returns the context; "
            "--context JSON becomes its keyword arguments)",
        ) from None
    try:
        return adapter.validate_python(value)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(root)'}: {e['msg']}" for e in exc.errors()
        )
        raise AgentcError(
            Code.INPUT_SCHEMA,
            f"--context does not fit {name}: {problems}",
            construct="--context",
            source=_src(t),
            hint=f"pass a JSON object with the fields of {name}{_fields_hint(t)}, "
            "or --context-factory module:function",
        ) from None


def _src(t: Any) -> Any:
    try:
        return source_ref(t)
    except Exception:  # noqa: BLE001 - best effort: builtins, C functions
        return None


def _fields_hint(t: Any) -> str:
    try:
        names = list(typing.get_type_hints(t))
    except Exception:  # noqa: BLE001
        return ""
    return f" ({', '.join(names)})" if names else ""


def call_factory(factory: Any, value: Any) -> Any:
    from .refs import load_ref

    fn = load_ref(factory) if isinstance(factory, str) else factory
    if not callable(fn):
        raise AgentcError(
            Code.INPUT_SCHEMA,
            f"--context-factory {factory!r} is not callable",
            construct="--context-factory",
            hint="name a function or class: module:attr",
        )
    try:
        if value is None:
            return fn()
        return fn(**value) if isinstance(value, dict) else fn(value)
    except Exception as exc:  # noqa: BLE001 - the factory refused the value
        raise AgentcError(
            Code.INPUT_SCHEMA,
            f"the context factory failed: {type(exc).__name__}: {exc}",
            construct="--context-factory",
            hint="--context JSON (an object) is passed as the factory's keyword arguments",
        ) from None
